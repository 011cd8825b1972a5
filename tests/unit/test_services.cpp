/// @file test_services.cpp
/// @brief The parcel, food and vending services on real SQLite files.
/// Runs in: the unit test process. Owns: one temporary data dir per test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "database.hpp"
#include "locker_service.hpp"
#include "lockouts.hpp"
#include "server_process.hpp"
#include "service_state.hpp"

namespace mc {
namespace {

/// A fresh directory under /tmp, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/mc_services_XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The staff PIN of the fixture's services; staff requests carry it.
constexpr const char* kPin = "s3cret";

Request makeRequest(Command command, std::vector<Fields::Entry> fields = {}) {
  static std::atomic<std::uint32_t> next_id{1};  // tests may call from two threads
  Request request;
  request.command = command;
  request.request_id = next_id++;
  request.user_id = 42;
  for (auto& [key, value] : fields) request.fields.add(key, value);
  if (isStaffCommand(command) && !request.fields.find("pin")) request.fields.add("pin", kPin);
  return request;
}

std::string field(const Reply& reply, std::string_view key) {
  std::optional<std::string_view> value = reply.fields.find(key);
  return value ? std::string{*value} : std::string{"<missing " + std::string{key} + ">"};
}

bool isSixDigits(const std::string& code) {
  return code.size() == 6 && code.find_first_not_of("0123456789") == std::string::npos;
}

/// Every test gets its own data dir and opens services in it.
class ServicesTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServiceState> open(Service service) {
    return openServiceState(service, options_);
  }
  Reply deposit(ServiceState& state) {
    Command command =
        state.service() == Service::kFood ? Command::kFoodDeposit : Command::kParcelDeposit;
    return state.handle(makeRequest(command));
  }
  Reply pickup(ServiceState& state, const std::string& code) {
    Command command =
        state.service() == Service::kFood ? Command::kFoodPickup : Command::kParcelPickup;
    return state.handle(makeRequest(command, {{"code", code}}));
  }
  Reply buy(ServiceState& state, const std::string& product) {
    return state.handle(makeRequest(Command::kVendingBuy, {{"product", product}}));
  }
  Reply restock(ServiceState& state, const std::string& product, const std::string& qty) {
    return state.handle(
        makeRequest(Command::kVendingRestock, {{"product", product}, {"qty", qty}}));
  }

  /// A service holds its database exclusively while it is open, so a failure
  /// is planted beforehand: creates the parcel schema (opening the service
  /// once), then adds @p trigger_sql while nobody holds the file.
  void plantParcelTrigger(const char* trigger_sql) {
    { open(Service::kParcel); }
    Database db{options_.data_dir / "parcel.db"};
    db.exec(trigger_sql);
  }

  Reply pickupAs(ServiceState& state, std::uint32_t user, const std::string& code) {
    Request request = makeRequest(Command::kParcelPickup, {{"code", code}});
    request.user_id = user;
    return state.handle(request);
  }

  TempDir dir_;
  ServiceOptions options_{dir_.path() / "data", 20, 10, kPin, LockoutPolicy{}};
};

// ---- parcel and food --------------------------------------------------------

TEST_F(ServicesTest, DepositReturnsLockerAndSixDigitCode) {
  auto parcel = open(Service::kParcel);
  Reply reply = deposit(*parcel);
  ASSERT_EQ(reply.status, Status::kOk) << field(reply, "message");
  EXPECT_EQ(reply.fields.entries().front().first, "message");
  EXPECT_EQ(field(reply, "message"), "Parcel stored in locker P-01");
  EXPECT_EQ(field(reply, "locker"), "P-01");
  EXPECT_TRUE(isSixDigits(field(reply, "code"))) << field(reply, "code");
  EXPECT_EQ(field(deposit(*parcel), "locker"), "P-02");  // lowest free next
  EXPECT_TRUE(std::filesystem::exists(options_.data_dir / "parcel.db"));
}

TEST_F(ServicesTest, PickupOpensExactlyOnce) {
  auto parcel = open(Service::kParcel);
  Reply stored = deposit(*parcel);
  ASSERT_EQ(stored.status, Status::kOk);

  Reply first = pickup(*parcel, field(stored, "code"));
  EXPECT_EQ(first.status, Status::kOk) << field(first, "message");
  EXPECT_EQ(field(first, "locker"), "P-01");
  Reply second = pickup(*parcel, field(stored, "code"));
  EXPECT_EQ(second.status, Status::kWrongCode);
  // The compartment is free again: the next deposit gets it.
  EXPECT_EQ(field(deposit(*parcel), "locker"), "P-01");
}

TEST_F(ServicesTest, WrongCodeIsRejected) {
  auto parcel = open(Service::kParcel);
  std::string code = field(deposit(*parcel), "code");
  std::string wrong = code == "000000" ? "000001" : "000000";
  EXPECT_EQ(pickup(*parcel, wrong).status, Status::kWrongCode);
  EXPECT_EQ(pickup(*parcel, code).status, Status::kOk);  // still closed, still works
}

TEST_F(ServicesTest, MalformedCodeIsBadRequest) {
  auto parcel = open(Service::kParcel);
  for (std::string code : {"12a456", "12345", "1234567", "", " 12345", "-12345"})
    EXPECT_EQ(pickup(*parcel, code).status, Status::kBadRequest) << "code '" << code << "'";
  EXPECT_EQ(parcel->handle(makeRequest(Command::kParcelPickup)).status, Status::kBadRequest);
}

TEST_F(ServicesTest, FullAtCapacity) {
  options_.parcel_lockers = 3;
  auto parcel = open(Service::kParcel);
  std::vector<std::string> codes;
  for (const char* locker : {"P-01", "P-02", "P-03"}) {
    Reply reply = deposit(*parcel);
    ASSERT_EQ(reply.status, Status::kOk);
    EXPECT_EQ(field(reply, "locker"), locker);
    codes.push_back(field(reply, "code"));
  }
  Reply full = deposit(*parcel);
  EXPECT_EQ(full.status, Status::kFull);
  EXPECT_FALSE(field(full, "message").empty());

  ASSERT_EQ(pickup(*parcel, codes[1]).status, Status::kOk);
  EXPECT_EQ(field(deposit(*parcel), "locker"), "P-02");
}

TEST_F(ServicesTest, CodesAreUniqueAcrossOccupiedCompartments) {
  options_.parcel_lockers = 50;
  auto parcel = open(Service::kParcel);
  std::set<std::string> codes;
  for (int i = 0; i < 50; ++i) {
    Reply reply = deposit(*parcel);
    ASSERT_EQ(reply.status, Status::kOk) << "deposit " << i;
    codes.insert(field(reply, "code"));
  }
  EXPECT_EQ(codes.size(), 50u);
  EXPECT_EQ(deposit(*parcel).status, Status::kFull);
}

TEST_F(ServicesTest, FoodUsesFPrefixAndItsOwnFile) {
  auto food = open(Service::kFood);
  EXPECT_EQ(food->service(), Service::kFood);
  Reply reply = deposit(*food);
  ASSERT_EQ(reply.status, Status::kOk);
  EXPECT_EQ(field(reply, "locker"), "F-01");
  EXPECT_TRUE(std::filesystem::exists(options_.data_dir / "food.db"));
  EXPECT_EQ(pickup(*food, field(reply, "code")).status, Status::kOk);
}

TEST_F(ServicesTest, CompartmentNamesWidenPastNinetyNine) {
  options_.parcel_lockers = 120;
  auto parcel = open(Service::kParcel);
  EXPECT_EQ(field(deposit(*parcel), "locker"), "P-001");
}

// ---- the code quarantine (issue 28) -------------------------------------------

// Plants @p sql into the parcel file while no service holds it.
void plantParcelRows(const std::filesystem::path& data_dir, const char* sql) {
  Database db{data_dir / "parcel.db"};
  db.exec(sql);
}

// Every code but those ending in 3 was picked up just now.
constexpr const char* kQuarantineAllBut3 =
    "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 999999) "
    "INSERT INTO used_codes (code, freed_at) SELECT printf('%06d', x), CAST(strftime('%s', 'now') AS INTEGER) "
    "FROM n WHERE x % 4 != 3";

TEST_F(ServicesTest, PickedUpCodeIsQuarantinedAndSurvivesReopen) {
  std::string code;
  {
    auto parcel = open(Service::kParcel);
    code = field(deposit(*parcel), "code");
    ASSERT_EQ(pickup(*parcel, code).status, Status::kOk);
  }
  Database db{options_.data_dir / "parcel.db"};
  Statement held = db.prepare("SELECT freed_at FROM used_codes WHERE code = ?");
  held.bind(1, code);
  ASSERT_TRUE(held.step()) << code << " is not in used_codes after its pickup";
  EXPECT_NEAR(static_cast<double>(held.columnInt(0)), static_cast<double>(std::time(nullptr)), 5.0);
}

TEST_F(ServicesTest, QuarantinedCodesAreNotHandedOut) {
  { open(Service::kParcel); }  // the schema
  plantParcelRows(options_.data_dir, kQuarantineAllBut3);
  auto parcel = open(Service::kParcel);
  for (int i = 0; i < 20; ++i) {
    const Reply stored = deposit(*parcel);
    ASSERT_EQ(stored.status, Status::kOk) << field(stored, "message");
    const int code = std::stoi(field(stored, "code"));
    EXPECT_EQ(code % 4, 3) << field(stored, "code") << " was picked up just now: still in quarantine";
  }
}

TEST_F(ServicesTest, QuarantineZeroHandsCodesOutAgain) {
  options_.code_quarantine_hours = 0;
  { open(Service::kParcel); }
  plantParcelRows(options_.data_dir, kQuarantineAllBut3);
  auto parcel = open(Service::kParcel);
  int outside = 0;  // codes drawn from the planted rows: 3 in 4 of them without a quarantine
  for (int i = 0; i < 20; ++i) outside += std::stoi(field(deposit(*parcel), "code")) % 4 != 3 ? 1 : 0;
  EXPECT_GT(outside, 0);
}

TEST_F(ServicesTest, QuarantineKeepsTheNewestCodesOnly) {
  { open(Service::kParcel); }
  // kMaxQuarantined codes picked up just now (so no deposit draws them), in
  // the order 900000, 900001, ...: the first is the oldest.
  const std::string fill =
      "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < " +
      std::to_string(LockerService::kMaxQuarantined - 1) +
      ") INSERT INTO used_codes (code, freed_at) SELECT printf('%06d', 900000 + x), "
      "CAST(strftime('%s', 'now') AS INTEGER) FROM n";
  plantParcelRows(options_.data_dir, fill.c_str());
  std::string code;
  {
    auto parcel = open(Service::kParcel);
    code = field(deposit(*parcel), "code");
    ASSERT_EQ(pickup(*parcel, code).status, Status::kOk);
  }
  Database db{options_.data_dir / "parcel.db"};
  EXPECT_EQ(db.queryInt("SELECT COUNT(*) FROM used_codes"), LockerService::kMaxQuarantined);
  EXPECT_EQ(db.queryInt("SELECT COUNT(*) FROM used_codes WHERE code = '900000'"), 0) << "the oldest goes first";
  Statement newest = db.prepare("SELECT 1 FROM used_codes WHERE code = ?");
  newest.bind(1, code);
  EXPECT_TRUE(newest.step()) << "the code just picked up is held back";
}

TEST_F(ServicesTest, LockerStateSurvivesReopen) {
  std::string code;
  {
    auto parcel = open(Service::kParcel);
    code = field(deposit(*parcel), "code");
  }
  auto parcel = open(Service::kParcel);
  Reply reply = pickup(*parcel, code);
  EXPECT_EQ(reply.status, Status::kOk) << field(reply, "message");
  EXPECT_EQ(field(reply, "locker"), "P-01");
}

TEST_F(ServicesTest, ReopenWithSmallerCapacityKeepsOccupiedCompartments) {
  options_.parcel_lockers = 5;
  std::vector<std::string> codes;  // codes[i] opens P-0(i+1)
  {
    auto parcel = open(Service::kParcel);
    for (int i = 0; i < 5; ++i) codes.push_back(field(deposit(*parcel), "code"));
    ASSERT_EQ(pickup(*parcel, codes[1]).status, Status::kOk);  // P-02 free
  }
  options_.parcel_lockers = 2;
  auto parcel = open(Service::kParcel);
  Reply status = parcel->handle(makeRequest(Command::kStatus));
  EXPECT_EQ(field(status, "parcel.capacity"), "5");  // P-01..P-05: none free above 2
  EXPECT_EQ(field(status, "parcel.occupied"), "4");

  Reply opened = pickup(*parcel, codes[3]);
  EXPECT_EQ(opened.status, Status::kOk);
  EXPECT_EQ(field(opened, "locker"), "P-04");
  status = parcel->handle(makeRequest(Command::kStatus));
  EXPECT_EQ(field(status, "parcel.capacity"), "4");  // P-04 is gone once empty

  EXPECT_EQ(field(deposit(*parcel), "locker"), "P-02");
  EXPECT_EQ(deposit(*parcel).status, Status::kFull);
}

TEST_F(ServicesTest, ReopenWithLargerCapacityAddsCompartments) {
  options_.parcel_lockers = 1;
  { ASSERT_EQ(deposit(*open(Service::kParcel)).status, Status::kOk); }
  options_.parcel_lockers = 2;
  auto parcel = open(Service::kParcel);
  EXPECT_EQ(field(deposit(*parcel), "locker"), "P-02");
}

TEST_F(ServicesTest, LockerStatusCountsCapacityAndOccupied) {
  auto parcel = open(Service::kParcel);
  auto food = open(Service::kFood);
  deposit(*parcel);
  deposit(*parcel);
  Reply reply = parcel->handle(makeRequest(Command::kStatus));
  EXPECT_EQ(reply.status, Status::kOk);
  EXPECT_EQ(reply.fields.entries().front().first, "message");
  EXPECT_EQ(field(reply, "parcel.capacity"), "20");
  EXPECT_EQ(field(reply, "parcel.occupied"), "2");
  reply = food->handle(makeRequest(Command::kStatus));
  EXPECT_EQ(field(reply, "food.capacity"), "10");
  EXPECT_EQ(field(reply, "food.occupied"), "0");
}

// ---- vending ----------------------------------------------------------------

TEST_F(ServicesTest, VendingListHasDefaultCatalogueInOrder) {
  auto vending = open(Service::kVending);
  Reply reply = vending->handle(makeRequest(Command::kVendingList));
  ASSERT_EQ(reply.status, Status::kOk);
  EXPECT_EQ(reply.fields.entries().front().first, "message");
  std::vector<std::string_view> items = reply.fields.findAll("item");
  std::vector<std::string_view> expected = {
      "A1;Cola;150;10",          "A2;Mineral water;100;10", "A3;Orange juice;200;8",
      "B1;Crisps;120;10",        "B2;Chocolate bar;180;10", "B3;Sandwich;350;5",
      "C1;Coffee;250;10",        "C2;Green tea;220;10"};
  EXPECT_EQ(items, expected);
}

TEST_F(ServicesTest, BuyDecrementsExactlyOnce) {
  auto vending = open(Service::kVending);
  Reply reply = buy(*vending, "A1");
  ASSERT_EQ(reply.status, Status::kOk) << field(reply, "message");
  EXPECT_EQ(field(reply, "product"), "A1");
  EXPECT_EQ(field(reply, "name"), "Cola");
  EXPECT_EQ(field(reply, "price"), "150");
  EXPECT_EQ(field(reply, "stock"), "9");
  Reply list = vending->handle(makeRequest(Command::kVendingList));
  EXPECT_EQ(list.fields.findAll("item").at(0), "A1;Cola;150;9");
  EXPECT_EQ(list.fields.findAll("item").at(1), "A2;Mineral water;100;10");  // untouched
}

TEST_F(ServicesTest, BuyAtZeroStockIsOutOfStock) {
  auto vending = open(Service::kVending);
  for (int left = 4; left >= 0; --left)  // the Sandwich starts with 5
    ASSERT_EQ(field(buy(*vending, "B3"), "stock"), std::to_string(left));
  EXPECT_EQ(buy(*vending, "B3").status, Status::kOutOfStock);
  EXPECT_EQ(buy(*vending, "B3").status, Status::kOutOfStock);
  Reply list = vending->handle(makeRequest(Command::kVendingList));
  EXPECT_EQ(list.fields.findAll("item").at(5), "B3;Sandwich;350;0");
}

TEST_F(ServicesTest, BuyUnknownOrMalformedProduct) {
  auto vending = open(Service::kVending);
  EXPECT_EQ(buy(*vending, "Z9").status, Status::kUnknownProduct);
  for (std::string code : {"a1", "", "ABCDEFGHI", "A-1", "A 1", "A1;"})
    EXPECT_EQ(buy(*vending, code).status, Status::kBadRequest) << "product '" << code << "'";
  EXPECT_EQ(vending->handle(makeRequest(Command::kVendingBuy)).status, Status::kBadRequest);
}

TEST_F(ServicesTest, RestockAddsAndValidatesQuantity) {
  auto vending = open(Service::kVending);
  Reply reply = restock(*vending, "A3", "5");
  ASSERT_EQ(reply.status, Status::kOk) << field(reply, "message");
  EXPECT_EQ(field(reply, "product"), "A3");
  EXPECT_EQ(field(reply, "stock"), "13");
  EXPECT_EQ(field(restock(*vending, "A3", "1000"), "stock"), "1013");

  for (std::string qty : {"0", "1001", "-1", "+5", "abc", "", "5 ", "99999999999999999999"})
    EXPECT_EQ(restock(*vending, "A3", qty).status, Status::kBadRequest) << "qty '" << qty << "'";
  EXPECT_EQ(restock(*vending, "a3", "5").status, Status::kBadRequest);
  EXPECT_EQ(restock(*vending, "Z9", "5").status, Status::kUnknownProduct);
  EXPECT_EQ(field(buy(*vending, "A3"), "stock"), "1012");  // nothing else changed it
}

TEST_F(ServicesTest, VendingStatusCountsProductsAndUnits) {
  auto vending = open(Service::kVending);
  buy(*vending, "C1");
  Reply reply = vending->handle(makeRequest(Command::kStatus));
  EXPECT_EQ(reply.status, Status::kOk);
  EXPECT_EQ(field(reply, "vending.products"), "8");
  EXPECT_EQ(field(reply, "vending.stock"), "72");  // 73 in the catalogue, one sold
}

TEST_F(ServicesTest, VendingStockSurvivesReopen) {
  { buy(*open(Service::kVending), "C2"); }
  auto vending = open(Service::kVending);
  EXPECT_EQ(field(buy(*vending, "C2"), "stock"), "8");
}

TEST_F(ServicesTest, DefaultCatalogueIsInsertedOnlyOnce) {
  { open(Service::kVending); }
  {
    Database db{options_.data_dir / "vending.db"};
    db.exec("DELETE FROM products WHERE code <> 'A1'");
  }
  auto vending = open(Service::kVending);
  Reply list = vending->handle(makeRequest(Command::kVendingList));
  EXPECT_EQ(list.fields.findAll("item").size(), 1u);
}

// ---- the Database wrapper ---------------------------------------------------

TEST_F(ServicesTest, DatabaseUsesWalAndRollsBackUnfinishedTransactions) {
  std::filesystem::create_directories(options_.data_dir);
  Database db{options_.data_dir / "scratch.db"};
  {
    Statement mode = db.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.columnText(0), "wal");
  }  // finalized: an unfinished statement would hold its transaction open
  EXPECT_EQ(db.queryInt("PRAGMA synchronous"), 1);  // NORMAL

  db.exec("CREATE TABLE t (x INTEGER)");
  {
    Transaction tx{db};
    db.exec("INSERT INTO t VALUES (1)");
  }  // no commit: rolled back
  {
    Transaction tx{db};
    db.exec("INSERT INTO t VALUES (2)");
    tx.commit();
  }
  EXPECT_EQ(db.queryInt("SELECT COALESCE(SUM(x), 0) FROM t"), 2);
  EXPECT_THROW(db.exec("INSERT INTO missing VALUES (1)"), std::runtime_error);
}

// ---- every service ----------------------------------------------------------

TEST_F(ServicesTest, RepliesEchoRequestAndNameTheService) {
  for (Service service : kServices) {
    auto state = open(service);
    Request request = makeRequest(Command::kStatus);
    Reply reply = state->handle(request);
    EXPECT_EQ(reply.command, Command::kStatus);
    EXPECT_EQ(reply.request_id, request.request_id);
    EXPECT_EQ(reply.served_by.service, service);
    EXPECT_EQ(reply.served_by.pid, static_cast<std::uint32_t>(::getpid()));
    EXPECT_EQ(reply.served_by.tid, currentTid());
    EXPECT_EQ(reply.fields.entries().front().first, "message");
    EXPECT_FALSE(field(reply, "message").empty());
  }
}

TEST_F(ServicesTest, CommandForAnotherServiceIsBadRequest) {
  auto parcel = open(Service::kParcel);
  auto food = open(Service::kFood);
  auto vending = open(Service::kVending);
  Reply reply = parcel->handle(makeRequest(Command::kFoodDeposit));
  EXPECT_EQ(reply.status, Status::kBadRequest);
  EXPECT_EQ(field(reply, "message"), "command FOOD_DEPOSIT is not a parcel command");
  EXPECT_EQ(reply.served_by.service, Service::kParcel);
  EXPECT_EQ(food->handle(makeRequest(Command::kParcelPickup, {{"code", "123456"}})).status,
            Status::kBadRequest);
  EXPECT_EQ(vending->handle(makeRequest(Command::kParcelDeposit)).status, Status::kBadRequest);
  EXPECT_EQ(parcel->handle(makeRequest(Command::kVendingBuy, {{"product", "A1"}})).status,
            Status::kBadRequest);
}

// A trigger that makes every deposit's UPDATE fail, as a broken disk would.
TEST_F(ServicesTest, StorageErrorBecomesInternalError) {
  plantParcelTrigger("CREATE TRIGGER failing_disk BEFORE UPDATE ON compartments "
                     "BEGIN SELECT RAISE(ABORT, 'compartments: simulated I/O error'); END");
  auto parcel = open(Service::kParcel);
  Reply reply;
  ASSERT_NO_THROW(reply = deposit(*parcel));
  EXPECT_EQ(reply.status, Status::kInternalError);
  EXPECT_NE(field(reply, "message").find("compartments"), std::string::npos)
      << field(reply, "message");
  EXPECT_EQ(reply.served_by.service, Service::kParcel);
}

// ---- group commit (handleAll) ----------------------------------------------

// A batch: each request succeeds or fails on its own, the replies come back
// in order, and everything the OK replies say is stored once it returns.
TEST_F(ServicesTest, HandleAllAnswersEachRequestOfTheBatchInOrder) {
  std::vector<Request> batch{makeRequest(Command::kParcelDeposit),
                             makeRequest(Command::kParcelPickup, {{"code", "000000"}}),
                             makeRequest(Command::kParcelDeposit),
                             makeRequest(Command::kVendingBuy, {{"product", "A1"}})};
  std::vector<Reply> replies;
  {
    auto parcel = open(Service::kParcel);
    replies = parcel->handleAll(batch);
  }
  ASSERT_EQ(replies.size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) EXPECT_EQ(replies[i].request_id, batch[i].request_id);
  EXPECT_EQ(replies[0].status, Status::kOk) << field(replies[0], "message");
  EXPECT_EQ(replies[1].status, Status::kWrongCode);
  EXPECT_EQ(replies[2].status, Status::kOk) << field(replies[2], "message");
  EXPECT_EQ(replies[3].status, Status::kBadRequest);  // a vending command, on its own
  EXPECT_NE(field(replies[0], "code"), field(replies[2], "code"));
  EXPECT_NE(field(replies[0], "locker"), field(replies[2], "locker"));

  auto reopened = open(Service::kParcel);  // stored: both codes open their lockers
  EXPECT_EQ(pickup(*reopened, field(replies[0], "code")).status, Status::kOk);
  EXPECT_EQ(pickup(*reopened, field(replies[2], "code")).status, Status::kOk);
}

// When SQLite itself ends the batch's transaction part-way (here a trigger's
// RAISE(ROLLBACK), as a full disk or an I/O error would), nothing of the
// batch is stored, so no reply may say OK, and the requests after that point
// must not be run (and committed) on their own either.
TEST_F(ServicesTest, HandleAllRefusesTheWholeBatchWhenItsTransactionIsLost) {
  plantParcelTrigger("CREATE TRIGGER lost_batch BEFORE UPDATE ON compartments WHEN NEW.user_id = 666 "
                     "BEGIN SELECT RAISE(ROLLBACK, 'simulated loss of the transaction'); END");
  Request doomed = makeRequest(Command::kParcelDeposit);
  doomed.user_id = 666;
  std::vector<Request> batch{makeRequest(Command::kParcelDeposit), doomed,
                             makeRequest(Command::kParcelDeposit)};
  auto parcel = open(Service::kParcel);
  std::vector<Reply> replies = parcel->handleAll(batch);
  ASSERT_EQ(replies.size(), batch.size());
  for (const Reply& reply : replies) {
    EXPECT_EQ(reply.status, Status::kInternalError) << field(reply, "message");
    EXPECT_EQ(reply.served_by.service, Service::kParcel);
  }
  Reply counts = parcel->handle(makeRequest(Command::kStatus));
  EXPECT_EQ(field(counts, "parcel.occupied"), "0") << "a request of the lost batch was stored";
}

// served_by names the process and thread that ran the request. They are
// cached per thread, so a forked child (a new process whose one thread
// started as a copy of ours) must not report its parent.
TEST_F(ServicesTest, RepliesNameTheirOwnProcessEvenAfterFork) {
  const Reply before = makeReply(makeRequest(Command::kVendingList), Status::kOk, "", Service::kVending);
  ASSERT_EQ(before.served_by.pid, static_cast<std::uint32_t>(::getpid()));
  ASSERT_EQ(before.served_by.tid, static_cast<std::uint32_t>(::gettid()));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const Reply inside = makeReply(makeRequest(Command::kVendingList), Status::kOk, "", Service::kVending);
    const bool right = inside.served_by.pid == static_cast<std::uint32_t>(::getpid()) &&
                       inside.served_by.tid == static_cast<std::uint32_t>(::gettid()) &&
                       currentTid() == static_cast<std::uint32_t>(::gettid());
    ::_exit(right ? 0 : 1);
  }
  const std::optional<int> code = test::childExitCodeWithin(child, std::chrono::seconds(10));
  ASSERT_TRUE(code) << "the forked child did not exit, or a signal killed it";
  EXPECT_EQ(*code, 0) << "the child's reply named another process or thread";
}

TEST_F(ServicesTest, OpenCreatesNestedDataDir) {
  options_.data_dir = dir_.path() / "a" / "b";
  auto vending = open(Service::kVending);
  EXPECT_TRUE(std::filesystem::exists(options_.data_dir / "vending.db"));
  EXPECT_THROW(open(Service::kServer), std::invalid_argument);
}

// Different services share nothing, so each may run in its own thread.
TEST_F(ServicesTest, DifferentServicesRunInDifferentThreads) {
  auto parcel = open(Service::kParcel);
  auto vending = open(Service::kVending);
  int parcel_ok = 0;
  int vending_ok = 0;
  {
    std::jthread lockers([&] {
      for (int i = 0; i < 20; ++i) {
        Reply stored = deposit(*parcel);
        parcel_ok += pickup(*parcel, field(stored, "code")).status == Status::kOk;
      }
    });
    std::jthread machine([&] {
      for (int i = 0; i < 20; ++i)
        vending_ok += restock(*vending, "A1", "1").status == Status::kOk;
    });
  }  // both joined here; each does a bounded amount of work
  EXPECT_EQ(parcel_ok, 20);
  EXPECT_EQ(vending_ok, 20);
}

// ---- access: staff PIN ------------------------------------------------------

TEST_F(ServicesTest, StaffCommandsAreRestockAndStatusOnly) {
  for (std::uint8_t code = 1; code <= 8; ++code) {
    const auto command = static_cast<Command>(code);
    const bool staff = command == Command::kVendingRestock || command == Command::kStatus;
    EXPECT_EQ(isStaffCommand(command), staff) << commandName(command);
  }
}

TEST_F(ServicesTest, StaffCommandsWithoutOrWithAWrongPinAreForbidden) {
  auto vending = open(Service::kVending);
  auto parcel = open(Service::kParcel);
  for (const char* pin : {"", "s3cre", "s3cret!", "S3CRET", "x3cret"}) {
    SCOPED_TRACE(std::string("pin '") + pin + "'");
    Reply restocked =
        vending->handle(makeRequest(Command::kVendingRestock, {{"product", "A1"}, {"qty", "5"}, {"pin", pin}}));
    EXPECT_EQ(restocked.status, Status::kForbidden);
    EXPECT_EQ(restocked.served_by.service, Service::kVending);
    EXPECT_EQ(parcel->handle(makeRequest(Command::kStatus, {{"pin", pin}})).status, Status::kForbidden);
  }
  Request no_pin;
  no_pin.command = Command::kStatus;
  EXPECT_EQ(parcel->handle(no_pin).status, Status::kForbidden);
  // Nothing was restocked by the refused requests.
  EXPECT_EQ(field(buy(*vending, "A1"), "stock"), "9");
}

TEST_F(ServicesTest, StaffCommandsWithTheRightPinAreServed) {
  auto vending = open(Service::kVending);
  EXPECT_EQ(restock(*vending, "A1", "5").status, Status::kOk);  // makeRequest adds kPin
  EXPECT_EQ(vending->handle(makeRequest(Command::kStatus)).status, Status::kOk);
  // Other commands need no PIN, and an extra pin field does no harm.
  EXPECT_EQ(buy(*vending, "A1").status, Status::kOk);
  EXPECT_EQ(vending->handle(makeRequest(Command::kVendingBuy, {{"product", "A1"}, {"pin", "x"}})).status,
            Status::kOk);
}

TEST_F(ServicesTest, WithoutAConfiguredPinStaffCommandsAreForbiddenForEveryone) {
  options_.staff_pin = "";
  auto vending = open(Service::kVending);
  for (const char* pin : {"", "s3cret"}) {
    Reply reply = vending->handle(makeRequest(Command::kStatus, {{"pin", pin}}));
    EXPECT_EQ(reply.status, Status::kForbidden) << "pin '" << pin << "'";
    EXPECT_NE(field(reply, "message").find("--staff-pin"), std::string::npos) << field(reply, "message");
  }
}

TEST_F(ServicesTest, HasStaffPinComparesWholeValues) {
  auto withPin = [](const char* pin) { return makeRequest(Command::kStatus, {{"pin", pin}}); };
  EXPECT_TRUE(hasStaffPin(withPin("1234"), "1234"));
  EXPECT_FALSE(hasStaffPin(withPin("123"), "1234"));    // a prefix
  EXPECT_FALSE(hasStaffPin(withPin("12345"), "1234"));  // longer
  EXPECT_FALSE(hasStaffPin(withPin("1235"), "1234"));   // last character
  EXPECT_FALSE(hasStaffPin(withPin(""), ""));           // no PIN configured
  EXPECT_FALSE(hasStaffPin(withPin("1234"), ""));
}

// ---- access: lockouts after wrong codes ---------------------------------------

TEST(Lockouts, LocksAfterTheNthFailureWithinTheWindow) {
  using namespace std::chrono_literals;
  Lockouts lockouts{{.attempts = 3, .seconds = 10}};
  const auto t0 = Lockouts::Clock::time_point{} + 1000s;
  EXPECT_FALSE(lockouts.recordFailure(7, t0));
  EXPECT_FALSE(lockouts.recordFailure(7, t0 + 1s));
  EXPECT_FALSE(lockouts.isLockedOut(7, t0 + 2s));
  EXPECT_TRUE(lockouts.recordFailure(7, t0 + 2s));  // the third within 10 s
  EXPECT_TRUE(lockouts.isLockedOut(7, t0 + 2s));
  EXPECT_FALSE(lockouts.isLockedOut(8, t0 + 2s)) << "another user is not affected";
  EXPECT_EQ(lockouts.secondsLeft(7, t0 + 2s), 10);
  EXPECT_EQ(lockouts.secondsLeft(7, t0 + 11500ms), 1);  // rounded up
  EXPECT_TRUE(lockouts.isLockedOut(7, t0 + 11s));
  EXPECT_FALSE(lockouts.isLockedOut(7, t0 + 12s)) << "the lockout ends after 10 s";
  EXPECT_EQ(lockouts.secondsLeft(7, t0 + 12s), 0);
}

TEST(Lockouts, FailuresOutsideTheWindowDoNotAddUp) {
  using namespace std::chrono_literals;
  Lockouts lockouts{{.attempts = 2, .seconds = 5}};
  const auto t0 = Lockouts::Clock::time_point{} + 1000s;
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(lockouts.recordFailure(1, t0 + i * 6s)) << "failure " << i;  // 6 s apart
  }
  EXPECT_FALSE(lockouts.isLockedOut(1, t0 + 60s));
}

TEST(Lockouts, TableStaysBoundedWhenIdsAreInvented) {
  using namespace std::chrono_literals;
  Lockouts lockouts{{.attempts = 1, .seconds = 60}};
  const auto t0 = Lockouts::Clock::time_point{} + 1000s;
  for (std::uint32_t user = 0; user < Lockouts::kMaxTracked * 3; ++user) {
    lockouts.recordFailure(user, t0 + std::chrono::milliseconds(user));
  }
  EXPECT_LE(lockouts.tracked(), Lockouts::kMaxTracked);
  const std::uint32_t newest = Lockouts::kMaxTracked * 3 - 1;
  EXPECT_TRUE(lockouts.isLockedOut(newest, t0 + 20s)) << "the newest lockout was evicted";
}

TEST(Lockouts, RejectsAPolicyBelowOne) {
  EXPECT_THROW(Lockouts({.attempts = 0, .seconds = 1}), std::invalid_argument);
  EXPECT_THROW(Lockouts({.attempts = 1, .seconds = 0}), std::invalid_argument);
}

TEST_F(ServicesTest, WrongCodesLockTheUserOutEvenForTheRightCode) {
  options_.lockout = {.attempts = 3, .seconds = 60};
  auto parcel = open(Service::kParcel);
  const std::string code = field(deposit(*parcel), "code");
  const std::string wrong = code == "000000" ? "000001" : "000000";
  EXPECT_EQ(pickupAs(*parcel, 5, wrong).status, Status::kWrongCode);
  EXPECT_EQ(pickupAs(*parcel, 5, wrong).status, Status::kWrongCode);
  EXPECT_EQ(pickupAs(*parcel, 5, wrong).status, Status::kWrongCode);  // the third starts the lockout
  Reply locked = pickupAs(*parcel, 5, code);
  EXPECT_EQ(locked.status, Status::kLockedOut) << "the right code must not open during a lockout";
  EXPECT_FALSE(locked.fields.find("locker")) << "a refusal gives nothing away";
  // The parcel is still there, and another user with the code gets it.
  EXPECT_EQ(pickupAs(*parcel, 6, code).status, Status::kOk);
}

TEST_F(ServicesTest, MalformedCodesDoNotCountAsGuesses) {
  options_.lockout = {.attempts = 2, .seconds = 60};
  auto parcel = open(Service::kParcel);
  const std::string code = field(deposit(*parcel), "code");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pickupAs(*parcel, 5, "12ab56").status, Status::kBadRequest);
  EXPECT_EQ(pickupAs(*parcel, 5, code).status, Status::kOk);
}

TEST_F(ServicesTest, ParcelAndFoodCountWrongCodesSeparately) {
  options_.lockout = {.attempts = 2, .seconds = 60};
  auto parcel = open(Service::kParcel);
  auto food = open(Service::kFood);
  const std::string meal = field(deposit(*food), "code");
  const std::string wrong = meal == "000000" ? "000001" : "000000";
  pickupAs(*parcel, 5, wrong);
  pickupAs(*parcel, 5, wrong);
  EXPECT_EQ(pickupAs(*parcel, 5, wrong).status, Status::kLockedOut);
  Request request = makeRequest(Command::kFoodPickup, {{"code", meal}});
  request.user_id = 5;
  EXPECT_EQ(food->handle(request).status, Status::kOk);
}

}  // namespace
}  // namespace mc
