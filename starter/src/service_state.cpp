/// @file service_state.cpp
/// @brief openServiceState: picks the service class and opens its database;
/// the one place where storage errors become INTERNAL_ERROR replies.
/// Runs in: the process that runs the service.
/// Owns: nothing itself; the returned ServiceState owns its database.
#include "service_state.hpp"

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "locker_service.hpp"
#include "vending_service.hpp"

namespace mc {
namespace {

/// Wraps LockerService or VendingService (whose handle() may throw) as a
/// ServiceState whose handle() never throws. Like the service it wraps, not
/// thread-safe; there is no global state, so different objects may be used
/// from different threads.
template <class Logic>
class NoThrowState final : public ServiceState {
 public:
  explicit NoThrowState(Logic logic) : logic_{std::move(logic)} {}

  Service service() const override { return logic_.service(); }

  Reply handle(const Request& request) override {
    try {
      return logic_.handle(request);
    } catch (const std::exception& error) {  // SQLite, getrandom, out of memory
      return makeReply(request, Status::kInternalError, error.what(), service());
    } catch (...) {
      return makeReply(request, Status::kInternalError, "unknown error", service());
    }
  }

 private:
  Logic logic_;
};

template <class Logic>
std::unique_ptr<ServiceState> wrap(Logic logic) {
  return std::make_unique<NoThrowState<Logic>>(std::move(logic));
}

}  // namespace

std::unique_ptr<ServiceState> openServiceState(Service service, const ServiceOptions& options) {
  std::filesystem::create_directories(options.data_dir);
  std::filesystem::path db_path =
      options.data_dir / (std::string{serviceName(service)} + ".db");  // parcel.db, ...
  switch (service) {
    case Service::kParcel:
      return wrap(LockerService{service, db_path, options.parcel_lockers});
    case Service::kFood:
      return wrap(LockerService{service, db_path, options.food_slots});
    case Service::kVending:
      return wrap(VendingService{db_path});
    case Service::kServer:
      break;
  }
  throw std::invalid_argument("no service state for " + std::string{serviceName(service)});
}

}  // namespace mc
