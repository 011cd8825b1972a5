/// @file stop_forwarder.hpp
/// @brief StopForwarder: one thread that waits for the stop pipe and then
/// ends every connection's wait for its next request.
/// Runs in: the server. Owns: its thread and a pipe to wake it with.
///
/// The stop pipe (shutdown_signals.hpp) wakes whoever polls it. The main loop
/// does; a connection waiting for its client's next request does not: it is
/// blocked in read() on its socket (one system call per request instead of a
/// poll() and a read()). This thread is the bridge: it polls the stop pipe
/// and, once it is readable, calls OpenConnections::closeAllForReading(), so
/// each of those reads returns end of file and its connection finishes. In
/// stage 1 the main thread itself is the one blocked in read().
#pragma once

#include <thread>

#include "fd.hpp"
#include "open_connections.hpp"

namespace mc {

/// Forwards the stop pipe to the open connections, once. Non-copyable.
class StopForwarder {
 public:
  /// @brief Starts the thread. @p stop and @p connections must outlive us.
  /// @throws std::system_error if the pipe or the thread cannot be made.
  StopForwarder(const Fd& stop, OpenConnections& connections);
  StopForwarder(const StopForwarder&) = delete;
  StopForwarder& operator=(const StopForwarder&) = delete;
  /// @brief Wakes the thread if it still waits (a server leaving without a
  /// stop signal, on an exception), then joins it.
  ~StopForwarder();

 private:
  static void forward(const Fd& stop, const Fd& quit, OpenConnections& connections);

  Pipe quit_;            // a byte in it: leave without closing anything
  std::thread thread_;  // started last, joined first
};

}  // namespace mc
