/// @file test_semaphores.cpp
/// @brief Lab 4: semaphores. Counting, timing out, working across fork() in
/// shared memory, the doorbell and feedback starting at 0, and the slot pool
/// bounding the requests in flight.
/// Runs in: the lab 4 test process (forks small children of its own).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <set>
#include <thread>
#include <vector>

#include "await.hpp"
#include "child_process.hpp"
#include "records.hpp"
#include "reply_slots.hpp"
#include "semaphore_child.hpp"
#include "semaphore_dispatcher.hpp"
#include "server_process.hpp"
#include "shared_semaphore.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Where a failure message sends the student.
constexpr const char* kMistakes = "see labs/04-semaphores/README.md, 'Classic mistakes'";

TEST(Lab4Semaphores, CountsPostsAndWaits) {
  Semaphore semaphore(0, Semaphore::Scope::kThreads);
  EXPECT_FALSE(semaphore.tryWait())
      << "a semaphore made with 0 must not be taken: Semaphore(initial, ...) must pass initial to "
         "sem_init, whatever it is. Known mistake: semaphores initialised to 1; "
      << kMistakes;
  semaphore.post();
  semaphore.post();
  EXPECT_TRUE(semaphore.tryWait()) << "tryWait after two posts on a count of 0 must take one (count 2 -> 1)";
  EXPECT_TRUE(semaphore.waitFor(1s)) << "waitFor(1 s) with one post left must take it at once (count 1 -> 0)";
  EXPECT_FALSE(semaphore.tryWait())
      << "tryWait after two posts and two takes must find the count 0 and return false, never sleep";
}

TEST(Lab4Semaphores, WaitForGivesUpAfterItsTimeout) {
  Semaphore semaphore(0, Semaphore::Scope::kThreads);
  const auto started = Clock::now();
  EXPECT_FALSE(semaphore.waitFor(100ms)) << "waitFor(100 ms) on a count of 0 nobody posts must return false";
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  EXPECT_GE(took, 90ms) << "gave up too early: waitFor(100 ms) returned after " << took.count()
                        << " ms. sem_timedwait takes an absolute CLOCK_REALTIME deadline (now + timeout), "
                           "not a duration. Known mistake: a relative timeout passed to sem_timedwait; "
                        << kMistakes;
  EXPECT_LT(took, 5s) << "did not give up: waitFor(100 ms) returned after " << took.count()
                      << " ms. Compute the deadline once and reuse it after EINTR; ETIMEDOUT is the answer "
                         "false";
}

TEST(Lab4Semaphores, WaitWakesWhenAnotherThreadPosts) {
  Semaphore semaphore(0, Semaphore::Scope::kThreads);
  std::atomic<pid_t> waiter_tid{0};
  auto waiter = std::async(std::launch::async, [&] {
    waiter_tid = ::gettid();
    semaphore.wait();
  });
  // Until it sleeps in wait() (state S) or returns: a wait() that returns
  // at a count of 0 is caught however slowly its thread started.
  const auto deadline = Clock::now() + 5s;
  while (waiter.wait_for(1ms) == std::future_status::timeout && Clock::now() < deadline &&
         !(waiter_tid != 0 && processState(waiter_tid) == 'S')) {
  }
  ASSERT_TRUE(waiter.wait_for(0ms) == std::future_status::timeout)
      << "wait() returned with a count of 0: it must block until a post gives it a count to take";
  semaphore.post();
  awaitOrAbort(waiter, 5s, "the waiter after post() (post() must wake one waiter)");  // post() did not wake it
}

TEST(Lab4Semaphores, SharedMemorySurvivesFork) {
  SharedMemory<std::atomic<int>> shared(0);
  ChildProcess child("writer", [&] {
    shared->store(42);
    return 0;
  });
  child.reapWithin(5s);
  EXPECT_EQ(shared->load(), 42)
      << "the child's write did not reach the parent: is the mapping MAP_SHARED? mapShared must mmap "
         "MAP_SHARED | MAP_ANONYMOUS memory, which parent and child share after fork() (MAP_PRIVATE, or "
         "plain memory, is copied). Known mistake: the channel in ordinary memory; "
      << kMistakes;
}

TEST(Lab4Semaphores, PostInAChildWakesTheParent) {
  SharedMemory<Semaphore> feedback(0u, Semaphore::Scope::kProcesses);
  ChildProcess child("poster", [&] {
    std::this_thread::sleep_for(50ms);
    feedback->post();
    return 0;
  });
  EXPECT_TRUE(feedback->waitFor(5s))
      << "the child's post never reached the parent: a Semaphore of Scope::kProcesses needs sem_init's "
         "pshared = 1 (and shared memory, mapShared's). Known mistake: pshared = 0 for a semaphore used "
         "across processes; "
      << kMistakes;
  child.reapWithin(5s);
}

TEST(Lab4Semaphores, DoorbellAndFeedbackStartAtZero) {
  SharedMemory<ServiceChannel> channel;
  EXPECT_FALSE(channel->doorbell.tryWait())
      << "the doorbell rang before any request existed: it counts records in the pipe that nobody has "
         "taken, so it starts at 0. Known mistake: doorbell starting at 1; "
      << kMistakes;
  int above_zero = 0;
  for (ReplySlot& slot : channel->slots) {
    if (slot.feedback.tryWait()) ++above_zero;
  }
  EXPECT_EQ(above_zero, 0) << above_zero << " of " << kSlotsPerService
                           << " feedback semaphores started above 0: each starts at 0 (Semaphore must pass "
                              "its initial count to sem_init)";
  EXPECT_FALSE(channel->stopping.load()) << "a new ServiceChannel's stopping flag must start false";
}

TEST(Lab4Semaphores, SlotPoolBoundsRequestsInFlight) {
  SlotPool pool(4);
  std::set<std::uint32_t> taken;
  for (int i = 0; i < 4; ++i) {
    std::optional<std::uint32_t> slot = pool.acquire(1s);
    ASSERT_TRUE(slot.has_value()) << "SlotPool(4).acquire number " << i + 1
                                  << " found no free slot: the pool's semaphore starts at the number of "
                                     "slots, and the free list holds 0 .. count-1";
    EXPECT_LT(*slot, 4u) << "SlotPool(4) handed out slot " << *slot << ": slots are 0 .. 3";
    EXPECT_TRUE(taken.insert(*slot).second) << "slot " << *slot << " handed out twice";
  }
  EXPECT_FALSE(pool.acquire(100ms).has_value())
      << "a fifth slot out of four: acquire must wait on the pool's semaphore (a count of free slots) "
         "and give up with nullopt after its timeout";
  pool.release(2);
  std::optional<std::uint32_t> again = pool.acquire(1s);
  ASSERT_TRUE(again.has_value()) << "slot 2 was released, yet acquire found no free slot: release must put "
                                    "the number back on the list, then post the semaphore";
  EXPECT_EQ(*again, 2u) << "the slot released last is handed out first (the list is a stack)";
}

TEST(Lab4Semaphores, SlotPoolNeverGivesOneSlotToTwoThreads) {
  constexpr std::uint32_t kSlots = 4;
  SlotPool pool(kSlots);
  std::atomic<int> holders[kSlots] = {};
  std::atomic<int> collisions{0};
  std::atomic<int> timeouts{0};
  std::vector<std::future<void>> threads;
  for (int t = 0; t < 12; ++t) {
    threads.push_back(std::async(std::launch::async, [&] {
      for (int i = 0; i < 500; ++i) {
        std::optional<std::uint32_t> slot = pool.acquire(5s);
        if (!slot) {  // 4 slots, 12 threads: only a slot lost from the pool makes this wait 5 s
          timeouts.fetch_add(1);
          return;
        }
        if (holders[*slot].fetch_add(1) != 0) collisions.fetch_add(1);
        std::this_thread::yield();
        holders[*slot].fetch_sub(1);
        pool.release(*slot);
      }
    }));
  }
  for (auto& thread : threads) awaitOrAbort(thread, 60s, "a thread taking and giving back slots");
  EXPECT_EQ(collisions.load(), 0)
      << "a slot was held by two threads at once " << collisions.load()
      << " times: acquire must pop a number from the free list under the pool's mutex, and release push it "
         "back under the mutex before it posts the semaphore. Known mistake: post before the number is "
         "back on the list; "
      << kMistakes;
  EXPECT_EQ(timeouts.load(), 0)
      << "acquire() timed out with slots given back: the pool lost some. " << timeouts.load()
      << " of 12 threads waited 5 s for one of 4 slots. Wait on the semaphore WITHOUT holding the mutex "
         "(release needs it to give a number back). Known mistake: waiting on the semaphore while "
         "holding the pool's mutex; "
      << kMistakes;
}

// Many threads through one SemaphoreDispatcher: each gets the reply to its
// own request (its own code picks up its own locker), none waits forever.
TEST(Lab4Semaphores, EveryThreadGetsItsOwnReply) {
  TempDir data("lab4");
  ServiceOptions options;
  options.data_dir = data.path();
  options.parcel_lockers = 500;
  SemaphoreDispatcher dispatcher(options);
  std::vector<std::future<int>> threads;
  for (int t = 0; t < 16; ++t) {
    threads.push_back(std::async(std::launch::async, [&dispatcher, t] {
      int wrong = 0;
      for (int i = 0; i < 40; ++i) {
        const std::uint32_t user = static_cast<std::uint32_t>(t * 1000 + i);
        Request deposit = depositParcel(user);
        deposit.request_id = user;
        const Reply stored = dispatcher.dispatch(Service::kParcel, deposit);
        if (stored.request_id != user || stored.status != Status::kOk) { ++wrong; continue; }
        Request pickup = pickupParcel(fieldOf(stored, "code"), user);
        pickup.request_id = user + 500'000;
        const Reply opened = dispatcher.dispatch(Service::kParcel, pickup);
        if (opened.request_id != pickup.request_id || opened.status != Status::kOk ||
            fieldOf(opened, "locker") != fieldOf(stored, "locker"))
          ++wrong;
      }
      return wrong;
    }));
  }
  int wrong = 0;
  for (auto& thread : threads) {
    awaitOrAbort(thread, 120s, "a thread's requests (one never got its reply?)");
    wrong += thread.get();
  }
  EXPECT_EQ(wrong, 0)
      << "replies went to the wrong thread: " << wrong << " of 640 deposit-and-pickup pairs from 16 threads "
      << "got a reply with another request's id, not OK, or another locker. A slot number s belongs to one "
         "thread from acquire to release; the record carries s to the child, which answers in slots[s] "
         "and posts slots[s].feedback, on which only the owner of s waits. Known mistakes: one feedback "
         "semaphore per service (not per slot), every request using slot 0; "
      << kMistakes;
}

// answerRecords runs a batch on the child's one ServiceState. In stage 4 the
// batch queue lets one thread at a time call it, but lab 6's workers call it
// from several threads at once, so it must take state_mutex itself: four
// threads here, each answering batches of deposits, then of pickups, in slots
// of its own. Without the lock, two batches' transactions collide on the one
// SQLite connection and replies come back INTERNAL_ERROR.
TEST(Lab4Semaphores, AnswerRecordsMayRunFromManyThreadsAtOnce) {
  constexpr std::uint32_t kThreads = 4;
  constexpr std::uint32_t kBatch = kSlotsPerService / kThreads;
  TempDir data("lab4-batches");
  ServiceOptions options;
  options.data_dir = data.path();
  options.parcel_lockers = 999;
  auto state = openServiceState(Service::kParcel, options);
  auto channel = std::make_unique<ServiceChannel>();  // one process: plain memory will do
  const Fd no_pipe;                                   // answerRecords never reads
  ChildContext context{*state, *channel, no_pipe};

  // Answers one batch and collects its replies, in order; nullopt if one never came.
  auto answer = [&](const std::vector<Request>& requests, std::uint32_t first_slot) {
    std::vector<RequestRecord> records;
    for (std::uint32_t i = 0; i < requests.size(); ++i) records.push_back(packRequest(requests[i], first_slot + i));
    answerRecords(context, records);
    std::vector<Reply> replies;
    for (std::uint32_t i = 0; i < requests.size(); ++i) {
      ReplySlot& slot = channel->slots[first_slot + i];
      if (!slot.feedback.waitFor(10s)) return std::optional<std::vector<Reply>>{};
      replies.push_back(unpackReply(slot.reply).value_or(Reply{}));
    }
    return std::optional{replies};
  };

  std::vector<std::future<std::string>> threads;
  for (std::uint32_t t = 0; t < kThreads; ++t) {
    threads.push_back(std::async(std::launch::async, [&answer, t]() -> std::string {
      for (std::uint32_t round = 0; round < 40; ++round) {
        std::vector<Request> deposits;
        for (std::uint32_t i = 0; i < kBatch; ++i) deposits.push_back(depositParcel(t * 1000 + i));
        const auto stored = answer(deposits, t * kBatch);
        if (!stored) return "a deposit's feedback never came";
        std::vector<Request> pickups;
        for (const Reply& reply : *stored) {
          if (reply.status != Status::kOk) return "deposit: " + fieldOf(reply, "message");
          pickups.push_back(pickupParcel(fieldOf(reply, "code"), t * 1000));
        }
        const auto opened = answer(pickups, t * kBatch);
        if (!opened) return "a pickup's feedback never came";
        for (std::uint32_t i = 0; i < kBatch; ++i) {
          if ((*opened)[i].status != Status::kOk) return "pickup: " + fieldOf((*opened)[i], "message");
          if (fieldOf((*opened)[i], "locker") != fieldOf((*stored)[i], "locker")) return "pickup opened another locker";
        }
      }
      return "";
    }));
  }
  for (auto& thread : threads) {
    awaitOrAbort(thread, 120s, "a thread's batches (one never finished?)");
    const std::string wrong = thread.get();
    EXPECT_EQ(wrong, "") << wrong
                         << ". Four threads called answerRecords at once on one ServiceState (as lab 6's "
                            "workers will): it must run each batch under a lock on state_mutex "
                            "(ServiceState, one SQLite connection, is not thread-safe), then write each "
                            "reply into its slot and THEN post that slot's feedback. Known mistake: "
                            "answerRecords without state_mutex; "
                         << kMistakes;
  }
}

}  // namespace
}  // namespace mc::test
