/// @file ledger.hpp
/// @brief Ledger: what the fault-injection suite's clients were told, so that
/// after the crashes it can check that nothing acknowledged was lost or done
/// twice.
/// Runs in: the reliability test process (client threads record, the test's
/// main thread checks). Owns: the records, under one mutex.
///
/// Every operation a client sends ends in one of three ways:
///   acknowledged  an OK reply: the server promised it happened;
///   refused       a definite "no" (FULL, WRONG_CODE, BUSY...): it did not;
///   unknown       UNAVAILABLE, INTERNAL_ERROR, or the connection was lost:
///                 the child may have committed it just before it died.
/// The checks only trust the first two, and allow anything for the third.
#pragma once

#include <sys/types.h>

#include <compare>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "locker_service.hpp"
#include "protocol.hpp"

namespace mc::test {

/// A pickup code of one service (parcel and food codes are separate spaces).
struct CodeKey {
  Service service = Service::kParcel;
  std::string code;
  auto operator<=>(const CodeKey&) const = default;
};

/// How many operations ended which way.
struct LedgerTotals {
  long acknowledged = 0;
  long refused = 0;
  long unknown = 0;
  long deposits = 0;  ///< acknowledged deposits (also counted in acknowledged)
  /// Acknowledged deposits whose code an earlier acknowledged deposit of this
  /// run had been given, and whose pickup was sent fewer than
  /// kQuarantinePickups pickups before: within the server's code quarantine
  /// (locker_service.hpp). There must be none.
  long reissued = 0;
};

/// Thread-safe: every method takes the ledger's mutex.
class Ledger {
 public:
  /// Where an acknowledged deposit stands now.
  enum class Fate {
    kHeld,            ///< in its locker: no pickup of it was sent yet
    kPickupSent,      ///< a pickup is on its way; the code may be free already
    kPickedUp,        ///< a pickup of it was acknowledged
    kPickupUnknown,   ///< a pickup of it ended unknown: maybe out, maybe in
  };
  /// One acknowledged deposit.
  struct Deposit {
    std::string locker;
    Fate fate = Fate::kHeld;
    pid_t acked_by = 0;  ///< the service child that acknowledged it (for failure messages)
    std::uint64_t issue = 0;  ///< which acknowledged deposit this is (see depositAcked)
    std::uint64_t pickup_sent_at = 0;  ///< how many pickups were sent before its own (kPickupSent and later)
  };

  /// A code freed by a pickup may come back once the server has freed
  /// LockerService::kMaxQuarantined codes after it (its quarantine holds the
  /// newest ones only). Pickups still in flight when it was sent may be freed
  /// after it without having been sent after it, so some slack for them.
  static constexpr std::uint64_t kQuarantinePickups = LockerService::kMaxQuarantined - 1'000;

  /// @brief An OK deposit of @p key into @p locker, from child @p pid.
  /// @return its issue number, unique in this ledger: the client passes it
  /// with every pickup of this deposit.
  ///
  /// Why pickups name the issue, not just the code: the server may free a
  /// code and hand it out again (a fresh random draw that happens to hit it)
  /// before the freeing pickup's reply reaches its client. That late reply is
  /// about the earlier deposit of the code, not the new one; applied to the
  /// new one it reported "opened P-x, deposited in P-y" and later "picked up
  /// twice" although the server did nothing wrong.
  std::uint64_t depositAcked(const CodeKey& key, const std::string& locker, pid_t pid);
  /// @brief A pickup of deposit @p issue of @p key is about to be sent (the
  /// server may free the code, and hand it out again, before the reply
  /// reaches us). The pickup methods ignore a reply about an issue that is no
  /// longer the code's latest: that pickup certainly happened (the code was
  /// free again), and it says nothing about the newer deposit.
  void pickupSent(const CodeKey& key, std::uint64_t issue);
  /// @brief An OK pickup of deposit @p issue of @p key, from @p locker.
  void pickupAcked(const CodeKey& key, std::uint64_t issue, const std::string& locker);
  /// @brief A pickup of deposit @p issue of @p key whose outcome is unknown.
  void pickupUnknown(const CodeKey& key, std::uint64_t issue);
  /// @brief A definite refusal (@p status) of a pickup of deposit @p issue of @p key.
  void pickupRefused(const CodeKey& key, std::uint64_t issue, Status status);
  /// @brief An OK buy of @p product.
  void buyAcked(const std::string& product);
  /// @brief A buy of @p product whose outcome is unknown.
  void buyUnknown(const std::string& product);
  /// @brief Counts one operation ending another way (deposits, lists).
  void count(bool acknowledged, bool unknown);
  /// @brief Records a broken promise (or a client that could not go on).
  void violation(const std::string& what);

  /// @brief The acknowledged deposits, by code. Call once the clients ended.
  std::map<CodeKey, Deposit> deposits() const;
  /// @brief Acknowledged buys by product.
  std::map<std::string, int> buysAcked() const;
  /// @brief Buys of unknown outcome by product.
  std::map<std::string, int> buysUnknown() const;
  /// @brief Every violation recorded so far.
  std::vector<std::string> violations() const;
  /// @brief The first reissued codes (LedgerTotals::reissued), described.
  std::vector<std::string> reissues() const;
  /// @brief The counts so far.
  LedgerTotals totals() const;

 private:
  mutable std::mutex mutex_;
  std::map<CodeKey, Deposit> deposits_;      // guarded by mutex_
  std::map<std::string, int> buys_acked_;    // guarded by mutex_
  std::map<std::string, int> buys_unknown_;  // guarded by mutex_
  std::vector<std::string> violations_;      // guarded by mutex_
  std::vector<std::string> reissues_;        // the first few reissued codes, for messages; guarded by mutex_
  LedgerTotals totals_;                      // guarded by mutex_
  std::uint64_t issued_ = 0;                 // deposits acknowledged so far; guarded by mutex_
  std::uint64_t pickups_sent_ = 0;           // pickups sent so far; guarded by mutex_
};

/// @brief "parcel code 123456", for messages.
std::string describeKey(const CodeKey& key);

}  // namespace mc::test
