/// @file test_threads.cpp
/// @brief Lab 2: a thread per connection. A stalled client must not hold up
/// the others, every connection's thread must give its resources back, and
/// the shared cabinet state must survive many threads at once.
/// Runs in: the lab 2 test process (starts cabinetd --stage 2, and uses an
/// InlineDispatcher directly).
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "await.hpp"
#include "inline_dispatcher.hpp"
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
  ASSERT_TRUE(sendBytes(stalled, header));

  ClientSession other = server.connect(std::chrono::seconds(5));
  for (int i = 0; i < 20; ++i) {
    ClientSession::Result result = other.call(status());
    ASSERT_TRUE(result.ok) << "request " << i << " was not answered while another client stalled: "
                           << describe(result);
  }
}

TEST(Lab2Threads, HundredsOfOpenConnectionsAreAllServed) {
  ServerProcess server{stage2()};
  std::vector<ClientSession> sessions;
  for (int i = 0; i < 200; ++i) sessions.emplace_back("127.0.0.1", server.port(), std::chrono::seconds(10));
  // Every connection is open before any is served: one thread each.
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    ClientSession::Result result = sessions[i].call(status());
    ASSERT_TRUE(result.ok) << "connection " << i << ": " << describe(result);
  }
}

TEST(Lab2Threads, FinishedConnectionThreadsGiveTheirStacksBack) {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "sanitizer runtimes map memory per thread of their own: counted in the plain build only";
#endif
  ServerProcess server{stage2()};
  { ClientSession warm_up = server.connect(); warm_up.call(status()); }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int before = mappingCount(server.pid());
  for (int i = 0; i < 300; ++i) {
    ClientSession session = server.connect();
    ASSERT_TRUE(session.call(status()).ok);
  }
  // Threads end just after their connection closes; give them a moment.
  int after = mappingCount(server.pid());
  for (int tries = 0; tries < 50 && after > before + 40; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = mappingCount(server.pid());
  }
  EXPECT_LE(after, before + 40) << "300 finished connections left " << after - before
                                << " memory mappings behind: are connection threads joined or detached?";
}

// Many threads deposit through one InlineDispatcher at once: without a lock
// around each service's state, deposits collide (two parcels in one locker,
// or a failed transaction).
TEST(Lab2Threads, SharedCabinetStateSurvivesManyThreads) {
  TempDir data("lab2");
  ServiceOptions options;
  options.data_dir = data.path();
  options.parcel_lockers = 2000;
  InlineDispatcher dispatcher(options);

  constexpr int kThreads = 16;
  constexpr int kEach = 100;
  // All threads start together, so that their deposits overlap.
  std::atomic<int> ready{0};
  std::vector<std::future<std::vector<std::string>>> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.push_back(std::async(std::launch::async, [&dispatcher, &ready] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      std::vector<std::string> lockers;
      for (int i = 0; i < kEach; ++i) {
        Reply reply = dispatcher.dispatch(Service::kParcel, depositParcel());
        lockers.push_back(reply.status == Status::kOk ? fieldOf(reply, "locker")
                                                      : std::string(statusName(reply.status)));
      }
      return lockers;
    }));
  }
  std::set<std::string> distinct;
  for (auto& worker : workers) {
    awaitOrAbort(worker, std::chrono::seconds(60), "a thread's 100 deposits (a deadlock?)");
    for (const std::string& locker : worker.get()) {
      EXPECT_TRUE(looksLikeLocker(locker, 'P')) << "a deposit failed: " << locker;
      EXPECT_TRUE(distinct.insert(locker).second) << "locker " << locker << " was given out twice";
    }
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace mc::test
