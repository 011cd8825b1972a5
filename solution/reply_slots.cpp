/// @file reply_slots.cpp
/// @brief The server's pool of free reply slots.
/// Runs in: the server's connection threads.
#include "reply_slots.hpp"

#include <cassert>

namespace mc {

SlotPool::SlotPool(std::uint32_t count) : available_{count, Semaphore::Scope::kThreads} {
  free_.reserve(count);
  for (std::uint32_t slot = count; slot > 0; --slot) free_.push_back(slot - 1);
}

std::optional<std::uint32_t> SlotPool::acquire(std::chrono::milliseconds timeout) {
  // The semaphore says a number is free; the mutex guards taking it off the list.
  if (!available_.waitFor(timeout)) return std::nullopt;
  std::scoped_lock lock(mutex_);
  assert(!free_.empty());
  const std::uint32_t slot = free_.back();
  free_.pop_back();
  return slot;
}

void SlotPool::release(std::uint32_t slot) {
  {
    std::scoped_lock lock(mutex_);
    free_.push_back(slot);
  }
  available_.post();
}

}  // namespace mc
