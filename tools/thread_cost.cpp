/// @file thread_cost.cpp
/// @brief `cabinet-thread-cost`: what a thread per request costs on this
/// machine, with nothing else around it (docs/performance.md, "What a thread
/// costs here"). The bench measures the whole pipeline; this measures the one
/// thing stage 4 adds to the pool, so that the two can be told apart.
/// Runs in: its own process. Owns: the threads it starts, each shape's own.
///
///   cabinet-thread-cost [--rounds N] [--pairs K]
///
/// Three shapes, each run by K pairs at once (default 64, the bench's client
/// count) and timed in wall clock and in CPU (every thread of the process,
/// from getrusage), divided by the rounds of all pairs:
///   - worker: one thread posts a doorbell semaphore and waits on a feedback
///     one; a long-lived worker waits on the doorbell and posts the feedback.
///     The pool's hand-off (lab 6), without the pipe and the work.
///   - thread per request: the same, but the doorbell's waiter starts a
///     detached thread per ring, and that thread posts the feedback. Stage 4's
///     hand-off (lab 4), with the same startDetachedThread, stack size and
///     ThreadTracker as semaphore_child.cpp.
///   - thread start only: each pair's thread starts threads back to back, one
///     alive at a time, each doing nothing. The least a thread's life costs:
///     its clone, its first switch, its exit.
/// The difference between the first two is what a request pays for its own
/// thread. No figure here is asserted anywhere; it is a measurement.
#include <sys/resource.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "detached_thread.hpp"
#include "shared_semaphore.hpp"
#include "thread_tracker.hpp"

namespace {

using namespace mc;
using Clock = std::chrono::steady_clock;

/// CPU time of every thread of this process so far, user and system, in µs.
double processCpuMicros() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto micros = [](const timeval& t) { return t.tv_sec * 1e6 + static_cast<double>(t.tv_usec); };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

/// Per-round figures of one shape.
struct Cost {
  double wall_us = 0;
  double cpu_us = 0;
};

/// Runs @p shape in @p pairs threads at once, @p rounds split between them,
/// and divides the time by the rounds. With many pairs both CPUs stay busy,
/// as under the bench's 64 clients, and the CPU per round is what bounds
/// throughput; with one pair every hand-off wakes an idle CPU, and the wall
/// time per round is a latency.
template <typename Shape>
Cost measure(long rounds, int pairs, Shape shape) {
  const long rounds_per_pair = rounds / pairs;
  const double cpu_before = processCpuMicros();
  const Clock::time_point before = Clock::now();
  {
    std::vector<std::jthread> running;
    for (int i = 0; i < pairs; ++i) running.emplace_back(shape, rounds_per_pair);
  }  // joined here
  const double wall = std::chrono::duration<double, std::micro>(Clock::now() - before).count();
  const auto done = static_cast<double>(rounds_per_pair * pairs);
  return Cost{wall / done, (processCpuMicros() - cpu_before) / done};
}

/// The requester's side of both hand-offs: ring, then sleep until answered.
void requestRounds(long rounds, Semaphore& doorbell, Semaphore& feedback) {
  for (long i = 0; i < rounds; ++i) {
    doorbell.post();
    feedback.wait();
  }
}

// The pool's shape: one worker answers every ring itself.
void workerRounds(long rounds) {
  Semaphore doorbell(0, Semaphore::Scope::kThreads);
  Semaphore feedback(0, Semaphore::Scope::kThreads);
  std::atomic<bool> stopping{false};
  std::thread worker([&] {
    for (;;) {
      doorbell.wait();
      if (stopping.load()) return;
      feedback.post();
    }
  });
  requestRounds(rounds, doorbell, feedback);
  stopping.store(true);
  doorbell.post();
  worker.join();
}

/// All a measured thread does: post one semaphore, and leave the count.
struct PostJob {
  Semaphore& semaphore;
  ThreadTracker::Ticket ticket;
  void operator()() { semaphore.post(); }
};

/// Starts a thread that posts @p semaphore, as stage 4 starts one per request:
/// detached, on a small stack, counted; run here if no thread can be had.
void startPoster(Semaphore& semaphore, ThreadTracker& threads) {
  auto job = std::make_unique<PostJob>(PostJob{semaphore, threads.enter()});
  if (!startDetachedThread(job, kRequestStackBytes)) (*job)();
}

// Stage 4's shape: every ring starts a thread, and that thread answers.
void threadPerRequestRounds(long rounds) {
  Semaphore doorbell(0, Semaphore::Scope::kThreads);
  Semaphore feedback(0, Semaphore::Scope::kThreads);
  std::atomic<bool> stopping{false};
  ThreadTracker threads;  // after the semaphores: destroyed first, waits for the threads
  std::thread loop([&] {
    for (;;) {
      doorbell.wait();
      if (stopping.load()) return;
      startPoster(feedback, threads);
    }
  });
  requestRounds(rounds, doorbell, feedback);
  stopping.store(true);
  doorbell.post();
  loop.join();
}

// Threads one after another, no hand-off: a thread's life and nothing else.
void threadStartRounds(long rounds) {
  Semaphore done(0, Semaphore::Scope::kThreads);
  ThreadTracker threads;  // after the semaphore: destroyed first, waits for the threads
  for (long i = 0; i < rounds; ++i) {
    startPoster(done, threads);
    done.wait();
  }
}

void printCost(const char* shape, const Cost& cost) {
  std::printf("%-20s %14.1f %14.1f\n", shape, cost.wall_us, cost.cpu_us);
}

constexpr const char* kUsage =
    "usage: cabinet-thread-cost [--rounds N] [--pairs K]\n"
    "  --rounds N   hand-offs per shape, all pairs together (1 to 100000000, default 200000)\n"
    "  --pairs K    pairs running at once (1 to 1000, default 64)\n";

int refuse(const std::string& complaint) {
  std::fprintf(stderr, "cabinet-thread-cost: %s\n%s", complaint.c_str(), kUsage);
  return 2;
}

/// Parses the number after @p flag into @p value, from 1 to @p most.
bool parseCount(std::string_view flag, std::string_view text, long most, long& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc{} && end == text.data() + text.size() && value >= 1 && value <= most) return true;
  std::fprintf(stderr, "cabinet-thread-cost: %s wants a number from 1 to %ld, not %s\n", std::string(flag).c_str(),
               most, std::string(text).c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  long rounds = 200000;
  long pairs = 64;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    long* value = flag == "--rounds" ? &rounds : flag == "--pairs" ? &pairs : nullptr;
    if (value == nullptr || i + 1 == argc) return refuse("bad flag: " + std::string(flag));
    if (!parseCount(flag, argv[++i], value == &rounds ? 100000000 : 1000, *value)) {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (rounds < pairs) return refuse("--rounds must be at least --pairs");
  const int k = static_cast<int>(pairs);
  std::printf("%ld rounds by %d pairs on %u CPUs; microseconds per round\n", rounds, k,
              std::thread::hardware_concurrency());
  std::printf("%-20s %14s %14s\n", "shape", "wall", "CPU");
  const Cost worker = measure(rounds, k, workerRounds);
  printCost("worker", worker);
  const Cost per_request = measure(rounds, k, threadPerRequestRounds);
  printCost("thread per request", per_request);
  printCost("thread start only", measure(rounds, k, threadStartRounds));
  std::printf("a thread per request costs %.1f us of CPU more than a worker\n", per_request.cpu_us - worker.cpu_us);
  return 0;
}
