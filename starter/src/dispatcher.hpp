/// @file dispatcher.hpp
/// @brief Dispatcher: how a connection's request reaches its service. Each
/// stage of the labs is one implementation:
///   stage 1, 2  InlineDispatcher     the service runs in the calling thread
///   stage 3     PipeDispatcher       a child process per service, fed by pipes
///   stage 4     SemaphoreDispatcher  pipes + semaphores + reply slots
/// Runs in: the server process.
#pragma once

#include "protocol.hpp"

namespace mc {

/// Sends requests to services and brings their replies back.
class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  Dispatcher() = default;
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// @brief Runs @p request on @p service and returns the reply that
  /// service made for exactly this request. Never throws.
  /// Thread safety: thread-safe in every stage but 1 (stage 1 has one thread).
  virtual Reply dispatch(Service service, const Request& request) = 0;

  /// @brief Reaps service children that have exited (called by the main
  /// loop after SIGCHLD). Their services answer UNAVAILABLE from then on.
  virtual void reapChildren() {}
};

/// @brief The reply when @p service's child is gone: UNAVAILABLE, naming the
/// service. Used by the stage 3 and 4 dispatchers. (dispatcher.cpp)
Reply unavailableReply(Service service, const Request& request);

}  // namespace mc
