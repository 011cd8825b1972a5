/// @file lockouts.hpp
/// @brief Lockouts: after too many wrong pickup codes, a user may not try
/// again for a while, so the million codes cannot be guessed one by one.
/// Runs in: the process that runs the parcel or food service (one Lockouts per
/// LockerService). Owns: an in-memory table of users with recent wrong codes.
///
/// Model: a user who gives `attempts` wrong codes within `seconds` is locked
/// out for `seconds`: every pickup from that user is refused, even one with
/// the right code, until the time is up. A right code does NOT clear earlier
/// failures: otherwise a guesser with one parcel of their own could reset the
/// count after every few guesses.
///
/// The table lives in memory, per service: a restarted service child starts
/// with an empty table, and the parcel and food services count separately.
/// User ids are not authenticated (docs/protocol.md), so this slows down a
/// guesser who keeps one id; the table is bounded (kMaxTracked) so a guesser
/// who invents ids cannot grow it without limit.
///
/// Interface:
///   isLockedOut(user, now)   before looking the code up
///   recordFailure(user, now) after a wrong code
/// Times are passed in, so tests can move the clock without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>

namespace mc {

/// How many wrong codes lock a user out, and for how long.
struct LockoutPolicy {
  int attempts = 5;   ///< wrong codes within `seconds` that lock the user out (>= 1)
  int seconds = 60;   ///< the window that counts failures, and the lockout's length (>= 1)
};

/// The wrong-code counts of one service's users.
/// Thread safety: not thread-safe; its LockerService is serialized by the caller.
class Lockouts {
 public:
  using Clock = std::chrono::steady_clock;  ///< monotonic: a clock change cannot lift a lockout

  /// Most users tracked at once; beyond it, stale entries go first (see evictOne()).
  static constexpr std::size_t kMaxTracked = 4096;

  /// @brief An empty table applying @p policy.
  /// @throws std::invalid_argument if attempts or seconds is below 1.
  explicit Lockouts(LockoutPolicy policy = {});

  /// @brief True while @p user is locked out at @p now.
  bool isLockedOut(std::uint32_t user, Clock::time_point now) const;

  /// @brief Counts a wrong code from @p user at @p now.
  /// @return true if this failure started a lockout.
  bool recordFailure(std::uint32_t user, Clock::time_point now);

  /// @brief Whole seconds (rounded up) until @p user's lockout ends; 0 if none.
  int secondsLeft(std::uint32_t user, Clock::time_point now) const;

  /// @brief Users in the table now (for tests).
  std::size_t tracked() const { return users_.size(); }

 private:
  /// One user's recent failures.
  struct Entry {
    int failures = 0;                  ///< wrong codes since window_start
    Clock::time_point window_start{};  ///< first failure of the current window
    Clock::time_point locked_until{};  ///< refused before this; epoch = never locked
  };

  bool isStale(const Entry& entry, Clock::time_point now) const;
  void makeRoom(Clock::time_point now);
  void evictOne();

  LockoutPolicy policy_;
  Clock::duration window_;
  std::unordered_map<std::uint32_t, Entry> users_;
};

}  // namespace mc
