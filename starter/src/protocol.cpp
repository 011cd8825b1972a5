/// @file protocol.cpp
/// @brief Names and lookups for commands, services and status codes; Fields;
/// printing them (for logs and test failures); building a reply.
/// Runs in: every process (server, service children, client, tests).
/// Owns: nothing. Every function here is pure or reads only the caller's
/// own pid and tid, so all of them are safe from any thread.
#include "protocol.hpp"

#include <pthread.h>
#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <ostream>

namespace mc {

// ---------------------------------------------------------------------------
// Fields
// ---------------------------------------------------------------------------

void Fields::add(std::string key, std::string value) {
  entries_.emplace_back(std::move(key), std::move(value));
}

std::optional<std::string_view> Fields::find(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return std::string_view{v};
  }
  return std::nullopt;  // no such key
}

std::vector<std::string_view> Fields::findAll(std::string_view key) const {
  std::vector<std::string_view> values;
  for (const auto& [k, v] : entries_) {
    if (k == key) values.emplace_back(v);
  }
  return values;
}

// ---------------------------------------------------------------------------
// Commands and services
// ---------------------------------------------------------------------------

bool isKnownCommand(std::uint8_t code) {
  return code >= static_cast<std::uint8_t>(Command::kParcelDeposit) &&
         code <= static_cast<std::uint8_t>(Command::kStatus);
}

bool isKnownService(std::uint8_t code) {
  return code <= static_cast<std::uint8_t>(Service::kVending);
}

std::optional<Service> serviceFor(Command command) {
  switch (command) {
    case Command::kParcelDeposit:
    case Command::kParcelPickup:
      return Service::kParcel;
    case Command::kFoodDeposit:
    case Command::kFoodPickup:
      return Service::kFood;
    case Command::kVendingList:
    case Command::kVendingBuy:
    case Command::kVendingRestock:
      return Service::kVending;
    case Command::kStatus:
      return std::nullopt;  // every service answers a part of it
  }
  return std::nullopt;  // not a Command value (a cast from an unchecked byte)
}

std::string_view commandName(Command command) {
  switch (command) {
    case Command::kParcelDeposit: return "PARCEL_DEPOSIT";
    case Command::kParcelPickup: return "PARCEL_PICKUP";
    case Command::kFoodDeposit: return "FOOD_DEPOSIT";
    case Command::kFoodPickup: return "FOOD_PICKUP";
    case Command::kVendingList: return "VENDING_LIST";
    case Command::kVendingBuy: return "VENDING_BUY";
    case Command::kVendingRestock: return "VENDING_RESTOCK";
    case Command::kStatus: return "STATUS";
  }
  return "UNKNOWN_COMMAND";
}

std::string_view serviceName(Service service) {
  switch (service) {
    case Service::kServer: return "server";
    case Service::kParcel: return "parcel";
    case Service::kFood: return "food";
    case Service::kVending: return "vending";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// Status codes
// ---------------------------------------------------------------------------

namespace {

struct StatusEntry {
  Status status;
  std::string_view name;
};

// One table serves both directions, so a name can never be added one way only.
constexpr std::array<StatusEntry, 11> kStatusNames{{
    {Status::kOk, "OK"},
    {Status::kWrongCode, "WRONG_CODE"},
    {Status::kFull, "FULL"},
    {Status::kOutOfStock, "OUT_OF_STOCK"},
    {Status::kUnknownProduct, "UNKNOWN_PRODUCT"},
    {Status::kBadRequest, "BAD_REQUEST"},
    {Status::kUnavailable, "UNAVAILABLE"},
    {Status::kBusy, "BUSY"},
    {Status::kLockedOut, "LOCKED_OUT"},
    {Status::kForbidden, "FORBIDDEN"},
    {Status::kInternalError, "INTERNAL_ERROR"},
}};

}  // namespace

bool isKnownStatus(std::uint8_t code) {
  return code <= static_cast<std::uint8_t>(Status::kInternalError);
}

std::string_view statusName(Status status) {
  for (const auto& entry : kStatusNames) {
    if (entry.status == status) return entry.name;
  }
  return "UNKNOWN_STATUS";  // not a Status value
}

std::optional<Status> statusFromName(std::string_view name) {
  for (const auto& entry : kStatusNames) {
    if (entry.name == name) return entry.status;
  }
  return std::nullopt;  // no such name
}

// ---------------------------------------------------------------------------
// Printing (logs, and GoogleTest's failure messages)
// ---------------------------------------------------------------------------

namespace {

// The name, and for a value outside the enum (a cast from an unchecked byte)
// its number too: "UNKNOWN_COMMAND(42)" says more than the name alone.
std::ostream& printCode(std::ostream& out, std::string_view name, std::uint8_t code, bool known) {
  out << name;
  if (!known) out << '(' << static_cast<int>(code) << ')';
  return out;
}

}  // namespace

std::ostream& operator<<(std::ostream& out, Command command) {
  const auto code = static_cast<std::uint8_t>(command);
  return printCode(out, commandName(command), code, isKnownCommand(code));
}

std::ostream& operator<<(std::ostream& out, Service service) {
  const auto code = static_cast<std::uint8_t>(service);
  return printCode(out, serviceName(service), code, isKnownService(code));
}

std::ostream& operator<<(std::ostream& out, Status status) {
  const auto code = static_cast<std::uint8_t>(status);
  return printCode(out, statusName(status), code, isKnownStatus(code));
}

std::ostream& operator<<(std::ostream& out, const Fields& fields) {
  out << '{';
  const char* separator = "";
  for (const auto& [key, value] : fields.entries()) {
    out << separator << key << '=' << value;
    separator = ", ";
  }
  return out << '}';
}

std::ostream& operator<<(std::ostream& out, const ServedBy& served_by) {
  return out << served_by.service << " pid " << served_by.pid << " tid " << served_by.tid;
}

std::ostream& operator<<(std::ostream& out, const Request& request) {
  out << request.command << " request " << request.request_id << " from user " << request.user_id
      << ' ' << request.fields;
  if (request.trace_id != 0) out << " trace " << request.trace_id;
  return out;
}

std::ostream& operator<<(std::ostream& out, const Reply& reply) {
  return out << reply.status << " to " << reply.command << " request " << reply.request_id << ' '
             << reply.fields << " served by " << reply.served_by;
}

// ---------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------

namespace {

// Who is serving, asked of the kernel once per thread instead of twice per
// reply (getpid and gettid are real system calls, a microsecond each on our
// machines). A forked child is a new process whose only thread starts with a
// copy of the forking thread's cache: the fork handler empties it there.
struct Identity {
  std::uint32_t pid = 0;
  std::uint32_t tid = 0;  // 0: not asked yet in this thread (no thread has tid 0)
};
thread_local Identity cached_identity;

void forgetIdentity() { cached_identity = {}; }

const Identity& identity() {
  if (cached_identity.tid == 0) {
    // Registered before any thread caches anything: no fork can miss it.
    [[maybe_unused]] static const int registered = ::pthread_atfork(nullptr, nullptr, forgetIdentity);
    // gettid() (glibc 2.30+) names the kernel thread, which is what ps -L and
    // /proc/<pid>/task show; std::this_thread::get_id() is an opaque library id.
    cached_identity = {static_cast<std::uint32_t>(::getpid()), static_cast<std::uint32_t>(::gettid())};
  }
  return cached_identity;
}

}  // namespace

Reply makeReply(const Request& request, Status status, std::string message, Service by) {
  Reply reply;
  reply.command = request.command;
  reply.request_id = request.request_id;
  reply.status = status;
  reply.served_by = ServedBy{by, identity().pid, identity().tid};
  reply.fields.add("message", std::move(message));  // always the first field
  return reply;
}

std::uint32_t currentTid() { return identity().tid; }

}  // namespace mc
