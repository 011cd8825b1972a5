/// @file semaphore_dispatcher.hpp
/// @brief Stage 4, the full design: per service a child process, a request
/// pipe, a doorbell semaphore and reply slots in shared memory, so that many
/// requests to one service are in flight at once and each finds its own reply.
/// Runs in: the server. Owns: the children, the shared channels, the server's
/// pipe ends and the slot pools.
#pragma once

#include <array>
#include <memory>

#include "child_process.hpp"
#include "dispatcher.hpp"
#include "fd.hpp"
#include "reply_slots.hpp"
#include "service_state.hpp"

namespace mc {

/// Routes requests through pipes and semaphores; see reply_slots.hpp for why
/// every reply reaches the thread that asked.
class SemaphoreDispatcher final : public Dispatcher {
 public:
  /// @brief Maps the shared channels and forks the three service children.
  /// Call before starting any thread.
  /// @param options where the databases live and how big the cabinets are.
  /// @param pool_workers 0: each child starts a thread per request
  ///        (semaphore_child.hpp); N > 0: each child keeps N worker threads
  ///        (lab 6, worker_pool.hpp).
  /// @throws std::system_error if a mapping, a pipe or a fork fails.
  explicit SemaphoreDispatcher(const ServiceOptions& options, int pool_workers = 0);
  /// @brief Tells each child to stop, reaps it, then unmaps the channels.
  /// Requests must no longer be in flight.
  ~SemaphoreDispatcher() override;

  /// @brief Sends @p request to @p service and waits for its own reply.
  /// UNAVAILABLE if the child is gone or dies meanwhile. Thread-safe.
  Reply dispatch(Service service, const Request& request) override;
  /// @brief Reaps children that have exited. Main thread only.
  void reapChildren() override;

 private:
  /// The server's side of one service child.
  struct Link {
    Link() : slots{kSlotsPerService} {}
    SharedMemory<ServiceChannel> channel;  // shared with the child
    Fd requests;                           // write end of the request pipe
    SlotPool slots;                        // free slot numbers of channel->slots
    std::unique_ptr<ChildProcess> child;   // declared last: reaped before the rest goes
  };

  Reply roundTrip(Link& link, Service service, const Request& request, std::uint32_t slot);
  bool awaitFeedback(Link& link, ReplySlot& slot);

  std::array<Link, kServiceCount> links_;
};

}  // namespace mc
