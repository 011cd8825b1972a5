/// @file test_signals.cpp
/// @brief Lab 5: signals become descriptors. SIGTERM and SIGINT make the stop
/// descriptor readable for every thread, and keep it so; SIGCHLD makes the
/// child descriptor readable until drained; SIGPIPE no longer kills.
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
#include "robust_io.hpp"
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

TEST(Lab5Signals, SigtermMakesTheStopDescriptorReadable) {
  ShutdownSignals signals;
  EXPECT_FALSE(readable(signals.stopFd(), 0ms)) << "stop before any signal";
  ASSERT_EQ(::raise(SIGTERM), 0);  // would end the test process without a handler
  EXPECT_TRUE(readable(signals.stopFd(), 2s));
}

TEST(Lab5Signals, SigintStopsToo) {
  ShutdownSignals signals;
  ASSERT_EQ(::raise(SIGINT), 0);
  EXPECT_TRUE(readable(signals.stopFd(), 2s));
}

TEST(Lab5Signals, StopIsABroadcastThatStaysOn) {
  ShutdownSignals signals;
  auto first = std::async(std::launch::async, [&] { return readable(signals.stopFd(), 5s); });
  auto second = std::async(std::launch::async, [&] { return readable(signals.stopFd(), 5s); });
  std::this_thread::sleep_for(50ms);
  signals.requestStop();
  EXPECT_TRUE(first.get());
  EXPECT_TRUE(second.get());
  EXPECT_TRUE(readable(signals.stopFd(), 0ms)) << "a thread that looks later must see it too";
}

TEST(Lab5Signals, SigchldWakesTheMainLoopUntilDrained) {
  ShutdownSignals signals;
  ChildProcess child("quick", [] { return 0; });
  EXPECT_TRUE(readable(signals.childFd(), 5s)) << "no wake-up for an exited child";
  child.reapWithin(5s);
  signals.drainChildEvents();
  EXPECT_FALSE(readable(signals.childFd(), 0ms)) << "still readable after draining";
}

TEST(Lab5Signals, SigpipeNoLongerKills) {
  ShutdownSignals signals;
  Pipe pipe = makePipe();
  pipe.read_end.reset();
  const char byte = 'x';
  EXPECT_FALSE(writeAll(pipe.write_end, &byte, 1));  // would be SIGPIPE's default: death
  EXPECT_EQ(errno, EPIPE);
}

}  // namespace
}  // namespace mc::test
