/// @file service_state.hpp
/// @brief The business logic of the three cabinets, with its SQLite storage.
/// Runs in: whichever process owns the service: the server itself in stages 1
/// and 2, the service's child process in stages 3 and 4. Owns: the service's
/// database connection (`<data-dir>/<service>.db`).
///
/// This is provided code: the labs are about getting requests to it and
/// replies back, not about lockers. ServiceState is NOT thread-safe: callers
/// serialize calls to handle() (a mutex in the lab code does that).
#pragma once

#include <filesystem>
#include <memory>

#include "protocol.hpp"

namespace mc {

/// What the services need to know at start-up.
struct ServiceOptions {
  std::filesystem::path data_dir = "var";  ///< one SQLite file per service in here
  int parcel_lockers = 20;                 ///< parcel compartments P-01 ... P-NN
  int food_slots = 10;                     ///< food compartments F-01 ... F-NN
};

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
};

/// @brief Opens (creating if needed) the database of @p service under
/// options.data_dir and returns its state. Call it in the process that will
/// run the service: an SQLite connection must not cross a fork().
/// @throws std::runtime_error if the database cannot be opened.
std::unique_ptr<ServiceState> openServiceState(Service service, const ServiceOptions& options);

}  // namespace mc
