/// @file test_inline_dispatcher.cpp
/// @brief Lab 2: the shared cabinet state survives many threads at once,
/// checked on the student's InlineDispatcher itself.
/// Runs in: the lab 2 unit test process (links the lab files; the rest of
/// lab 2 is judged from outside, test_threads.cpp).
#include <gtest/gtest.h>

#include <atomic>
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
