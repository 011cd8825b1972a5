/// @file test_limits.cpp
/// @brief A server at its limits, judged from outside: more clients than
/// --max-connections, more than its file descriptors allow, more than it can
/// start threads for. Each client is served or told BUSY and closed, never
/// dropped unanswered; the server lives, does not spin, and serves again
/// once the crowd leaves.
/// Runs in: the lab 2 end-to-end test process (the accept loop's admitClient
/// and the thread start are lab 2's), and the reliability suite at stages 2-4.
/// Owns: one cabinetd per test (ServerProcess).
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server_probes.hpp"
#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using Clock = std::chrono::steady_clock;

class Limits : public StageTest {};

TEST_P(Limits, OverTheConnectionLimitAClientIsToldBusyAndClosed) {
  ServerOptions limited = options();
  limited.extra_args = {"--max-connections", "4"};
  ServerProcess server{limited};

  std::vector<JudgeSession> holders;
  for (int i = 0; i < 4; ++i) {
    holders.push_back(server.connect());
    callExpecting(holders.back(), listProducts(), Status::kOk);  // each is being served
  }
  // The fifth: one BUSY frame, unasked, then the close.
  Fd fifth = connectRaw(server.port());
  // The accept loop asks admitClient (given) about every connection it accepts.
  const char* kAdmit = ": with --max-connections 4 and 4 clients being served, the accept loop's "
                       "admitClient refuses the fifth: its answer is the BUSY notice to send, after which "
                       "the client is closed and never served. Known mistake: admitClient's answer "
                       "ignored; see labs/02-threads/README.md, 'Classic mistakes'. Reply: ";
  IncomingReply busy = receiveReply(fifth);
  ASSERT_EQ(busy.io, IoStatus::kOk) << "no BUSY frame: " << ioStatusName(busy.io) << kAdmit << "none";
  EXPECT_EQ(busy.reply.status, Status::kBusy) << kAdmit << busy.reply;
  EXPECT_EQ(busy.reply.served_by.service, Service::kServer) << kAdmit << busy.reply;
  EXPECT_EQ(fieldOf(busy.reply, "message"), "server busy: 4 connections") << kAdmit << busy.reply;
  EXPECT_TRUE(waitForClose(fifth, 3s)) << "the fifth client was told BUSY but not closed" << kAdmit << busy.reply;

  // JudgeSession shows the notice as a BUSY reply, not as a broken stream.
  JudgeSession sixth = server.connect();
  JudgeSession::Result result = sixth.call(status());
  ASSERT_TRUE(result.ok) << result.error << " (a sixth client, over the limit)" << kAdmit << "none";
  EXPECT_EQ(result.reply.status, Status::kBusy) << "a sixth client, over the limit" << kAdmit << describe(result);
  EXPECT_TRUE(result.connection_closed) << "a sixth client, over the limit" << kAdmit << describe(result);

  // The holders were not disturbed, and a place freed is a place reused.
  callExpecting(holders.front(), status(), Status::kOk);
  holders.pop_back();
  const Clock::time_point deadline = Clock::now() + 5s;
  bool served = false;
  while (!served && Clock::now() < deadline) {
    JudgeSession next = server.connect();
    JudgeSession::Result again = next.call(listProducts());
    served = again.ok && again.reply.status == Status::kOk;
    if (!served) std::this_thread::sleep_for(20ms);  // the permit comes back when the thread ends
  }
  EXPECT_TRUE(served) << "a freed place was never given to a new client: when a connection ends, its "
                         "admission (the permit admitClient gave) goes back with its thread";
}

TEST_P(Limits, OutOfDescriptorsNewClientsAreRefusedCleanlyAndServedLater) {
  ServerOptions starved = options();
  starved.max_open_files = 128;  // the server keeps 64 for itself: 64 connections
  ServerProcess server{starved};
  warmUp(server);

  std::vector<Fd> sockets;
  for (int i = 0; i < 120; ++i) sockets.push_back(connectRaw(server.port(), 3s));
  const Answers answers = askEach(sockets, "server busy: 64 connections");
  EXPECT_GT(answers.served, 0) << "of 120 clients, none was served (" << answers.busy << " told BUSY)";
  EXPECT_GT(answers.busy, 0) << "with 128 descriptors, not all 120 can be served";
  EXPECT_EQ(answers.served + answers.busy, 120)
      << "every client gets an answer: served or BUSY (" << answers.served << " served, " << answers.busy
      << " BUSY). A client the server cannot take is told BUSY by admitClient's notice, never closed "
         "without a word";

  // Held connections idle now: the server must sleep, not spin on accept.
  const long cpu_before = cpuTicks(server.pid());
  std::vector<Fd> more;
  for (int i = 0; i < 20; ++i) more.push_back(connectRaw(server.port(), 3s));
  std::this_thread::sleep_for(1s);
  const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  const long used = cpuTicks(server.pid()) - cpu_before;
  EXPECT_LT(used, ticks_per_second / 4)
      << "busy loop while full: the server used " << used * 1000 / ticks_per_second
      << " ms of CPU in 1 s with every descriptor taken. Out of descriptors (EMFILE) the connection stays "
         "queued and poll says \"readable\" again at once: acceptConnection must pause before the loop "
         "tries again. Known mistake: no pause on EMFILE; see labs/01-sockets/README.md, 'Classic "
         "mistakes'";

  sockets.clear();
  more.clear();
  EXPECT_TRUE(servedAgainWithin(server, 5s)) << "the server did not serve again after the clients left";
  ASSERT_TRUE(server.running()) << "the server died: " << describeWaitStatus(server.waitExit(0ms));
}

// No thread can be had for a new connection (here: too little address space
// for more thread stacks). That client is told BUSY and closed, and the server
// lives on and serves the ones it has and the next ones once threads end.
TEST_P(Limits, OutOfThreadsClientsAreToldBusyAndTheServerLives) {
  if (kUnderSanitizer) GTEST_SKIP() << "a sanitizer needs far more address space than the limit";
  ServerOptions cramped = options();
  cramped.max_address_mib = 160;  // the server itself, and room for a dozen or so stacks
  ServerProcess server{cramped};
  warmUp(server);

  std::vector<Fd> sockets;
  for (int i = 0; i < 100; ++i) sockets.push_back(connectRaw(server.port(), 3s));
  const Answers answers = askEach(sockets, "server busy: no thread for a new connection");
  // When no thread can be had, std::thread throws std::system_error.
  const char* kNoThread =
      ": ConnectionThreads::start catches the std::system_error of a thread that cannot start and returns "
      "false, the client still the caller's; the accept loop then calls turnAwayWithoutThread (BUSY) and "
      "goes on. Known mistakes: the std::unique_ptr moved into std::thread, std::system_error not caught; "
      "see labs/02-threads/README.md, 'Classic mistakes'";
  ASSERT_TRUE(server.running()) << "the server died of a thread it could not start ("
                                << describeWaitStatus(server.waitExit(0ms)) << ")" << kNoThread;
  EXPECT_GT(answers.served, 0) << "of 100 clients, none was served (" << answers.busy << " told BUSY)";
  EXPECT_GT(answers.busy, 0) << "with " << cramped.max_address_mib << " MiB, not all 100 can have a thread";
  EXPECT_EQ(answers.served + answers.busy, 100)
      << "each client is served or told BUSY, none closed unanswered (" << answers.served << " served, "
      << answers.busy << " BUSY)" << kNoThread;

  sockets.clear();
  EXPECT_TRUE(servedAgainWithin(server, 5s)) << "the server did not serve again after the clients left";
  // A clean exit on SIGTERM is lab 5's to give: the lab 5 tests ask for it.
  if (labNumber() == 0 || labNumber() >= 5) {
    std::optional<int> exit = server.stop(SIGTERM);
    EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit);
  }
}

INSTANTIATE_TEST_SUITE_P(Stages, Limits, ::testing::ValuesIn(labStagesFrom(2)), stageName);

}  // namespace
}  // namespace mc::test
