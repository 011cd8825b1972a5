/// @file test_access.cpp
/// @brief Codes and access (issue 6): random and unique pickup codes, the
/// lockout after wrong codes, the staff PIN on restock and status, and the
/// loopback-only default address.
/// Runs in: the reliability test process. Owns: one cabinetd per test.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using Clock = std::chrono::steady_clock;

// A pickup of @p code by @p user, with the command for @p parcel or food.
Request pickupBy(std::uint32_t user, const std::string& code, bool parcel = true) {
  return parcel ? pickupParcel(code, user) : pickupFood(code, user);
}

// A code no compartment holds: one of two neighbours of @p code.
std::string otherCode(const std::string& code) { return code == "000000" ? "000001" : "000000"; }

// The same request with field pin=@p pin added (or none, for nullopt).
Request withPin(Command command, std::optional<std::string> pin,
                std::vector<std::pair<std::string, std::string>> fields = {}) {
  if (pin) fields.emplace_back("pin", *pin);
  return makeRequest(command, std::move(fields));
}

class Access : public ::testing::TestWithParam<int> {
 protected:
  ServerOptions options(std::vector<std::string> extra = {}) const {
    ServerOptions options;
    options.stage = GetParam();
    options.extra_args = std::move(extra);
    return options;
  }
};

// ---------------------------------------------------------------------------
// Pickup codes and lockouts
// ---------------------------------------------------------------------------

TEST_P(Access, CodesAreSixRandomDigitsAndUniqueAmongOccupiedCompartments) {
  ServerOptions many = options();
  many.parcel_lockers = 300;
  ServerProcess server{many};
  JudgeSession session = server.connect();
  std::set<std::string> codes;
  std::set<char> first_digits;
  for (int i = 0; i < 300; ++i) {
    Reply reply = callExpecting(session, depositParcel(), Status::kOk);
    const std::string code = fieldOf(reply, "code");
    ASSERT_TRUE(looksLikeCode(code)) << code;
    EXPECT_TRUE(codes.insert(code).second) << "code " << code << " handed out twice";
    first_digits.insert(code[0]);
  }
  // 300 uniform draws hit all ten first digits except with odds below 1e-12;
  // a counter or a timestamp would not.
  EXPECT_EQ(first_digits.size(), 10u) << "codes do not look random";
  callExpecting(session, depositParcel(), Status::kFull);
}

TEST_P(Access, WrongCodesLockTheUserOutEvenForTheRightCode) {
  ServerProcess server{options({"--lockout-attempts", "3", "--lockout-seconds", "2"})};
  JudgeSession session = server.connect();
  const std::string code = fieldOf(callExpecting(session, depositParcel(1), Status::kOk), "code");
  for (int i = 0; i < 3; ++i) callExpecting(session, pickupBy(66, otherCode(code)), Status::kWrongCode);

  Reply locked = callExpecting(session, pickupBy(66, code), Status::kLockedOut);
  EXPECT_TRUE(fieldOf(locked, "locker").empty()) << "a lockout reply opened a locker";
  // Per user, not per connection: a new connection does not help.
  JudgeSession fresh = server.connect();
  callExpecting(fresh, pickupBy(66, code), Status::kLockedOut);
  // Other users are not affected, and the parcel is still there after the lockout.
  callExpecting(fresh, pickupBy(67, otherCode(code)), Status::kWrongCode);

  const Clock::time_point deadline = Clock::now() + 6s;
  Status status = Status::kLockedOut;
  while (status == Status::kLockedOut && Clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
    JudgeSession::Result result = fresh.call(pickupBy(66, code));
    ASSERT_TRUE(result.ok) << result.error;
    status = result.reply.status;
  }
  EXPECT_EQ(status, Status::kOk) << "the lockout never ended, or the parcel was lost";
}

TEST_P(Access, BruteForceGetsAtMostTheAllowedGuesses) {
  ServerProcess server{options()};  // the defaults: 5 wrong codes, 60 s
  JudgeSession session = server.connect();
  callExpecting(session, depositParcel(1), Status::kOk);
  int wrong = 0;
  int locked = 0;
  for (int guess = 0; guess < 200; ++guess) {
    char code[8];
    std::snprintf(code, sizeof code, "%06d", guess * 4999 % 1000000);
    JudgeSession::Result result = session.call(pickupBy(9, code));
    ASSERT_TRUE(result.ok) << result.error;
    if (result.reply.status == Status::kOk) continue;  // a lucky hit: possible, not likely
    wrong += result.reply.status == Status::kWrongCode;
    locked += result.reply.status == Status::kLockedOut;
  }
  EXPECT_LE(wrong, 5) << "guesses were checked after the lockout";
  EXPECT_GE(locked, 194);
}

TEST_P(Access, ParcelAndFoodLockOutSeparately) {
  ServerProcess server{options({"--lockout-attempts", "2"})};
  JudgeSession session = server.connect();
  const std::string meal = fieldOf(callExpecting(session, depositFood(1), Status::kOk), "code");
  callExpecting(session, pickupBy(5, otherCode(meal)), Status::kWrongCode);
  callExpecting(session, pickupBy(5, otherCode(meal)), Status::kWrongCode);
  callExpecting(session, pickupBy(5, meal), Status::kLockedOut);  // parcel: locked
  callExpecting(session, pickupBy(5, meal, false), Status::kOk);  // food counts its own
}

// ---------------------------------------------------------------------------
// Staff PIN
// ---------------------------------------------------------------------------

TEST_P(Access, StatusAndRestockNeedTheStaffPin) {
  ServerOptions staffed = options();
  staffed.staff_pin = "7391";
  ServerProcess server{staffed};
  JudgeSession session = server.connect();
  for (std::optional<std::string> pin : {std::optional<std::string>{}, std::optional<std::string>{""},
                                         std::optional<std::string>{"7390"},
                                         std::optional<std::string>{"73911"},
                                         std::optional<std::string>{kTestStaffPin}}) {
    SCOPED_TRACE("pin '" + pin.value_or("(none)") + "'");
    Reply status = callExpecting(session, withPin(Command::kStatus, pin), Status::kForbidden);
    EXPECT_TRUE(fieldOf(status, "parcel.occupied").empty()) << "a refusal leaked the counts";
    callExpecting(session, withPin(Command::kVendingRestock, pin, {{"product", "A1"}, {"qty", "5"}}),
                  Status::kForbidden);
  }
  Reply status = callExpecting(session, withPin(Command::kStatus, "7391"), Status::kOk);
  EXPECT_FALSE(fieldOf(status, "parcel.occupied").empty());
  Reply restocked = callExpecting(
      session, withPin(Command::kVendingRestock, "7391", {{"product", "A1"}, {"qty", "5"}}), Status::kOk);
  EXPECT_EQ(intFieldOf(restocked, "stock"), 15) << "10 in the catalogue + 5; refused restocks added nothing";
  // Customers need no PIN.
  callExpecting(session, buy("A1"), Status::kOk);
  callExpecting(session, depositParcel(), Status::kOk);
}

TEST_P(Access, WithoutAStaffPinStaffCommandsAreForbiddenForEveryone) {
  ServerOptions open = options();
  open.staff_pin = "";  // cabinetd started without --staff-pin
  ServerProcess server{open};
  JudgeSession session = server.connect();
  callExpecting(session, status(), Status::kForbidden);
  callExpecting(session, withPin(Command::kStatus, ""), Status::kForbidden);
  callExpecting(session, restock("A1", 5), Status::kForbidden);
  callExpecting(session, listProducts(), Status::kOk);
}

TEST_P(Access, TheCabinetClientSendsItsPin) {
  ServerProcess server{options()};
  const std::string port = std::to_string(server.port());
  auto run = [&](std::vector<std::string> words) {
    std::vector<std::string> argv = {cabinetPath(), "--port", port, "--json"};
    argv.insert(argv.end(), words.begin(), words.end());
    return runProgram(argv, 10s);
  };
  ProgramResult refused = run({"status"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.out.find("FORBIDDEN"), std::string::npos) << refused.out;
  ProgramResult allowed = run({"status", "--pin", kTestStaffPin});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.out << allowed.err;
  ProgramResult restocked = run({"--pin=" + std::string(kTestStaffPin), "restock", "B2", "3"});
  EXPECT_EQ(restocked.exit_code, 0) << restocked.out << restocked.err;
}

// ---------------------------------------------------------------------------
// Address
// ---------------------------------------------------------------------------

// The local address of the LISTEN socket on @p port in /proc/net/tcp
// ("0100007F" is 127.0.0.1), or "" if none.
std::string listeningAddress(std::uint16_t port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the column names
  char wanted[8];
  std::snprintf(wanted, sizeof wanted, "%04X", port);
  while (std::getline(table, line)) {
    std::istringstream fields{line};
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (state == "0A" && local.substr(local.find(':') + 1) == wanted) return local.substr(0, local.find(':'));
  }
  return "";
}

TEST_P(Access, ListensOnLoopbackOnlyByDefault) {
  ServerProcess server{options()};
  EXPECT_EQ(listeningAddress(server.port()), "0100007F") << "not bound to 127.0.0.1 only";
}

INSTANTIATE_TEST_SUITE_P(Stages, Access, ::testing::Values(2, 4), stageName);

}  // namespace
}  // namespace mc::test
