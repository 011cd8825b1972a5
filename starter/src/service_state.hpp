/// @file service_state.hpp
/// @brief The business logic of the three cabinets, with its SQLite storage.
/// Runs in: whichever process owns the service: the server itself in stages 1
/// and 2, the service's child process in stages 3 and 4. Owns: the service's
/// database connection (`<data-dir>/<service>.db`).
///
/// This is provided code: the labs are about getting requests to it and
/// replies back, not about lockers. ServiceState is NOT thread-safe: callers
/// serialize calls to handle() (a mutex in the lab code does that).
///
/// Access: VENDING_RESTOCK and STATUS are staff operations. Each service
/// answers them only when the request's field `pin` equals the staff PIN the
/// server was started with (--staff-pin); otherwise FORBIDDEN. With no staff
/// PIN configured they are FORBIDDEN for everyone.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lockouts.hpp"
#include "protocol.hpp"

namespace mc {

/// What the services need to know at start-up.
struct ServiceOptions {
  std::filesystem::path data_dir = "var";  ///< one SQLite file per service in here
  int parcel_lockers = 20;                 ///< parcel compartments P-01 ... P-NN
  int food_slots = 10;                     ///< food compartments F-01 ... F-NN
  /// The PIN that staff operations (restock, status) must carry in field
  /// `pin`; empty = no staff PIN configured, staff operations always FORBIDDEN.
  std::string staff_pin;
  LockoutPolicy lockout;  ///< wrong pickup codes before a user is locked out, and for how long
  /// Hours a picked-up code stays out of circulation (locker_service.hpp); 0: none.
  int code_quarantine_hours = 24;
};

/// @brief True for the commands only staff may run: VENDING_RESTOCK, STATUS.
bool isStaffCommand(Command command);

/// @brief True when @p request carries field `pin` equal to @p staff_pin,
/// which must not be empty. The comparison takes the same time whatever the
/// position of the first wrong character, so timing does not leak the PIN.
/// Thread safety: pure.
bool hasStaffPin(const Request& request, std::string_view staff_pin);

/// One service's state and the operations on it.
class ServiceState {
 public:
  virtual ~ServiceState() = default;
  /// @brief Which service this is.
  virtual Service service() const = 0;
  /// @brief Runs one request of this service (or kStatus) and returns its
  /// reply, with served_by set to this service, getpid() and currentTid().
  /// Never throws: storage failures become INTERNAL_ERROR replies.
  /// Thread safety: not thread-safe; the caller serializes.
  virtual Reply handle(const Request& request) = 0;
  /// @brief Runs @p requests in order as one group commit and returns their
  /// replies, in the same order. Each request still succeeds or fails on its
  /// own (its changes are a savepoint inside the batch), but the batch is
  /// made durable by one COMMIT: one append to the log instead of one per
  /// request. So a reply may be sent only after handleAll() returns. If the
  /// COMMIT fails, nothing of the batch is stored and every reply is
  /// INTERNAL_ERROR. Never throws.
  /// Thread safety: not thread-safe; the caller serializes (with handle() too).
  virtual std::vector<Reply> handleAll(std::span<const Request> requests) = 0;
};

/// @brief Opens (creating if needed) the database of @p service under
/// options.data_dir and returns its state. Call it in the process that will
/// run the service: an SQLite connection must not cross a fork().
/// @throws std::runtime_error if the database cannot be opened.
std::unique_ptr<ServiceState> openServiceState(Service service, const ServiceOptions& options);

}  // namespace mc
