/// @file floor_service_state.cpp
/// @brief `cabinetd-floor`: cabinetd with its database taken out, the floor
/// under what a request through the pipeline costs (docs/performance.md).
/// Runs in: the service children (and, in stages 1 and 2, the server) of a
/// cabinetd-floor. Owns: nothing; it stores nothing.
///
/// The bench's echo baseline says what one socket round trip costs. This says
/// what the pipeline's hops cost on their own: the connection thread, the
/// pipe, the doorbell, the child's wake-up, the reply slot, the feedback
/// semaphore, with every request answered at once from its own fields. If
/// cabinetd-floor reaches only X times the echo, no work on the services'
/// side (SQLite, the lockers) can take cabinetd past X; what is left to win
/// is in the hops.
///
/// How it replaces the real services without touching them: the program is
/// cabinetd_main.cpp linked with this file *before* the solution's static
/// library. This file defines openServiceState(), so the linker never pulls
/// service_state.cpp (nor the locker, vending and database code only it
/// uses) out of the library. Were anything else to need service_state.cpp,
/// the link would fail on two openServiceState()s: it cannot silently mix.
///
/// The replies are the real ones' shape and size (the bench checks them as it
/// checks cabinetd's): a deposit gets a locker and a six-digit code that
/// names it, and a pickup with that code opens that same locker, so the floor
/// needs no table to stay consistent. Nothing is ever full or sold out, and
/// nothing the bench does not need is checked: no staff PIN, no lockout.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "service_state.hpp"

namespace mc {

namespace {

constexpr int kLockers = 999;  // as many as the bench asks of cabinetd

// The bench's products, with names as long as the real catalogue's.
constexpr const char* kCatalogue[] = {"A1;Cola;150;900",          "A2;Mineral water;100;900",
                                      "A3;Orange juice;200;900",  "B1;Crisps;120;900",
                                      "B2;Chocolate bar;180;900", "B3;Sandwich;350;900",
                                      "C1;Coffee;250;900",        "C2;Green tea;220;900"};

class FloorState final : public ServiceState {
 public:
  explicit FloorState(Service service) : service_{service} {}

  Service service() const override { return service_; }

  Reply handle(const Request& request) override {
    switch (request.command) {
      case Command::kParcelDeposit:
      case Command::kFoodDeposit: return deposit(request);
      case Command::kParcelPickup:
      case Command::kFoodPickup: return pickup(request);
      case Command::kVendingList: return list(request);
      case Command::kVendingBuy: return buy(request);
      case Command::kVendingRestock: return restock(request);
      case Command::kStatus: break;
    }
    return makeReply(request, Status::kBadRequest, "cabinetd-floor answers the bench's commands only", service_);
  }

  std::vector<Reply> handleAll(std::span<const Request> requests) override {
    std::vector<Reply> replies;
    replies.reserve(requests.size());
    for (const Request& request : requests) replies.push_back(handle(request));
    return replies;
  }

 private:
  // The code is the locker's number: a pickup finds its locker in it.
  Reply deposit(const Request& request) {
    next_ = next_ % kLockers + 1;
    char code[8];
    std::snprintf(code, sizeof code, "%06d", next_);
    const std::string locker = lockerName(next_);
    const char* item = service_ == Service::kFood ? "Food" : "Parcel";
    Reply done = makeReply(request, Status::kOk, std::string{item} + " stored in locker " + locker, service_);
    done.fields.add("locker", locker);
    done.fields.add("code", code);
    return done;
  }

  Reply pickup(const Request& request) const {
    const std::string code{request.fields.find("code").value_or("")};
    const bool six_digits = code.size() == 6 && std::all_of(code.begin(), code.end(), [](unsigned char c) {
      return std::isdigit(c) != 0;
    });
    const int id = six_digits ? std::atoi(code.c_str()) : 0;
    if (id < 1 || id > kLockers) return makeReply(request, Status::kWrongCode, "Wrong code", service_);
    const std::string locker = lockerName(id);
    Reply done = makeReply(request, Status::kOk, "Locker " + locker + " opened", service_);
    done.fields.add("locker", locker);
    return done;
  }

  Reply list(const Request& request) const {
    Reply done = makeReply(request, Status::kOk, "8 products", service_);
    for (const char* item : kCatalogue) done.fields.add("item", item);
    return done;
  }

  Reply buy(const Request& request) const {
    const std::string product{request.fields.find("product").value_or("A1")};
    Reply done = makeReply(request, Status::kOk, "Enjoy your Chocolate bar", service_);
    done.fields.add("product", product);
    done.fields.add("name", "Chocolate bar");
    done.fields.add("price", "180");
    done.fields.add("stock", "900");
    return done;
  }

  Reply restock(const Request& request) const {
    const std::string product{request.fields.find("product").value_or("A1")};
    Reply done = makeReply(request, Status::kOk, "Restocked " + product + ": 1900 in stock", service_);
    done.fields.add("product", product);
    done.fields.add("stock", "1900");
    return done;
  }

  std::string lockerName(int id) const {
    char name[16];
    std::snprintf(name, sizeof name, "%c-%03d", service_ == Service::kFood ? 'F' : 'P', id);
    return name;
  }

  const Service service_;
  int next_ = 0;  // the last locker handed out
};

}  // namespace

std::unique_ptr<ServiceState> openServiceState(Service service, const ServiceOptions&) {
  return std::make_unique<FloorState>(service);
}

}  // namespace mc
