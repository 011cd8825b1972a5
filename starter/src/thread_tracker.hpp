/// @file thread_tracker.hpp
/// @brief ThreadTracker: counts detached threads so their owner can wait for
/// all of them to finish before it goes away.
/// Runs in: the server (connection threads) and each service child (request
/// threads). Owns: nothing but the count.
///
/// A detached thread cannot be joined, yet something must still know when it
/// has ended, or the objects it uses could be destroyed under it. Each thread
/// holds a Ticket for its whole life; the owner calls waitUntilIdle() before
/// destroying what the threads use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>

namespace mc {

/// Counts live threads. Thread-safe.
class ThreadTracker {
 public:
  /// Held by a thread for as long as it runs; leaving the count on destruction.
  class Ticket {
   public:
    /// @brief A ticket already counted in @p tracker (see ThreadTracker::enter()).
    explicit Ticket(ThreadTracker& tracker) : tracker_{&tracker} {}
    /// @brief Takes over @p other's place in the count.
    Ticket(Ticket&& other) noexcept : tracker_{std::exchange(other.tracker_, nullptr)} {}
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket() {
      if (tracker_ != nullptr) tracker_->leave();
    }

   private:
    ThreadTracker* tracker_;
  };

  ThreadTracker() = default;
  ThreadTracker(const ThreadTracker&) = delete;
  ThreadTracker& operator=(const ThreadTracker&) = delete;
  /// @brief Waits (unbounded) for every ticket: threads must not outlive us.
  ~ThreadTracker() { waitUntilIdle(std::chrono::hours(24 * 365)); }

  /// @brief Counts one more thread; call before starting it, hand it the ticket.
  Ticket enter();
  /// @brief Waits until no thread holds a ticket, at most @p timeout.
  /// @return true if the count reached zero.
  bool waitUntilIdle(std::chrono::milliseconds timeout);
  /// @brief Threads currently holding a ticket.
  std::size_t active() const;

 private:
  void leave();

  mutable std::mutex mutex_;
  std::condition_variable idle_;  // notified when active_ drops to 0
  std::size_t active_ = 0;        // guarded by mutex_
};

}  // namespace mc
