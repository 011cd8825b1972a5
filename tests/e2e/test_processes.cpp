/// @file test_processes.cpp
/// @brief Stages 3 and 4: the three services really are three child
/// processes of the server, each serving its own commands and holding only
/// the descriptors it needs; a child killed by hand costs its service, not
/// the server.
/// Runs in: the e2e test process; starts one cabinetd per test.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using Clock = std::chrono::steady_clock;

class ServiceProcesses : public StageTest {};


TEST_P(ServiceProcesses, ExactlyThreeChildrenEachServingOneService) {
  ServerProcess server{options()};
  std::vector<pid_t> children = waitForChildren(server, 3);
  ASSERT_EQ(children.size(), 3u)
      << "the server should have exactly 3 service children: the dispatcher forks one per service at "
         "start-up, and each child runs its service and leaves with _exit, never returning into the "
         "server's code. Known mistake: the child returns from the ChildProcess constructor instead of "
         "calling _exit (far more than 3 processes); see labs/03-fork-pipes/README.md, 'Classic mistakes'";

  JudgeSession session = server.connect();
  Reply parcel = callExpecting(session, depositParcel(), Status::kOk);
  Reply food = callExpecting(session, depositFood(), Status::kOk);
  Reply vending = callExpecting(session, listProducts(), Status::kOk);
  std::set<pid_t> serving;
  for (const Reply* reply : {&parcel, &food, &vending}) {
    auto pid = static_cast<pid_t>(reply->served_by.pid);
    EXPECT_TRUE(std::find(children.begin(), children.end(), pid) != children.end())
        << serviceName(reply->served_by.service) << " was served by pid " << pid
        << ", not a child of the server";
    serving.insert(pid);
  }
  EXPECT_EQ(serving.size(), 3u) << "each service has its own child";
  EXPECT_EQ(server.childPids(), children) << "serving requests must not fork more children";
}


// Where each descriptor from 3 up of @p pid points ("pipe:[123]", "socket:[45]",
// a path), by number.
std::map<int, std::string> descriptorTargets(pid_t pid) {
  std::map<int, std::string> targets;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
    const int fd = std::stoi(entry.path().filename().string());
    if (fd < 3) continue;
    std::error_code gone;
    const std::filesystem::path target = std::filesystem::read_symlink(entry.path(), gone);
    if (!gone) targets[fd] = target.string();
  }
  return targets;
}

// Lab 3, keepOnlyDescriptors: a child forked by the server starts with a copy
// of every descriptor the server had. It must close all but its own pipe
// ends: a descriptor the server inherited from whoever started it (here fd
// 200, as a shell or harness may leave one), any socket, and the other
// children's pipes (a copy of another child's request pipe keeps that child
// from ever seeing end of file).
TEST_P(ServiceProcesses, ChildrenHoldOnlyTheirOwnDescriptors) {
  ServerOptions leaky = options();
  leaky.inherited_fd = 200;
  ServerProcess server{leaky};
  std::vector<pid_t> children = waitForChildren(server, 3);
  ASSERT_EQ(children.size(), 3u) << "the server should have exactly 3 service children";
  JudgeSession session = server.connect();
  // Each child has served once, so each is past keepOnlyDescriptors: a child
  // still starting holds every descriptor the server had (seen under the
  // grader's schedule perturbation, when only vending had been asked).
  callExpecting(session, depositParcel(), Status::kOk);
  callExpecting(session, depositFood(), Status::kOk);
  callExpecting(session, listProducts(), Status::kOk);
  const std::string inherited = descriptorTargets(server.pid())[200];
  ASSERT_EQ(inherited.rfind("pipe:", 0), 0u) << "the harness did not give the server fd 200: '" << inherited << "'";

  std::map<std::string, pid_t> pipe_holder;  // each pipe end seen, by target, and which child holds it
  for (pid_t child : children) {
    for (const auto& [fd, target] : descriptorTargets(child)) {
      EXPECT_NE(target, inherited) << "service child " << child << " kept fd " << fd << " (" << target
                                   << "), which the server inherited from whoever started it: "
                                      "keepOnlyDescriptors must close every descriptor it was not asked to keep";
      EXPECT_NE(target.rfind("socket:", 0), 0u) << "service child " << child << " holds a socket, fd " << fd
                                                << " (" << target << "): the listening socket or a client's";
      if (target.rfind("pipe:", 0) != 0 || target == inherited) continue;
      const auto [holder, first] = pipe_holder.emplace(target, child);
      EXPECT_TRUE(first || holder->second == child)
          << "service children " << holder->second << " and " << child << " both hold " << target
          << ": one of them kept another child's pipe end";
    }
  }
}

// Lab 3, dieWithParent: a server killed with SIGKILL runs no code of its
// own to stop its children, so each child must have asked the kernel to end
// it with its parent (PR_SET_PDEATHSIG). Otherwise the children live on under
// init, holding the data files (and, at stage 4, nobody posts their replies).
TEST_P(ServiceProcesses, ChildrenDieWithAKilledServer) {
  ServerProcess server{options()};
  std::vector<pid_t> children = waitForChildren(server, 3);
  ASSERT_EQ(children.size(), 3u) << "the server should have exactly 3 service children";
  JudgeSession session = server.connect();
  callExpecting(session, listProducts(), Status::kOk);
  ASSERT_TRUE(server.stop(SIGKILL).has_value()) << "the server did not die";
  for (pid_t child : children) {
    EXPECT_TRUE(waitUntilDead(child, 3s)) << "service child " << child
                                          << " outlived its server killed with SIGKILL: dieWithParent "
                                             "must set PR_SET_PDEATHSIG";
  }
}

// Lab 3, ignoreSigpipe, and the handout's "By hand" step: a service child
// can die at any moment (here kill -9). The next request to its service is
// written into a pipe that nobody reads any more: that write must fail with
// EPIPE and the request end UNAVAILABLE at once, while the server lives on
// and serves the other services. With SIGPIPE at its default action the
// write kills the whole server instead (exit 141 in a shell). At stage 4 a
// server with lab 5 done may have restarted the child already: OK from a new
// child is right too.
TEST_P(ServiceProcesses, KilledChildAnswersUnavailableAndTheServerLives) {
  ServerProcess server{options()};
  JudgeSession session = server.connect(5s);
  const Reply listed = callExpecting(session, listProducts(), Status::kOk);
  const auto vending_pid = static_cast<pid_t>(listed.served_by.pid);
  ASSERT_NE(vending_pid, server.pid()) << "the vending service should run in a child of its own";
  ASSERT_EQ(::kill(vending_pid, SIGKILL), 0);
  ASSERT_TRUE(waitUntilDead(vending_pid, 3s)) << "SIGKILL did not kill the vending child " << vending_pid;

  const Clock::time_point asked = Clock::now();
  const JudgeSession::Result after = session.call(listProducts());  // the session's 5 s timeout bounds it
  const auto took = Clock::now() - asked;
  if (!after.ok) {
    const std::optional<int> exit = server.waitExit(2s);
    if (exit && WIFSIGNALED(*exit) && WTERMSIG(*exit) == SIGPIPE) {
      FAIL() << "the server died of SIGPIPE when it wrote a request into the dead vending child's pipe: "
                "ignoreSigpipe must make that write fail with EPIPE";
    }
    FAIL() << "a request to the dead vending child got no reply (" << describe(after) << "); the server: "
           << (exit ? describeWaitStatus(exit) : std::string{"still running"});
  }
  const Status status = after.reply.status;
  if (GetParam() == 3) {
    EXPECT_EQ(status, Status::kUnavailable) << describe(after);
  } else {
    const bool new_child = status == Status::kOk && static_cast<pid_t>(after.reply.served_by.pid) != vending_pid;
    EXPECT_TRUE(status == Status::kUnavailable || new_child)
        << "UNAVAILABLE, or OK from a restarted child: " << describe(after);
  }
  EXPECT_LT(took, 3s) << "the answer should come at once, not after a timeout";

  // The other services do not depend on the dead one, on this connection or a new one.
  callExpecting(session, depositParcel(), Status::kOk);
  JudgeSession fresh = server.connect(5s);
  callExpecting(fresh, depositFood(), Status::kOk);
  EXPECT_TRUE(server.running()) << "the server exited: " << describeWaitStatus(server.waitExit(0ms));
}

INSTANTIATE_TEST_SUITE_P(Stages, ServiceProcesses, ::testing::ValuesIn(labStagesFrom(3)), stageName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ServiceProcesses);

}  // namespace
}  // namespace mc::test
