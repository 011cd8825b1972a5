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
  // A ServiceState is not thread-safe: a deposit reads "which locker is free?",
  // then writes "it is taken", and two threads in between collide.
  const char* kLock =
      ": InlineDispatcher::dispatch must hold the service's mutex (a named std::scoped_lock) around the "
      "whole handle() call. Known mistakes: no lock in dispatch, a lock around part of handle(), an "
      "unnamed std::scoped_lock(...) that unlocks at the ';'; see labs/02-threads/README.md, 'Classic "
      "mistakes'";
  std::set<std::string> distinct;
  int failed = 0;
  int twice = 0;
  for (auto& worker : workers) {
    awaitOrAbort(worker, std::chrono::seconds(60), "a thread's 100 deposits (a deadlock?)");
    for (const std::string& locker : worker.get()) {
      const bool stored = looksLikeLocker(locker, 'P');
      if (!stored && ++failed <= 3) ADD_FAILURE() << "a deposit failed: " << locker << kLock;
      const bool first_time = distinct.insert(locker).second;
      if (stored && !first_time && ++twice <= 3) {
        ADD_FAILURE() << "locker " << locker << " was given out twice" << kLock;
      }
    }
  }
  // The first three of each are shown above; these say how many there were.
  EXPECT_EQ(failed, 0) << failed << " of " << kThreads * kEach << " deposits from " << kThreads
                       << " threads at once failed" << kLock;
  EXPECT_EQ(twice, 0) << twice << " lockers were given out twice" << kLock;
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kEach))
      << kThreads * kEach << " deposits into 2000 free lockers got only " << distinct.size()
      << " different answers (lockers, or the status of a failed deposit)" << kLock;
}

}  // namespace
}  // namespace mc::test
