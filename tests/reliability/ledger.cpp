/// @file ledger.cpp
/// @brief The ledger of acknowledged operations, and the promises it checks
/// as they are recorded (a code handed out twice, a pickup acknowledged twice,
/// an acknowledged deposit that a pickup no longer finds).
/// Runs in: the reliability test process, any thread. Owns: its records.
#include "ledger.hpp"

namespace mc::test {

std::string describeKey(const CodeKey& key) {
  return std::string(serviceName(key.service)) + " code " + key.code;
}

std::uint64_t Ledger::depositAcked(const CodeKey& key, const std::string& locker, pid_t pid) {
  std::scoped_lock lock(mutex_);
  ++totals_.acknowledged;
  ++totals_.deposits;
  const std::uint64_t issue = ++issued_;
  auto [entry, added] = deposits_.try_emplace(key, Deposit{locker, Fate::kHeld, pid, issue});
  if (added) return issue;
  const bool quarantined = entry->second.fate == Fate::kHeld ||
                           pickups_sent_ - entry->second.pickup_sent_at < kQuarantinePickups;
  if (quarantined) ++totals_.reissued;
  if (quarantined && reissues_.size() < 10)
    reissues_.push_back(describeKey(key) + ": " + entry->second.locker + " (pid " +
                        std::to_string(entry->second.acked_by) + "), then " + locker + " (pid " +
                        std::to_string(pid) + ")");
  // A code may come back once its compartment is empty again, never while
  // an acknowledged deposit still holds it. (Once a pickup of it was sent it
  // may: that pickup has happened, even if its reply is still on its way or
  // never came. That reply names the earlier issue, so the pickup methods
  // leave this new deposit alone.)
  if (entry->second.fate == Fate::kHeld)
    violations_.push_back(describeKey(key) + " handed out again while " + entry->second.locker + " holds it");
  entry->second = Deposit{locker, Fate::kHeld, pid, issue};
  return issue;
}

void Ledger::pickupSent(const CodeKey& key, std::uint64_t issue) {
  std::scoped_lock lock(mutex_);
  auto entry = deposits_.find(key);
  ++pickups_sent_;
  if (entry != deposits_.end() && entry->second.issue == issue && entry->second.fate == Fate::kHeld) {
    entry->second.fate = Fate::kPickupSent;
    entry->second.pickup_sent_at = pickups_sent_;
  }
}

void Ledger::pickupAcked(const CodeKey& key, std::uint64_t issue, const std::string& locker) {
  std::scoped_lock lock(mutex_);
  ++totals_.acknowledged;
  auto entry = deposits_.find(key);
  if (entry == deposits_.end()) {
    violations_.push_back(describeKey(key) + " opened, but no deposit of it was acknowledged");
    return;
  }
  if (entry->second.issue != issue) return;  // handed out again since: this pickup freed the earlier deposit
  if (entry->second.fate == Fate::kPickedUp) violations_.push_back(describeKey(key) + " picked up twice");
  if (entry->second.locker != locker)
    violations_.push_back(describeKey(key) + " opened " + locker + ", deposited in " + entry->second.locker);
  entry->second.fate = Fate::kPickedUp;
}

void Ledger::pickupUnknown(const CodeKey& key, std::uint64_t issue) {
  std::scoped_lock lock(mutex_);
  ++totals_.unknown;
  auto entry = deposits_.find(key);
  if (entry != deposits_.end() && entry->second.issue == issue && entry->second.fate != Fate::kPickedUp)
    entry->second.fate = Fate::kPickupUnknown;
}

// Also when the code was handed out again meanwhile: only this pickup could
// have freed this deposit, and the server says it did not.
void Ledger::pickupRefused(const CodeKey& key, std::uint64_t issue, Status status) {
  std::scoped_lock lock(mutex_);
  ++totals_.refused;
  auto entry = deposits_.find(key);
  if (entry != deposits_.end() && (entry->second.issue != issue || entry->second.fate != Fate::kPickedUp))
    violations_.push_back(describeKey(key) + ": acknowledged deposit refused at pickup with " +
                          std::string(statusName(status)) + " (lost?)");
}

void Ledger::buyAcked(const std::string& product) {
  std::scoped_lock lock(mutex_);
  ++totals_.acknowledged;
  ++buys_acked_[product];
}

void Ledger::buyUnknown(const std::string& product) {
  std::scoped_lock lock(mutex_);
  ++totals_.unknown;
  ++buys_unknown_[product];
}

void Ledger::count(bool acknowledged, bool unknown) {
  std::scoped_lock lock(mutex_);
  if (acknowledged) ++totals_.acknowledged;
  else if (unknown) ++totals_.unknown;
  else ++totals_.refused;
}

void Ledger::violation(const std::string& what) {
  std::scoped_lock lock(mutex_);
  violations_.push_back(what);
}

std::map<CodeKey, Ledger::Deposit> Ledger::deposits() const {
  std::scoped_lock lock(mutex_);
  return deposits_;
}

std::map<std::string, int> Ledger::buysAcked() const {
  std::scoped_lock lock(mutex_);
  return buys_acked_;
}

std::map<std::string, int> Ledger::buysUnknown() const {
  std::scoped_lock lock(mutex_);
  return buys_unknown_;
}

std::vector<std::string> Ledger::violations() const {
  std::scoped_lock lock(mutex_);
  return violations_;
}

std::vector<std::string> Ledger::reissues() const {
  std::scoped_lock lock(mutex_);
  return reissues_;
}

LedgerTotals Ledger::totals() const {
  std::scoped_lock lock(mutex_);
  return totals_;
}

}  // namespace mc::test
