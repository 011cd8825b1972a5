/// @file test_protocol_rules.cpp
/// @brief The rules of docs/protocol.md section 9 ("What a client author
/// meets"), one test each, so that the document stays true (issue 28). The
/// rules that other suites already keep are named there with their tests.
/// Runs in: the reliability test process. Owns: one cabinetd per test.
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using namespace std::chrono_literals;

// Rule: locker names have two digits up to 99 compartments, three from 100
// on; every name of one cabinet has the same width.
TEST(ProtocolRules, LockerNamesWidenToThreeDigitsFrom100Compartments) {
  ServerOptions small;
  small.parcel_lockers = 99;
  ServerProcess two_digits{small};
  JudgeSession session = two_digits.connect(5s);
  EXPECT_EQ(fieldOf(callExpecting(session, depositParcel(), Status::kOk), "locker"), "P-01");

  ServerOptions large;
  large.parcel_lockers = 100;
  large.food_slots = 100;
  ServerProcess three_digits{large};
  JudgeSession wide = three_digits.connect(5s);
  EXPECT_EQ(fieldOf(callExpecting(wide, depositParcel(), Status::kOk), "locker"), "P-001");
  EXPECT_EQ(fieldOf(callExpecting(wide, depositFood(), Status::kOk), "locker"), "F-001");
}

// Rule: a request field given twice counts once, the first time.
TEST(ProtocolRules, TheFirstOfRepeatedKeysWins) {
  ServerProcess server;
  JudgeSession session = server.connect(5s);
  const std::string code = fieldOf(callExpecting(session, depositParcel(), Status::kOk), "code");
  const std::string other = code == "000000" ? "000001" : "000000";
  callExpecting(session, makeRequest(Command::kParcelPickup, {{"code", other}, {"code", code}}), Status::kWrongCode);
  callExpecting(session, makeRequest(Command::kParcelPickup, {{"code", code}, {"code", other}}), Status::kOk);
}

// Rule: an error in a field is the service's answer (served_by names the
// service and its process); an error in the frame is the server's (service 0).
TEST(ProtocolRules, FieldErrorsAreTheServicesFrameErrorsTheServers) {
  ServerProcess server;
  JudgeSession session = server.connect(5s);
  const Reply field_error = callExpecting(session, pickupParcel("12ab56"), Status::kBadRequest);
  EXPECT_EQ(field_error.served_by.service, Service::kParcel);
  EXPECT_NE(field_error.served_by.pid, static_cast<std::uint32_t>(server.pid())) << "a service child answers it";

  Fd raw = connectRaw(server.port());
  RawHeader unknown;
  unknown.command = 99;
  ASSERT_TRUE(sendBytes(raw, encodeRawHeader(unknown)));
  IncomingReply frame_error = receiveReply(raw);
  ASSERT_EQ(frame_error.io, IoStatus::kOk) << ioStatusName(frame_error.io);
  EXPECT_EQ(frame_error.reply.status, Status::kBadRequest);
  EXPECT_EQ(frame_error.reply.served_by.service, Service::kServer);
  EXPECT_EQ(frame_error.reply.served_by.pid, static_cast<std::uint32_t>(server.pid()));
}

// Rule: qty is 1..1000 in at most four decimal digits; leading zeros are
// allowed within the four ("05" is 5), no sign, no spaces.
TEST(ProtocolRules, QuantityMayHaveLeadingZerosWithinFourDigits) {
  ServerProcess server;
  JudgeSession session = server.connect(5s);
  auto restockBy = [](const std::string& qty) {
    return makeRequest(Command::kVendingRestock, {{"product", "A1"}, {"qty", qty}, {"pin", kTestStaffPin}});
  };
  const int before = stockByProduct(session).at("A1");
  EXPECT_EQ(intFieldOf(callExpecting(session, restockBy("05"), Status::kOk), "stock"), before + 5);
  EXPECT_EQ(intFieldOf(callExpecting(session, restockBy("0005"), Status::kOk), "stock"), before + 10);
  for (const char* bad : {"00005", "+5", " 5", "0", "1001"}) callExpecting(session, restockBy(bad), Status::kBadRequest);
}

// Rule: with --port 0, stdout carries exactly one line, "listening on
// HOST:PORT"; everything else (the log) goes to stderr.
TEST(ProtocolRules, PortZeroPrintsOneStdoutLineAndLogsToStderr) {
  ServerOptions chatty;
  chatty.quiet = false;  // a log line per connection: there is something to misplace
  ServerProcess server{chatty};  // started with --port 0; it read and checked the first line
  ASSERT_TRUE(isServed(server.port()));
  const std::optional<int> exit = server.stop(SIGTERM);
  EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit);
  EXPECT_EQ(server.stdoutAfterListening(), "") << "stdout holds more than the listening line";
  EXPECT_NE(server.log().find("connection 1"), std::string::npos) << "the log did not reach stderr:\n"
                                                                  << server.log();
}

// Rule: stage 1 serves one connection at a time: a second client waits
// until the first leaves.
TEST(ProtocolRules, StageOneServesOneConnectionAtATime) {
  ServerOptions iterative;
  iterative.stage = 1;
  ServerProcess server{iterative};
  JudgeSession first = server.connect(5s);
  callExpecting(first, listProducts(), Status::kOk);
  JudgeSession second = server.connect(500ms);  // the backlog takes it; nobody reads it
  const JudgeSession::Result waited = second.call(listProducts());
  EXPECT_FALSE(waited.ok) << "answered while the first client was still connected";
  { JudgeSession gone = std::move(first); }  // the first leaves: now the second is served
  pollfd answered{second.socket().get(), POLLIN, 0};
  ASSERT_EQ(::poll(&answered, 1, 5000), 1) << "the second client was not served after the first left";
  const IncomingReply late = receiveReply(second.socket());
  ASSERT_EQ(late.io, IoStatus::kOk) << ioStatusName(late.io);
  EXPECT_EQ(late.reply.status, Status::kOk);
  EXPECT_EQ(late.reply.command, Command::kVendingList);
}

}  // namespace
}  // namespace mc::test
