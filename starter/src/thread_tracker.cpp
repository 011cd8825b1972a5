/// @file thread_tracker.cpp
/// @brief Counting threads in and out.
/// Runs in: the server and the service children.
#include "thread_tracker.hpp"

namespace mc {

ThreadTracker::Ticket ThreadTracker::enter() {
  std::scoped_lock lock(mutex_);
  ++active_;
  return Ticket{*this};
}

void ThreadTracker::leave() {
  std::scoped_lock lock(mutex_);
  // Notify while holding the lock: the waiter may destroy us as soon as it
  // sees zero, so we must not touch idle_ after releasing mutex_.
  if (--active_ == 0) idle_.notify_all();
}

bool ThreadTracker::waitUntilIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return active_ == 0; });
}

std::size_t ThreadTracker::active() const {
  std::scoped_lock lock(mutex_);
  return active_;
}

}  // namespace mc
