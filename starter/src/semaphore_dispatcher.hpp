/// @file semaphore_dispatcher.hpp
/// @brief Stage 4, the full design: per service a child process, a request
/// pipe, a doorbell semaphore and reply slots in shared memory, so that many
/// requests to one service are in flight at once and each finds its own reply.
/// Runs in: the server. Owns: the children, the shared channels, the server's
/// pipe ends and the slot pools (one Link per service, replaced whole when a
/// dead child is restarted).
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

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
  /// @brief Reaps children that have exited and restarts their services
  /// (restartService). Main thread only. (Given: semaphore_links.cpp.)
  void reapChildren() override;

  /// Restarts allowed per service within kRestartWindow; after that the
  /// service stays down (UNAVAILABLE) instead of fork-looping a child that
  /// dies as soon as it starts.
  static constexpr int kMaxRestarts = 5;
  /// See kMaxRestarts.
  static constexpr std::chrono::seconds kRestartWindow{10};

 private:
  /// The server's side of one service child. Replaced whole, never repaired,
  /// when the child dies: a killed child may have died in the middle of a
  /// sem_post, so its successor gets fresh semaphores, a fresh pipe and
  /// fresh slots. Whoever still holds the old one (a request in flight) keeps
  /// it alive until it lets go.
  struct Link {
    /// A channel in anonymous shared memory: for a child made by fork().
    Link() : slots{kSlotsPerService} {}
    /// A channel made by the caller: a memfd one, for a child made by exec.
    explicit Link(SharedMemory<ServiceChannel> shared) : channel{std::move(shared)}, slots{kSlotsPerService} {}
    SharedMemory<ServiceChannel> channel;  // shared with the child
    Fd requests;                           // write end of the request pipe
    SlotPool slots;                        // free slot numbers of channel->slots
    std::unique_ptr<ChildProcess> child;   // declared last: reaped before the rest goes
  };

  // Given (semaphore_links.cpp): the table of current links.

  /// @brief The service's link right now. Thread-safe (takes links_mutex_).
  std::shared_ptr<Link> currentLink(Service service) const;
  /// @brief Makes @p link the service's link. @return the one it replaces
  /// (the caller lets go of it outside the lock). Thread-safe.
  std::shared_ptr<Link> replaceLink(Service service, std::shared_ptr<Link> link);

  Reply roundTrip(Link& link, Service service, const Request& request, std::uint32_t slot);
  bool awaitFeedback(Link& link, ReplySlot& slot);

  /// @brief Starts a new child for @p service with fork + exec
  /// (service_exec.hpp) on a fresh Link and swaps it in; within the restart
  /// budget only. Failures are logged; the service then stays down.
  /// Main thread only. (service_restart.cpp)
  void restartService(Service service);
  /// @brief Counts one restart of @p service against the budget.
  /// @return false if kMaxRestarts happened within kRestartWindow already.
  /// Main thread only. (Given: semaphore_links.cpp.)
  bool takeRestart(Service service);

  mutable std::mutex links_mutex_;
  std::array<std::shared_ptr<Link>, kServiceCount> links_;  // guarded by links_mutex_
  // When each service was restarted lately. Main thread only.
  std::array<std::vector<std::chrono::steady_clock::time_point>, kServiceCount> restarts_;
};

}  // namespace mc
