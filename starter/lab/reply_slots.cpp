/// @file reply_slots.cpp
/// @brief The server's pool of free reply slots.
/// Runs in: the server's connection threads.
/// Owns: the list of free slot numbers of one service.
///
/// Your version (lab 4). Two things guard the list, each for its own job:
///   available_  a counting semaphore, one count per free number: acquire()
///               sleeps on it while every slot is in use (backpressure: a
///               65th request waits instead of growing a queue without end);
///   mutex_      guards free_ itself: the semaphore says SOME number is free,
///               the mutex makes taking it off the vector safe.
/// The invariant: available_'s count == free_.size() whenever mutex_ is free.
#include "reply_slots.hpp"

#include <cassert>

#include "todo.hpp"

namespace mc {

SlotPool::SlotPool(std::uint32_t count) : available_{count, Semaphore::Scope::kThreads} {
  // TODO(lab4): every slot number 0 .. count-1 is free, so the invariant above holds from
  //   the start (the semaphore already counts `count`).
  // Hints: labs/04-semaphores/HINTS.md#slotpool-constructor
  notImplemented(4, "SlotPool::SlotPool in reply_slots.cpp");
}

std::optional<std::uint32_t> SlotPool::acquire([[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO(lab4): a slot number that now belongs to the caller alone, or nullopt if none came
  //   free within `timeout` (the caller decides whether to try again). The number released
  //   last is handed out first (the tests count on it). Never sleep holding mutex_:
  //   release() needs it to give a number back, so a sleeper holding it would deadlock.
  // Hints: labs/04-semaphores/HINTS.md#slotpoolacquire
  notImplemented(4, "SlotPool::acquire in reply_slots.cpp");
}

void SlotPool::release([[maybe_unused]] std::uint32_t slot) {
  // TODO(lab4): `slot` is free again and the invariant holds: a thread woken by the
  //   semaphore must always find a number on free_.
  // Hints: labs/04-semaphores/HINTS.md#slotpoolrelease
  notImplemented(4, "SlotPool::release in reply_slots.cpp");
}

}  // namespace mc
