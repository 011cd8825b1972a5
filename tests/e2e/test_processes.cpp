/// @file test_processes.cpp
/// @brief Stages 3 and 4: the three services really are three child
/// processes of the server, each serving its own commands and holding only
/// the descriptors it needs.
/// Runs in: the e2e test process; starts one cabinetd per test.
#include <sys/types.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>
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
  ASSERT_EQ(children.size(), 3u) << "the server should have exactly 3 service children";

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
  ASSERT_EQ(children.size(), 3u);
  JudgeSession session = server.connect();
  callExpecting(session, listProducts(), Status::kOk);  // the children are up and serving
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
  ASSERT_EQ(children.size(), 3u);
  JudgeSession session = server.connect();
  callExpecting(session, listProducts(), Status::kOk);
  ASSERT_TRUE(server.stop(SIGKILL).has_value()) << "the server did not die";
  for (pid_t child : children) {
    EXPECT_TRUE(waitUntilDead(child, 3s)) << "service child " << child
                                          << " outlived its server killed with SIGKILL: dieWithParent "
                                             "must set PR_SET_PDEATHSIG";
  }
}

INSTANTIATE_TEST_SUITE_P(Stages, ServiceProcesses, ::testing::ValuesIn(labStagesFrom(3)), stageName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ServiceProcesses);

}  // namespace
}  // namespace mc::test
