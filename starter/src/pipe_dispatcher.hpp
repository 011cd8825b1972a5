/// @file pipe_dispatcher.hpp
/// @brief Stage 3: one child process per service, fed through a request pipe
/// and answering through a reply pipe, one request at a time.
/// Runs in: the server. Owns: the three children and the server's ends of
/// their pipes.
#pragma once

#include <array>
#include <memory>
#include <mutex>

#include "child_process.hpp"
#include "dispatcher.hpp"
#include "fd.hpp"
#include "service_state.hpp"

namespace mc {

/// Sends each request down its service's pipe and waits for the reply.
class PipeDispatcher final : public Dispatcher {
 public:
  /// @brief Forks the three service children. Call before starting any thread.
  /// @throws std::system_error if a pipe or a fork fails.
  explicit PipeDispatcher(const ServiceOptions& options);
  /// @brief Closes the request pipes (each child reads end of file and exits)
  /// and reaps the children.
  ~PipeDispatcher() override;

  /// @brief Writes @p request to @p service's pipe and reads its reply.
  /// UNAVAILABLE if the child is gone. Thread-safe: one request per service
  /// at a time (the service's mutex is held for the round trip).
  Reply dispatch(Service service, const Request& request) override;
  /// @brief Reaps children that have exited. Main thread only.
  void reapChildren() override;

 private:
  /// The server's side of one service child.
  struct Link {
    // Held for a whole round trip: the reply pipe is shared by every request
    // to this service, so the next request may not be written until the
    // previous reply has been read, or the replies could be swapped.
    std::mutex mutex;
    Fd requests;  // write end of the request pipe; guarded by mutex
    Fd replies;   // read end of the reply pipe; guarded by mutex
    std::unique_ptr<ChildProcess> child;
  };

  std::array<Link, kServiceCount> links_;
};

}  // namespace mc
