/// @file child_process.hpp
/// @brief ChildProcess: the one owner of a forked child's pid, from fork() to
/// the waitpid() that reaps it.
/// Runs in: the server. Owns: one child process until it is reaped.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

namespace mc {

/// A child process that cannot be forgotten: destroying a ChildProcess that is
/// still running kills and reaps it, so no child outlives its owner as an
/// orphan and none stays a zombie.
class ChildProcess {
 public:
  /// @brief fork()s. The child runs @p body and leaves with _exit(its result),
  /// never returning into the caller's code; the parent gets the handle.
  /// Call it before the process has started any thread, or give it a body
  /// that calls only async-signal-safe functions until it execs (see the .cpp).
  /// @throws std::system_error naming fork on failure.
  ChildProcess(std::string name, const std::function<int()>& body);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  /// @brief Kills (SIGKILL) and reaps the child if it was not reaped yet.
  ~ChildProcess();

  /// @brief The child's pid (still meaningful after it was reaped, for logs).
  pid_t pid() const { return pid_; }
  /// @brief "parcel", ... as given to the constructor.
  const std::string& name() const { return name_; }
  /// @brief False once the child has been reaped. Thread-safe.
  bool running() const { return !reaped_.load(std::memory_order_acquire); }

  /// @brief Reaps the child if it has exited (waitpid with WNOHANG).
  /// @return true if it has been reaped, now or before.
  /// Thread safety: call from one thread only (the server's main thread).
  bool tryReap();

  /// @brief Waits up to @p grace for the child to exit by itself (the owner
  /// has asked it to), then kills it with SIGKILL; reaps it either way.
  /// @return the raw wait status. Same thread rule as tryReap().
  int reapWithin(std::chrono::milliseconds grace);

  /// @brief The raw wait status; meaningful once !running().
  /// kUnknownWaitStatus if waitpid found nothing to reap (ECHILD).
  int waitStatus() const { return status_; }

 private:
  std::string name_;
  pid_t pid_ = -1;
  int status_ = 0;
  std::atomic<bool> reaped_{false};  // written by the reaping thread, read by any
};

/// What the status of a child reaped by someone else reads: no real wait
/// status is -1 (its low 7 bits, 0x7f, would mean "stopped").
inline constexpr int kUnknownWaitStatus = -1;

/// @brief "exited with 0", "killed by signal 9", ... for a wait status.
std::string describeWaitStatus(int status);

}  // namespace mc
