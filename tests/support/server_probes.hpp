/// @file server_probes.hpp
/// @brief Looking at a running cabinetd from outside: is it serving, how
/// much CPU and how many threads has it used, and what do a crowd of raw
/// clients each get. For the tests that push a server to its limits.
/// Runs in: an e2e or reliability test process, any thread. Owns: nothing.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fd.hpp"
#include "server_process.hpp"

namespace mc::test {

/// True when this test executable (and so the server it starts, built in the
/// same tree) runs under AddressSanitizer or ThreadSanitizer.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderSanitizer = true;
#else
inline constexpr bool kUnderSanitizer = false;
#endif

/// @brief True once a fresh client is served again, polled for @p limit at most.
bool servedAgainWithin(const ServerProcess& server, std::chrono::milliseconds limit);

/// @brief The server warmed up (threads, databases, children), then quiet for a moment.
void warmUp(const ServerProcess& server);

/// @brief A number from /proc/PID/status ("Threads:", ...); -1 if missing.
long procStatusValue(pid_t pid, const std::string& key);

/// @brief User + system CPU time of @p pid so far, in clock ticks (/proc/PID/stat).
long cpuTicks(pid_t pid);

/// @brief Waits until @p measure() <= @p limit, at most @p timeout.
/// @return the last value measured.
template <class Measure>
long waitUntilAtMost(Measure measure, long limit, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  long value = measure();
  while (value > limit && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    value = measure();
  }
  return value;
}

/// What a crowd of raw clients got: served (OK) or told BUSY with the message asked for.
struct Answers {
  int served = 0;
  int busy = 0;
};

/// @brief Sends one list request on each socket and counts the answers. A
/// client turned away on connecting has its BUSY waiting already; Linux keeps
/// it for us to read even after our request draws a reset from the closed socket.
Answers askEach(const std::vector<Fd>& sockets, const std::string& busy_message);

}  // namespace mc::test
