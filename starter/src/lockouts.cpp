/// @file lockouts.cpp
/// @brief Counting wrong pickup codes per user, and locking guessers out.
/// Runs in: the process that runs the parcel or food service.
/// Owns: the table of users with recent wrong codes (memory only).
#include "lockouts.hpp"

#include <algorithm>
#include <stdexcept>

namespace mc {

namespace {

LockoutPolicy checkedPolicy(LockoutPolicy policy) {
  if (policy.attempts < 1 || policy.seconds < 1)
    throw std::invalid_argument("lockout attempts and seconds must be at least 1");
  return policy;
}

}  // namespace

Lockouts::Lockouts(LockoutPolicy policy)
    : policy_{checkedPolicy(policy)}, window_{std::chrono::seconds(policy_.seconds)} {}

bool Lockouts::isLockedOut(std::uint32_t user, Clock::time_point now) const {
  const auto found = users_.find(user);
  return found != users_.end() && now < found->second.locked_until;
}

bool Lockouts::recordFailure(std::uint32_t user, Clock::time_point now) {
  if (!users_.contains(user)) makeRoom(now);
  Entry& entry = users_[user];
  if (entry.failures == 0 || now - entry.window_start >= window_) {
    entry.failures = 0;  // the old window is over: start counting again
    entry.window_start = now;
  }
  if (++entry.failures < policy_.attempts) return false;
  entry.failures = 0;  // the lockout itself is the punishment; counting restarts after it
  entry.locked_until = now + window_;
  return true;
}

int Lockouts::secondsLeft(std::uint32_t user, Clock::time_point now) const {
  const auto found = users_.find(user);
  if (found == users_.end() || now >= found->second.locked_until) return 0;
  const auto left = found->second.locked_until - now;
  return static_cast<int>(std::chrono::ceil<std::chrono::seconds>(left).count());
}

// An entry is stale when it no longer changes any answer: its lockout is over
// and its window of failures has closed.
bool Lockouts::isStale(const Entry& entry, Clock::time_point now) const {
  return now >= entry.locked_until && now - entry.window_start >= window_;
}

// Called before adding a user. Dropping stale entries is free; only a table
// full of fresh ones (a guesser inventing user ids) costs an eviction.
void Lockouts::makeRoom(Clock::time_point now) {
  if (users_.size() < kMaxTracked) return;
  std::erase_if(users_, [&](const auto& item) { return isStale(item.second, now); });
  if (users_.size() >= kMaxTracked) evictOne();
}

// Forgets the user whose last event (failure window or lockout) is oldest:
// the one closest to being stale anyway.
void Lockouts::evictOne() {
  auto lastEvent = [](const Entry& entry) { return std::max(entry.window_start, entry.locked_until); };
  const auto oldest = std::min_element(users_.begin(), users_.end(), [&](const auto& a, const auto& b) {
    return lastEvent(a.second) < lastEvent(b.second);
  });
  if (oldest != users_.end()) users_.erase(oldest);
}

}  // namespace mc
