/// @file locker_service.cpp
/// @brief Deposit, pickup and status of the parcel lockers and food cabinet.
/// Runs in: the process that runs the parcel or food service.
/// Owns: nothing beyond LockerService's database connection.
#include "locker_service.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <limits>
#include <optional>
#include <stdexcept>

#include "fd.hpp"

namespace mc {
namespace {

constexpr const char* kSchema = R"sql(
  CREATE TABLE IF NOT EXISTS compartments (
    id        INTEGER PRIMARY KEY,  -- 1 is P-01 (or F-01)
    code      TEXT UNIQUE,          -- pickup code, NULL when free; TEXT keeps "042137"
    user_id   INTEGER,              -- who deposited
    stored_at INTEGER               -- unix time of the deposit
  );
  CREATE TABLE IF NOT EXISTS used_codes (
    code     TEXT PRIMARY KEY,       -- a code picked up lately: not handed out again yet
    freed_at INTEGER NOT NULL        -- unix time of the pickup
  );
)sql";

/// A uniform random number in 0..999999 from the kernel's generator.
/// word % 1000000 alone would favour small codes a little, because 2^32 is
/// not a multiple of a million; words from the incomplete last block are
/// rejected and drawn again.
std::uint32_t randomBelowMillion() {
  constexpr std::uint32_t kRange = 1'000'000;
  constexpr std::uint32_t kLimit = std::numeric_limits<std::uint32_t>::max() / kRange * kRange;
  for (;;) {
    std::uint32_t word = 0;
    ssize_t got = ::getrandom(&word, sizeof word, 0);
    if (got < 0 && errno != EINTR) throwErrno("getrandom");
    if (got == sizeof word && word < kLimit) return word % kRange;
  }
}

bool isSixDigits(std::string_view code) {
  if (code.size() != 6) return false;
  for (char c : code)
    if (c < '0' || c > '9') return false;
  return true;
}

/// Number of decimal digits of @p n (n >= 1).
int digitsOf(std::int64_t n) {
  int digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

int checkedCapacity(int capacity) {
  if (capacity < 1 || capacity > LockerService::kMaxCompartments)
    throw std::invalid_argument("locker capacity must be 1.." +
                                std::to_string(LockerService::kMaxCompartments));
  return capacity;
}

Service checkedService(Service service) {
  if (service != Service::kParcel && service != Service::kFood)
    throw std::invalid_argument("LockerService runs the parcel or food service only");
  return service;
}

}  // namespace

LockerService::LockerService(Service service, const std::filesystem::path& db_path, int capacity,
                             LockoutPolicy lockout, std::chrono::seconds quarantine)
    : service_{checkedService(service)},
      capacity_{checkedCapacity(capacity)},
      quarantine_{quarantine},
      lockouts_{lockout},
      db_{db_path} {
  db_.exec(kSchema);
  Transaction tx{db_};
  createCompartments();
  removeFreeCompartmentsAboveCapacity();
  tx.commit();
}

Reply LockerService::handle(const Request& request) {
  if (request.command == Command::kStatus) return status(request);
  if (serviceFor(request.command) != service_)
    return reply(request, Status::kBadRequest,
                 "command " + std::string{commandName(request.command)} + " is not a " +
                     std::string{serviceName(service_)} + " command");
  bool is_deposit = request.command == Command::kParcelDeposit ||
                    request.command == Command::kFoodDeposit;
  return is_deposit ? deposit(request) : pickup(request);
}

Reply LockerService::deposit(const Request& request) {
  Transaction tx{db_};
  Statement find = db_.prepare("SELECT id FROM compartments WHERE code IS NULL ORDER BY id LIMIT 1");
  if (!find.step())  // every compartment is taken; tx rolls back
    return reply(request, Status::kFull, "All lockers are full, try again later");
  std::int64_t id = find.columnInt(0);
  std::string code = freshCode();

  Statement store = db_.prepare(
      "UPDATE compartments SET code = ?, user_id = ?, stored_at = ? WHERE id = ?");
  store.bind(1, code);
  store.bind(2, std::int64_t{request.user_id});
  store.bind(3, std::int64_t{std::time(nullptr)});
  store.bind(4, id);
  store.step();
  tx.commit();

  std::string locker = compartmentName(id);
  const char* item = service_ == Service::kParcel ? "Parcel" : "Food";
  Reply done = reply(request, Status::kOk, std::string{item} + " stored in locker " + locker);
  done.fields.add("locker", locker);
  done.fields.add("code", code);
  return done;
}

Reply LockerService::pickup(const Request& request) {
  std::optional<std::string_view> code = request.fields.find("code");
  if (!code || !isSixDigits(*code))
    return reply(request, Status::kBadRequest, "code must be exactly 6 digits");
  // Checked before the code is looked up: a locked-out guesser learns
  // nothing, not even whether this guess was right.
  const auto now = Lockouts::Clock::now();
  if (lockouts_.isLockedOut(request.user_id, now)) {
    return reply(request, Status::kLockedOut,
                 "Too many wrong codes: try again in " +
                     std::to_string(lockouts_.secondsLeft(request.user_id, now)) + " s");
  }

  // Finding and freeing happen in one transaction, so a code opens its
  // compartment once even if two pickups with it raced (they cannot here:
  // handle() is serialized, but the database guarantees it anyway).
  Transaction tx{db_};
  Statement find = db_.prepare("SELECT id FROM compartments WHERE code = ?");
  find.bind(1, *code);
  if (!find.step()) return refuseWrongCode(request);  // never issued, or already picked up
  std::int64_t id = find.columnInt(0);

  Statement empty = db_.prepare(
      "UPDATE compartments SET code = NULL, user_id = NULL, stored_at = NULL WHERE id = ?");
  empty.bind(1, id);
  empty.step();
  quarantineCode(*code);
  removeFreeCompartmentsAboveCapacity();  // a compartment kept by a shrink goes now
  tx.commit();

  std::string locker = compartmentName(id);
  Reply done = reply(request, Status::kOk, "Locker " + locker + " opened");
  done.fields.add("locker", locker);
  return done;
}

// Counts the failure against the user; the reply is WRONG_CODE even for the
// failure that starts a lockout (the next pickup says LOCKED_OUT).
Reply LockerService::refuseWrongCode(const Request& request) {
  lockouts_.recordFailure(request.user_id, Lockouts::Clock::now());
  return reply(request, Status::kWrongCode, "Wrong code, or the locker was already opened");
}

Reply LockerService::status(const Request& request) {
  // Capacity counts the compartments that exist: 1..capacity_, plus any
  // higher one a smaller restart kept because it still held something.
  std::int64_t total = db_.queryInt("SELECT COUNT(*) FROM compartments");
  std::int64_t occupied = db_.queryInt("SELECT COUNT(code) FROM compartments");
  std::string name{serviceName(service_)};
  Reply done = reply(request, Status::kOk,
                     std::to_string(occupied) + " of " + std::to_string(total) + " " + name +
                         " lockers occupied");
  done.fields.add(name + ".capacity", std::to_string(total));
  done.fields.add(name + ".occupied", std::to_string(occupied));
  return done;
}

/// Caller holds a transaction.
void LockerService::createCompartments() {
  Statement insert = db_.prepare("INSERT OR IGNORE INTO compartments (id) VALUES (?)");
  for (std::int64_t id = 1; id <= capacity_; ++id) {
    insert.bind(1, id);
    insert.step();
    insert.reset();
  }
}

/// Caller holds a transaction. Occupied compartments stay until picked up:
/// shrinking the cabinet must not lose anybody's parcel.
void LockerService::removeFreeCompartmentsAboveCapacity() {
  Statement remove = db_.prepare("DELETE FROM compartments WHERE id > ? AND code IS NULL");
  remove.bind(1, std::int64_t{capacity_});
  remove.step();
}

/// A random code that no occupied compartment holds and that was not picked
/// up within the quarantine. Caller holds a transaction, so nobody can take
/// the code between the check and the caller's UPDATE.
std::string LockerService::freshCode() {
  // At most kMaxCompartments + kMaxQuarantined of a million codes are out of
  // circulation, so a draw is taken with probability < 12%; 100 misses in a
  // row means a broken generator.
  Statement taken = db_.prepare(
      "SELECT 1 FROM compartments WHERE code = ?1 "
      "UNION ALL SELECT 1 FROM used_codes WHERE code = ?1 AND freed_at > ?2");
  const std::int64_t quarantined_since = std::int64_t{std::time(nullptr)} - quarantine_.count();
  for (int attempt = 0; attempt < 100; ++attempt) {
    char code[8];
    std::snprintf(code, sizeof code, "%06u", static_cast<unsigned>(randomBelowMillion()));
    taken.bind(1, code);
    taken.bind(2, quarantined_since);
    bool in_use = taken.step();
    taken.reset();
    if (!in_use) return code;
  }
  throw std::runtime_error("no unused pickup code found");
}

/// Keeps @p code, just picked up, out of circulation (freshCode). Caller holds
/// the pickup's transaction: the code is freed and quarantined together.
/// The table keeps the newest kMaxQuarantined codes; rowids grow with every
/// insert, so "the oldest" is every rowid more than kMaxQuarantined below the
/// newest one.
void LockerService::quarantineCode(std::string_view code) {
  if (quarantine_.count() == 0) return;
  Statement insert = db_.prepare("INSERT OR REPLACE INTO used_codes (code, freed_at) VALUES (?, ?)");
  insert.bind(1, code);
  insert.bind(2, std::int64_t{std::time(nullptr)});
  insert.step();
  Statement trim = db_.prepare("DELETE FROM used_codes WHERE rowid <= last_insert_rowid() - ?");
  trim.bind(1, kMaxQuarantined);
  trim.step();
}

/// "P-07": the prefix and the id with two digits, more when capacity needs them.
std::string LockerService::compartmentName(std::int64_t id) const {
  char prefix = service_ == Service::kParcel ? 'P' : 'F';
  int width = std::max(2, digitsOf(capacity_));
  char name[32];
  std::snprintf(name, sizeof name, "%c-%0*lld", prefix, width, static_cast<long long>(id));
  return name;
}

Reply LockerService::reply(const Request& request, Status status, std::string message) const {
  return makeReply(request, status, std::move(message), service_);
}

}  // namespace mc
