/// @file shutdown_signals.hpp
/// @brief ShutdownSignals: SIGINT, SIGTERM and SIGCHLD turned into descriptors
/// that poll() can wait on (the self-pipe trick).
/// Runs in: the server. Owns: two pipes and the process's handlers for those
/// three signals (one instance per process).
///
/// A signal handler may do almost nothing safely: no locks, no malloc, no
/// logging. Ours writes one byte into a pipe, and the threads that poll the
/// pipe's read end do the real work in normal code.
///  - stop pipe: a byte in it means "shut down". Nobody ever reads the byte,
///    so it stays readable: one signal wakes every thread that polls it, now
///    and later (a broadcast).
///  - child pipe: a byte means "a child exited"; the main loop drains it and
///    reaps with waitpid.
#pragma once

#include "fd.hpp"

namespace mc {

/// The server's view of its signals.
class ShutdownSignals {
 public:
  /// @brief Makes the pipes and installs the handlers. (SIGPIPE is left
  /// alone: the server ignores it from its first service child on,
  /// ignoreSigpipe in service_child.hpp.)
  /// @throws std::system_error. Only one instance may exist at a time.
  ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;
  /// @brief Restores the default handlers, then closes the pipes.
  ~ShutdownSignals();

  /// @brief Readable once SIGINT or SIGTERM arrived (or requestStop ran).
  const Fd& stopFd() const { return stop_.read_end; }
  /// @brief Readable while a SIGCHLD has not been drained.
  const Fd& childFd() const { return child_.read_end; }

  /// @brief What a SIGTERM would do. Thread-safe.
  void requestStop();
  /// @brief Empties the child pipe; call before reaping.
  void drainChildEvents();

 private:
  Pipe stop_;
  Pipe child_;
};

}  // namespace mc
