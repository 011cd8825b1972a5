/// @file service_state.cpp
/// @brief openServiceState: picks the service class and opens its database;
/// the one place where storage errors become INTERNAL_ERROR replies, and
/// where staff operations are checked against the staff PIN.
/// Runs in: the process that runs the service.
/// Owns: nothing itself; the returned ServiceState owns its database.
#include "service_state.hpp"

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "database.hpp"
#include "locker_service.hpp"
#include "vending_service.hpp"

namespace mc {
namespace {

/// Wraps LockerService or VendingService (whose handle() may throw) as a
/// ServiceState whose handle() never throws and refuses staff operations
/// without the staff PIN. Like the service it wraps, not thread-safe; there
/// is no global state, so different objects may be used from different threads.
template <class Logic>
class NoThrowState final : public ServiceState {
 public:
  NoThrowState(Logic logic, std::string staff_pin)
      : logic_{std::move(logic)}, staff_pin_{std::move(staff_pin)} {}

  Service service() const override { return logic_.service(); }

  Reply handle(const Request& request) override {
    if (isStaffCommand(request.command) && !hasStaffPin(request, staff_pin_)) {
      return makeReply(request, Status::kForbidden, forbiddenText(request), service());
    }
    try {
      return logic_.handle(request);
    } catch (const std::exception& error) {  // SQLite, getrandom, out of memory
      return makeReply(request, Status::kInternalError, error.what(), service());
    } catch (...) {
      return makeReply(request, Status::kInternalError, "unknown error", service());
    }
  }

  std::vector<Reply> handleAll(std::span<const Request> requests) override {
    std::vector<Reply> replies;
    replies.reserve(requests.size());
    try {
      Transaction batch{logic_.database()};  // each handle()'s own is nested in it
      for (const Request& request : requests) {
        // After some storage errors SQLite ends the batch by itself: the
        // requests after it would each be committed alone, unlike what we
        // tell their clients below. So the batch stops there.
        if (!logic_.database().inTransaction())
          throw std::runtime_error("the batch's transaction was rolled back");
        replies.push_back(handle(request));
      }
      batch.commit();
    } catch (const std::exception& error) {
      return refuseAll(requests, std::string{"not stored: "} + error.what());
    }
    return replies;
  }

 private:
  // The STATUS reply joins the three services' messages, so each names itself.
  std::string forbiddenText(const Request& request) const {
    const std::string what{serviceName(service())};
    if (staff_pin_.empty()) return what + ": staff operations are disabled (no --staff-pin)";
    return what + ": " + std::string{commandName(request.command)} + " needs the staff PIN";
  }

  // The replies of a batch that was not committed: whatever each request
  // did, none of it is stored.
  std::vector<Reply> refuseAll(std::span<const Request> requests, const std::string& why) const {
    std::vector<Reply> replies;
    for (const Request& request : requests)
      replies.push_back(makeReply(request, Status::kInternalError, why, service()));
    return replies;
  }

  Logic logic_;
  const std::string staff_pin_;  // empty: no staff operations at all
};

template <class Logic>
std::unique_ptr<ServiceState> wrap(Logic logic, const ServiceOptions& options) {
  return std::make_unique<NoThrowState<Logic>>(std::move(logic), options.staff_pin);
}

}  // namespace

bool isStaffCommand(Command command) {
  return command == Command::kVendingRestock || command == Command::kStatus;
}

bool hasStaffPin(const Request& request, std::string_view staff_pin) {
  if (staff_pin.empty()) return false;  // no PIN configured: nobody is staff
  const std::string_view given = request.fields.find("pin").value_or(std::string_view{});
  // Constant time in the content: every byte of the configured PIN is
  // compared, and differences are OR-ed together instead of returning early.
  unsigned difference = given.size() == staff_pin.size() ? 0U : 1U;
  for (std::size_t i = 0; i < staff_pin.size(); ++i) {
    const unsigned char mine = static_cast<unsigned char>(staff_pin[i]);
    const unsigned char theirs = i < given.size() ? static_cast<unsigned char>(given[i]) : 0U;
    difference |= static_cast<unsigned>(mine ^ theirs);
  }
  return difference == 0;
}

std::unique_ptr<ServiceState> openServiceState(Service service, const ServiceOptions& options) {
  std::filesystem::create_directories(options.data_dir);
  std::filesystem::path db_path =
      options.data_dir / (std::string{serviceName(service)} + ".db");  // parcel.db, ...
  const std::chrono::hours quarantine{options.code_quarantine_hours};
  switch (service) {
    case Service::kParcel:
      return wrap(LockerService{service, db_path, options.parcel_lockers, options.lockout, quarantine}, options);
    case Service::kFood:
      return wrap(LockerService{service, db_path, options.food_slots, options.lockout, quarantine}, options);
    case Service::kVending:
      return wrap(VendingService{db_path}, options);
    case Service::kServer:
      break;
  }
  throw std::invalid_argument("no service state for " + std::string{serviceName(service)});
}

}  // namespace mc
