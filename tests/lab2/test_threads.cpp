/// @file test_threads.cpp
/// @brief Lab 2: a thread per connection. A stalled client must not hold up
/// the others, every connection's thread must give its resources back, and
/// the shared cabinet state must survive many threads at once.
/// Runs in: the lab 2 end-to-end test process (starts cabinetd --stage 2; no
/// lab file is linked: the shared-state test is test_inline_dispatcher.cpp).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "await.hpp"
#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

ServerOptions stage2() {
  ServerOptions options;
  options.stage = 2;
  return options;
}

// Lines of /proc/PID/maps: every thread stack is a mapping (plus its guard
// page), so threads that end without being joined or detached show up here.
int mappingCount(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  int lines = 0;
  for (std::string line; std::getline(maps, line);) ++lines;
  return lines;
}

TEST(Lab2Threads, StalledClientDoesNotBlockOthers) {
  ServerProcess server{stage2()};
  // Half a request header, then silence: its thread waits for the rest.
  Fd stalled = connectRaw(server.port());
  Bytes header = encodeRawHeader(RawHeader{});
  header.resize(5);
  ASSERT_TRUE(sendBytes(stalled, header)) << "the test could not send its 5 bytes";

  JudgeSession other = server.connect(std::chrono::seconds(5));
  for (int i = 0; i < 20; ++i) {
    JudgeSession::Result result = other.call(status());
    ASSERT_TRUE(result.ok) << "request " << i << " was not answered while another client stalled: "
                           << describe(result)
                           << ". At stage 2 each connection is served by a thread of its own "
                              "(ConnectionThreads::start, detached), so a client stuck halfway through a "
                              "header holds up only its own thread. Known mistakes: serving inline, or "
                              "join() right after starting the thread; see labs/02-threads/README.md, "
                              "'Classic mistakes'";
  }
}

TEST(Lab2Threads, HundredsOfOpenConnectionsAreAllServed) {
  ServerProcess server{stage2()};
  std::vector<JudgeSession> sessions;
  for (int i = 0; i < 200; ++i) sessions.emplace_back("127.0.0.1", server.port(), std::chrono::seconds(10));
  // Every connection is open before any is served: one thread each.
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    JudgeSession::Result result = sessions[i].call(status());
    ASSERT_TRUE(result.ok) << "connection " << i << " of 200, all opened before any request: "
                           << describe(result)
                           << ". Every open connection needs its own thread, started as soon as it is "
                              "accepted; nothing may wait for a connection to close. Known mistakes: "
                              "join() right after starting the thread; see labs/02-threads/README.md, "
                              "'Classic mistakes'";
  }
}

TEST(Lab2Threads, FinishedConnectionThreadsGiveTheirStacksBack) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "sanitizer runtimes map memory per thread of their own: counted in the plain build only";
#endif
  ServerProcess server{stage2()};
  { JudgeSession warm_up = server.connect(); warm_up.call(status()); }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int before = mappingCount(server.pid());
  for (int i = 0; i < 300; ++i) {
    JudgeSession session = server.connect();
    const JudgeSession::Result result = session.call(status());
    ASSERT_TRUE(result.ok) << "connection " << i << " of 300, one after another: " << describe(result);
  }
  // Threads end just after their connection closes; give them a moment.
  int after = mappingCount(server.pid());
  for (int tries = 0; tries < 50 && after > before + 40; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = mappingCount(server.pid());
  }
  EXPECT_LE(after, before + 40) << "300 finished connections left " << after - before
                                << " memory mappings behind: are connection threads joined or detached? "
                                   "A thread that ends keeps its stack until someone joins it; connection "
                                   "threads must be detached (ConnectionThreads::start). Known mistake: "
                                   "threads kept in a std::vector \"to join later\", never joined; see "
                                   "labs/02-threads/README.md, 'Classic mistakes'";
}

}  // namespace
}  // namespace mc::test
