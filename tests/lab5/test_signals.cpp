/// @file test_signals.cpp
/// @brief Lab 5: signals become descriptors. SIGTERM and SIGINT make the stop
/// descriptor readable for every thread, and keep it so; SIGCHLD makes the
/// child descriptor readable until drained. (SIGPIPE is lab 3's:
/// Lab3Pipes.SigpipeNoLongerKills.)
/// Runs in: the lab 5 test process (raises signals at itself).
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <future>
#include <thread>

#include "child_process.hpp"
#include "shutdown_signals.hpp"

namespace mc::test {
namespace {

using namespace std::chrono_literals;

// Our own SIGCHLD handler may interrupt poll (EINTR): then look again.
bool readable(const Fd& fd, std::chrono::milliseconds timeout) {
  pollfd entry{fd.get(), POLLIN, 0};
  int ready;
  while ((ready = ::poll(&entry, 1, static_cast<int>(timeout.count()))) < 0 && errno == EINTR) {
  }
  return ready == 1 && (entry.revents & POLLIN) != 0;
}

// What the stop pipe must do, in the handout's words (self-pipe trick).
constexpr const char* kStopPipe =
    ": the SIGTERM and SIGINT handlers (installed by ShutdownSignals' constructor, with sigaction) write "
    "one byte into the stop pipe, whose read end stopFd() is. Nobody reads that byte, so the pipe stays "
    "readable for every thread that looks, now or later; see labs/05-shutdown-recovery/README.md, 'The "
    "ideas'";

TEST(Lab5Signals, SigtermMakesTheStopDescriptorReadable) {
  ShutdownSignals signals;
  EXPECT_FALSE(readable(signals.stopFd(), 0ms))
      << "stop before any signal: a new ShutdownSignals' stop pipe must be empty";
  ASSERT_EQ(::raise(SIGTERM), 0);  // would end the test process without a handler
  EXPECT_TRUE(readable(signals.stopFd(), 2s)) << "stopFd() not readable 2 s after SIGTERM" << kStopPipe;
}

TEST(Lab5Signals, SigintStopsToo) {
  ShutdownSignals signals;
  ASSERT_EQ(::raise(SIGINT), 0);
  EXPECT_TRUE(readable(signals.stopFd(), 2s)) << "stopFd() not readable 2 s after SIGINT" << kStopPipe;
}

TEST(Lab5Signals, StopIsABroadcastThatStaysOn) {
  ShutdownSignals signals;
  auto first = std::async(std::launch::async, [&] { return readable(signals.stopFd(), 5s); });
  auto second = std::async(std::launch::async, [&] { return readable(signals.stopFd(), 5s); });
  std::this_thread::sleep_for(50ms);
  signals.requestStop();
  EXPECT_TRUE(first.get()) << "the first of two threads polling stopFd() did not wake on requestStop()"
                           << kStopPipe;
  EXPECT_TRUE(second.get()) << "the second of two threads polling stopFd() did not wake on requestStop()"
                            << kStopPipe
                            << ". Known mistake: a handler that reads the stop pipe, or a loop that drains "
                               "it; see labs/05-shutdown-recovery/README.md, 'Classic mistakes'";
  EXPECT_TRUE(readable(signals.stopFd(), 0ms)) << "a thread that looks later must see it too" << kStopPipe;
}

TEST(Lab5Signals, SigchldWakesTheMainLoopUntilDrained) {
  ShutdownSignals signals;
  ChildProcess child("quick", [] { return 0; });
  EXPECT_TRUE(readable(signals.childFd(), 5s))
      << "no wake-up for an exited child: the SIGCHLD handler (sigaction with SA_RESTART | SA_NOCLDSTOP) "
         "writes one byte into the child pipe, whose read end childFd() is";
  child.reapWithin(5s);
  signals.drainChildEvents();
  EXPECT_FALSE(readable(signals.childFd(), 0ms))
      << "still readable after draining: drainChildEvents reads the non-blocking child pipe until it is "
         "empty (EAGAIN), not one byte. Known mistake: child pipe not drained (the main loop's poll then "
         "returns at once forever); see labs/05-shutdown-recovery/README.md, 'Classic mistakes'";
}

}  // namespace
}  // namespace mc::test
