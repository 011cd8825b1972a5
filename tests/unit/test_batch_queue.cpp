/// @file test_batch_queue.cpp
/// @brief BatchQueue, stage 4's group commit hand-off: among threads leaving
/// records at once, one serves at a time, and every record is served exactly
/// once; none is stranded when the server steps down.
/// Runs in: the test process (threads only).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "batch_queue.hpp"

namespace mc {
namespace {

RequestRecord numbered(std::uint32_t n) {
  RequestRecord record{};
  record.request_id = n;
  return record;
}

TEST(BatchQueue, FirstToLeaveServesAndTakesEverythingWaiting) {
  BatchQueue queue;
  EXPECT_TRUE(queue.leave(numbered(1)));   // nobody serving: the caller serves
  EXPECT_FALSE(queue.leave(numbered(2)));  // the server will take these
  EXPECT_FALSE(queue.leave(numbered(3)));
  std::vector<RequestRecord> batch;
  ASSERT_TRUE(queue.take(batch));
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].request_id, 1u);
  EXPECT_EQ(batch[2].request_id, 3u);
  EXPECT_FALSE(queue.take(batch));  // empty: the server steps down
  EXPECT_TRUE(batch.empty());
  EXPECT_TRUE(queue.leave(numbered(4)));  // so the next one serves again
}

// Many threads leave records as fast as they can; whoever is told to serve
// takes batches until none is left, as answerRecord does. Every record must
// be served once, by one server at a time, and none left behind at the end.
TEST(BatchQueue, ManyThreadsEveryRecordServedOnceByOneServerAtATime) {
  constexpr int kThreads = 8;
  constexpr std::uint32_t kPerThread = 20000;
  BatchQueue queue;
  std::vector<std::atomic<int>> served(kThreads * kPerThread);
  std::atomic<int> serving{0};
  std::atomic<int> most_serving{0};
  std::atomic<bool> go{false};
  // A server that never steps down (take() never false) must fail the test,
  // not hang it: each batch checks the clock.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::atomic<bool> timed_out{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      std::vector<RequestRecord> batch;
      for (std::uint32_t i = 0; i < kPerThread; ++i) {
        if (!queue.leave(numbered(static_cast<std::uint32_t>(t) * kPerThread + i))) continue;
        // From a take() that gives a batch to the next take(), this thread is
        // certainly the server: no other may be running a batch meanwhile.
        while (queue.take(batch)) {
          if (std::chrono::steady_clock::now() > deadline) {
            timed_out.store(true);
            return;
          }
          const int now = serving.fetch_add(1) + 1;
          int seen = most_serving.load();
          while (now > seen && !most_serving.compare_exchange_weak(seen, now)) {}
          for (const RequestRecord& record : batch) served[record.request_id].fetch_add(1);
          serving.fetch_sub(1);
        }
      }
    });
  }
  go.store(true);
  for (std::thread& thread : threads) thread.join();  // each returns by the deadline
  ASSERT_FALSE(timed_out.load()) << "a server never stepped down";

  std::vector<RequestRecord> left;
  EXPECT_FALSE(queue.take(left)) << left.size() << " records stranded in the queue";
  int missing = 0, doubled = 0;
  for (const std::atomic<int>& count : served) {
    if (count.load() == 0) ++missing;
    if (count.load() > 1) ++doubled;
  }
  EXPECT_EQ(missing, 0) << "records never served";
  EXPECT_EQ(doubled, 0) << "records served twice";
  EXPECT_EQ(most_serving.load(), 1) << "two batches were run at once";
}

}  // namespace
}  // namespace mc
