/// @file reply_slots.hpp
/// @brief Stage 4's shared memory: per service, a doorbell and a table of
/// reply slots, each with its own feedback semaphore; and the server's pool
/// of free slots.
/// Runs in: the server and the service children. Owns: SlotPool owns the list
/// of free slot numbers (server side only).
///
/// How every client gets exactly its own reply, whatever the interleaving:
///  1. A connection thread first takes a free slot number s from the SlotPool.
///     Until it gives s back, no other thread can use slot s.
///  2. It writes a RequestRecord carrying s into the service's request pipe
///     (one atomic write) and posts the doorbell.
///  3. The child answers that record into slots[s].reply and posts
///     slots[s].feedback. Nobody but the owner of s waits on that semaphore,
///     so the wake-up goes to the right thread, and the reply it reads is the
///     one for its own request.
/// The seed shared one feedback semaphore and one reply pipe per service:
/// whichever thread woke first took whichever reply came first.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "records.hpp"
#include "shared_semaphore.hpp"

namespace mc {

/// Requests in flight per service, at most. This also bounds the request
/// pipe's contents (64 x 280 bytes), so writing to it never blocks.
inline constexpr std::uint32_t kSlotsPerService = 64;

/// Where one request's reply lands.
struct ReplySlot {
  Semaphore feedback{0, Semaphore::Scope::kProcesses};  ///< posted once the reply is in
  ReplyRecord reply{};  ///< written by the child before it posts feedback
};

/// Everything one service child shares with the server. Lives in a
/// SharedMemory mapping made before the child is forked.
struct ServiceChannel {
  Semaphore doorbell{0, Semaphore::Scope::kProcesses};  ///< one post per request in the pipe
  std::atomic<bool> stopping{false};  ///< set by the server, then it rings once more
  ReplySlot slots[kSlotsPerService];  ///< slot s answers the request that named s
};

// An atomic shared between processes must not hide a lock in the process.
static_assert(std::atomic<bool>::is_always_lock_free);

/// The server's list of free slot numbers, with a counting semaphore so that
/// taking one waits while all are in use (backpressure, not unbounded growth).
/// Thread-safe.
class SlotPool {
 public:
  /// @brief All of slots 0 .. @p count-1 start free.
  explicit SlotPool(std::uint32_t count);

  /// @brief Takes a free slot, waiting at most @p timeout for one.
  std::optional<std::uint32_t> acquire(std::chrono::milliseconds timeout);
  /// @brief Gives back @p slot, taken by acquire(). Its feedback must be at 0.
  void release(std::uint32_t slot);

 private:
  Semaphore available_;  // counts the numbers in free_
  std::mutex mutex_;
  std::vector<std::uint32_t> free_;  // guarded by mutex_
};

}  // namespace mc
