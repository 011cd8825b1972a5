/// @file test_client_cli.cpp
/// @brief The `cabinet` command line as scripts use it: --json output and
/// the exit status (0 OK, 1 refused, 2 no answer).
/// Runs in: the e2e test process, which runs `cabinet` as a child process.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

// The client against the server of this executable's lab (stage 1 for lab 1).
ServerOptions labServer() {
  ServerOptions options;
  options.stage = labStages().front();
  return options;
}


// `cabinet --port P --json WORDS...`
ProgramResult runCabinet(std::uint16_t port, std::vector<std::string> words) {
  std::vector<std::string> argv = {cabinetPath(), "--port", std::to_string(port), "--json"};
  argv.insert(argv.end(), words.begin(), words.end());
  return runProgram(argv, 10s);
}

// `cabinet` is given code on top of lab 1's: it writes with your encodeRequest
// and writeAll, and reads with your readReply and decodeReply.
std::string describe(const ProgramResult& run) {
  return "exit " + (run.exit_code ? std::to_string(*run.exit_code) : std::string{"none"}) +
         (run.timed_out ? " (timed out)" : "") + "\nstdout: " + run.out + "stderr: " + run.err +
         "\n(cabinet sends with your encodeRequest and writeAll and reads with your readReply and "
         "decodeReply: if the server's own tests pass, look there)";
}

// The string value of "key" in a one-line JSON object, if present.
std::optional<std::string> jsonString(const std::string& json, const std::string& key) {
  std::regex pattern{"\"" + key + R"re("\s*:\s*"([^"]*)")re"};
  std::smatch match;
  if (!std::regex_search(json, match, pattern)) return std::nullopt;
  return match[1].str();
}

bool jsonOk(const std::string& json) {
  return std::regex_search(json, std::regex{R"("ok"\s*:\s*true)"});
}

// A port nobody listens on: bound by us for a moment, then released.
std::uint16_t closedPort() {
  Fd socket{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(socket.get(), reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throwErrno("bind");
  }
  return ntohs(address.sin_port);  // the socket closes here, never having listened
}

TEST(ClientCli, DepositPrintsJsonAndPickupSucceedsOnce) {
  ServerProcess server{labServer()};
  ProgramResult deposit = runCabinet(server.port(), {"deposit", "parcel", "--user", "7"});
  ASSERT_EQ(deposit.exit_code, 0) << describe(deposit);
  EXPECT_TRUE(jsonOk(deposit.out)) << deposit.out;
  std::optional<std::string> locker = jsonString(deposit.out, "locker");
  std::optional<std::string> code = jsonString(deposit.out, "code");
  ASSERT_TRUE(locker && code) << "no locker or code string in: " << deposit.out;
  EXPECT_TRUE(looksLikeLocker(*locker, 'P')) << *locker;
  EXPECT_TRUE(looksLikeCode(*code)) << *code;

  ProgramResult pickup = runCabinet(server.port(), {"pickup", "parcel", *code, "--user", "8"});
  EXPECT_EQ(pickup.exit_code, 0) << describe(pickup);
  EXPECT_TRUE(jsonOk(pickup.out)) << pickup.out;
  EXPECT_EQ(jsonString(pickup.out, "locker"), locker) << "the pickup must open the deposit's locker: " << pickup.out;

  ProgramResult again = runCabinet(server.port(), {"pickup", "parcel", *code});
  EXPECT_EQ(again.exit_code, 1) << "a used code is a refusal: " << describe(again);
  EXPECT_EQ(jsonString(again.out, "status"), "WRONG_CODE") << again.out;
}

TEST(ClientCli, WrongCodeExitsOne) {
  ServerProcess server{labServer()};
  ProgramResult run = runCabinet(server.port(), {"pickup", "food", "000000"});
  EXPECT_EQ(run.exit_code, 1) << describe(run);
  EXPECT_TRUE(std::regex_search(run.out, std::regex{R"("ok"\s*:\s*false)"})) << run.out;
}

TEST(ClientCli, BuyAndStatusExitZero) {
  ServerProcess server{labServer()};
  ProgramResult bought = runCabinet(server.port(), {"buy", "C1"});
  EXPECT_EQ(bought.exit_code, 0) << describe(bought);
  EXPECT_TRUE(jsonOk(bought.out)) << bought.out;
  ProgramResult status = runCabinet(server.port(), {"status", "--pin", kTestStaffPin});
  EXPECT_EQ(status.exit_code, 0) << describe(status);
}

TEST(ClientCli, NoServerExitsTwo) {
  ProgramResult run = runCabinet(closedPort(), {"status"});
  EXPECT_EQ(run.exit_code, 2) << describe(run);
  EXPECT_FALSE(run.timed_out) << "cabinet must give up at once when nobody listens (connect is refused): "
                              << describe(run);
}

TEST(ClientCli, UsageErrorExitsTwo) {
  ProgramResult run = runCabinet(closedPort(), {"deposit", "boxes"});
  EXPECT_EQ(run.exit_code, 2) << describe(run);
}

}  // namespace
}  // namespace mc::test
