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
  // TODO(lab4): put the numbers 0 .. count-1 into free_ (reserve first). The semaphore
  //   already counts `count`: the list must hold exactly that many numbers.
  notImplemented(4, "SlotPool::SlotPool in reply_slots.cpp");
}

std::optional<std::uint32_t> SlotPool::acquire([[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO(lab4): first the semaphore, then the mutex, never the other way round.
  //   - available_.waitFor(timeout); false: return std::nullopt (the caller decides whether
  //     to wait again).
  //   - Then, under a std::scoped_lock on mutex_, take the LAST number (back, pop_back) and
  //     return it: a slot just given back is the next one out (the tests expect that).
  //     assert(!free_.empty()): the semaphore promised a number.
  //   - Sleeping on the semaphore while holding the mutex would deadlock: release() needs
  //     the mutex to give a number back.
  notImplemented(4, "SlotPool::acquire in reply_slots.cpp");
}

void SlotPool::release([[maybe_unused]] std::uint32_t slot) {
  // TODO(lab4): the reverse order of acquire: push `slot` back onto free_ under the mutex,
  //   let the lock go, THEN available_.post(). Posting first would let another thread
  //   take a count while the number is not yet on the list.
  notImplemented(4, "SlotPool::release in reply_slots.cpp");
}

}  // namespace mc
