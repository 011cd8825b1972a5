/// @file locker_service.hpp
/// @brief LockerService: the parcel lockers and the food cabinet. Both are a
/// row of numbered compartments that open with a one-time 6-digit code.
/// Runs in: the process that runs the parcel or food service.
/// Owns: that service's database connection (<data-dir>/parcel.db or food.db).
///
/// Model: table compartments(id, code, user_id, stored_at). A compartment is
/// free when its code is NULL. Deposit fills the lowest free compartment and
/// hands out a fresh code; pickup with that code frees it again, so a code
/// opens its compartment exactly once. A user who gives too many wrong codes
/// is locked out of pickups for a while (lockouts.hpp).
///
/// A code picked up is not handed out again for a quarantine (24 hours by
/// default; table used_codes, in the same file): a client whose pickup reply
/// was lost (UNAVAILABLE: the child died after the commit) may send the pickup
/// again, and must then hear WRONG_CODE, not open a stranger's compartment
/// that drew the same code meanwhile. At most kMaxQuarantined codes are held
/// back: beyond that the oldest return early, so that a draw stays quick.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "database.hpp"
#include "lockouts.hpp"
#include "protocol.hpp"

namespace mc {

/// One locker service (Service::kParcel or Service::kFood).
/// Thread safety: not thread-safe; the caller serializes handle().
class LockerService {
 public:
  /// Most compartments a service may have: codes are drawn at random from a
  /// million, so they must stay mostly unused for a draw to be quick.
  static constexpr int kMaxCompartments = 9999;
  /// Most picked-up codes held back at once (a tenth of all codes): a cabinet
  /// handing out more than this within the quarantine (over 1.1 a second for
  /// 24 hours) sees its oldest freed codes come back early.
  static constexpr std::int64_t kMaxQuarantined = 100'000;

  /// @brief Opens the database at @p db_path and makes compartments
  /// 1..@p capacity exist; higher ones are removed if free.
  /// @param service Service::kParcel (ids P-01...) or Service::kFood (F-01...).
  /// @param db_path the service's SQLite file (created if missing).
  /// @param capacity how many compartments the cabinet has.
  /// @param lockout how many wrong codes lock a user out of pickups, and for how long.
  /// @param quarantine how long a picked-up code stays out of circulation (0: not at all).
  /// @throws std::runtime_error on a storage error, std::invalid_argument
  /// for another service, a capacity outside 1..kMaxCompartments or a bad policy.
  LockerService(Service service, const std::filesystem::path& db_path, int capacity,
                LockoutPolicy lockout = {}, std::chrono::seconds quarantine = std::chrono::hours(24));

  /// @brief Which service this is.
  Service service() const { return service_; }
  /// @brief The service's connection, for a caller that runs several
  /// handle() calls in one transaction of its own (ServiceState::handleAll).
  Database& database() { return db_; }
  /// @brief Runs deposit, pickup or status; answers BAD_REQUEST to anything else.
  /// A pickup from a locked-out user answers LOCKED_OUT without looking at the code.
  /// @throws std::runtime_error on a storage error (the caller turns it into
  /// INTERNAL_ERROR).
  Reply handle(const Request& request);

 private:
  Reply deposit(const Request& request);
  Reply pickup(const Request& request);
  Reply refuseWrongCode(const Request& request);
  Reply status(const Request& request);
  void createCompartments();
  void removeFreeCompartmentsAboveCapacity();
  std::string freshCode();
  void quarantineCode(std::string_view code);
  std::string compartmentName(std::int64_t id) const;
  Reply reply(const Request& request, Status status, std::string message) const;

  Service service_;
  int capacity_;
  std::chrono::seconds quarantine_;
  Lockouts lockouts_;  // who gave too many wrong codes lately (memory only)
  Database db_;
};

}  // namespace mc
