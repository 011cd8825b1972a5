/// @file test_server_config.cpp
/// @brief cabinetd's command line: defaults, every flag in both spellings,
/// and the mistakes that must stop the server before it starts.
/// Runs in: the unit test process. No sockets; files only for --staff-pin-file.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "server_config.hpp"

namespace mc {
namespace {

/// Runs parseServerArgs on "cabinetd" followed by @p words.
std::variant<ServerConfig, ArgsExit> parse(std::vector<std::string> words) {
  words.insert(words.begin(), "cabinetd");
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);  // like a real argv
  return parseServerArgs(static_cast<int>(words.size()), argv.data());
}

/// The config @p words parse to; fails the test if they do not.
ServerConfig parseOk(std::vector<std::string> words) {
  auto result = parse(std::move(words));
  if (auto* exit = std::get_if<ArgsExit>(&result)) {
    ADD_FAILURE() << "rejected (exit " << exit->exit_code << "): " << exit->message;
    return {};
  }
  return std::get<ServerConfig>(result);
}

/// The ArgsExit @p words parse to; fails the test if they parse.
ArgsExit parseExit(std::vector<std::string> words) {
  auto result = parse(std::move(words));
  if (!std::holds_alternative<ArgsExit>(result)) {
    ADD_FAILURE() << "accepted, expected an exit";
    return {"", -1};
  }
  return std::get<ArgsExit>(result);
}

TEST(ServerArgs, NoArgumentsGivesTheDefaults) {
  const ServerConfig config = parseOk({});
  EXPECT_EQ(config.host, "127.0.0.1");
  EXPECT_EQ(config.port, kDefaultPort);
  EXPECT_EQ(config.services.data_dir, std::filesystem::path("var"));
  EXPECT_EQ(config.stage, 4);
  EXPECT_EQ(config.services.parcel_lockers, 20);
  EXPECT_EQ(config.services.food_slots, 10);
  EXPECT_EQ(config.idle_timeout_ms, 60'000);
  EXPECT_EQ(config.backlog, 1024);
  EXPECT_EQ(config.pool, 0);
  EXPECT_FALSE(config.quiet);
  EXPECT_EQ(config.max_connections, 512);
  EXPECT_EQ(config.services.staff_pin, "") << "no staff PIN unless one is given";
  EXPECT_EQ(config.services.lockout.attempts, 5);
  EXPECT_EQ(config.services.lockout.seconds, 60);
  EXPECT_EQ(config.services.code_quarantine_hours, 24);
  EXPECT_TRUE(config.warnings.empty());
}

TEST(ServerArgs, CodeQuarantineHours) {
  EXPECT_EQ(parseOk({"--code-quarantine-hours", "0"}).services.code_quarantine_hours, 0);
  EXPECT_EQ(parseOk({"--code-quarantine-hours=8760"}).services.code_quarantine_hours, 8760);
  EXPECT_EQ(parseExit({"--code-quarantine-hours", "8761"}).exit_code, 2);
  EXPECT_EQ(parseExit({"--code-quarantine-hours", "-1"}).exit_code, 2);
}

/// A file holding @p text with mode @p mode, removed at the end of the test.
class PinFile {
 public:
  PinFile(const std::string& text, mode_t mode)
      : path_{std::filesystem::temp_directory_path() / ("mc-pin-" + std::to_string(::getpid()))} {
    std::ofstream{path_} << text;
    ::chmod(path_.c_str(), mode);
  }
  PinFile(const PinFile&) = delete;
  PinFile& operator=(const PinFile&) = delete;
  ~PinFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(ServerArgs, StaffPinOnTheCommandLineWarnsThatProcShowsIt) {
  const ServerConfig config = parseOk({"--staff-pin", "Pin#42"});
  ASSERT_EQ(config.warnings.size(), 1U);
  EXPECT_NE(config.warnings[0].find("/proc"), std::string::npos) << config.warnings[0];
  EXPECT_NE(config.warnings[0].find("--staff-pin-file"), std::string::npos) << config.warnings[0];
}

TEST(ServerArgs, StaffPinFileOfItsOwnerOnly) {
  const PinFile file{"Pin#42\nignored second line\n", 0600};
  const ServerConfig config = parseOk({"--staff-pin-file", file.path()});
  EXPECT_EQ(config.services.staff_pin, "Pin#42");
  EXPECT_TRUE(config.warnings.empty()) << "a PIN from a private file is not visible";
}

TEST(ServerArgs, StaffPinFileThatOthersMayReadIsRefused) {
  const PinFile file{"Pin#42\n", 0644};
  const ArgsExit exit = parseExit({"--staff-pin-file", file.path()});
  EXPECT_EQ(exit.exit_code, 2);
  EXPECT_NE(exit.message.find("0644"), std::string::npos) << exit.message;
  EXPECT_NE(exit.message.find("chmod 600"), std::string::npos) << exit.message;
}

TEST(ServerArgs, StaffPinFileMissingOrMalformedIsRefused) {
  EXPECT_EQ(parseExit({"--staff-pin-file", "/nonexistent/mc-pin"}).exit_code, 2);
  const PinFile spaced{"two words\n", 0600};
  EXPECT_EQ(parseExit({"--staff-pin-file", spaced.path()}).exit_code, 2);
}

TEST(ServerArgs, AccessAndLimitFlags) {
  const ServerConfig config =
      parseOk({"--max-connections", "3", "--staff-pin", "Pin#42", "--lockout-attempts=2",
               "--lockout-seconds", "9"});
  EXPECT_EQ(config.max_connections, 3);
  EXPECT_EQ(config.services.staff_pin, "Pin#42");
  EXPECT_EQ(config.services.lockout.attempts, 2);
  EXPECT_EQ(config.services.lockout.seconds, 9);
  EXPECT_EQ(parseOk({"--staff-pin=a=b"}).services.staff_pin, "a=b");
}

TEST(ServerArgs, BadAccessAndLimitValuesAreUsageErrors) {
  for (std::vector<std::string> words :
       std::vector<std::vector<std::string>>{{"--max-connections", "0"},
                                             {"--max-connections", "65536"},
                                             {"--staff-pin", "two words"},
                                             {"--staff-pin", "line\nbreak"},
                                             {"--staff-pin", std::string(65, '7')},
                                             {"--staff-pin="},
                                             {"--lockout-attempts", "0"},
                                             {"--lockout-seconds", "86401"},
                                             {"--lockout-seconds", "1e3"}}) {
    const ArgsExit exit = parseExit(words);
    EXPECT_EQ(exit.exit_code, 2) << words[0];
  }
  EXPECT_NE(parseExit({"--help"}).message.find("--staff-pin"), std::string::npos);
}

TEST(ServerArgs, EveryFlagWithASeparateValue) {
  const ServerConfig config =
      parseOk({"--host", "0.0.0.0", "--port", "9100", "--data-dir", "/tmp/mc data", "--stage",
               "2", "--parcel-lockers", "35", "--food-slots", "7", "--idle-timeout", "5",
               "--backlog", "16", "--quiet"});
  EXPECT_EQ(config.host, "0.0.0.0");
  EXPECT_EQ(config.port, 9100);
  EXPECT_EQ(config.services.data_dir, std::filesystem::path("/tmp/mc data"));
  EXPECT_EQ(config.stage, 2);
  EXPECT_EQ(config.services.parcel_lockers, 35);
  EXPECT_EQ(config.services.food_slots, 7);
  EXPECT_EQ(config.idle_timeout_ms, 5'000);
  EXPECT_EQ(config.backlog, 16);
  EXPECT_TRUE(config.quiet);
}

TEST(ServerArgs, EveryFlagWithAnEqualsSign) {
  const ServerConfig config =
      parseOk({"--host=localhost", "--port=9101", "--data-dir=d=1", "--stage=3",
               "--parcel-lockers=999", "--food-slots=1", "--idle-timeout=3600", "--backlog=1"});
  EXPECT_EQ(config.host, "localhost");
  EXPECT_EQ(config.port, 9101);
  EXPECT_EQ(config.services.data_dir, std::filesystem::path("d=1"));  // split at the first '='
  EXPECT_EQ(config.stage, 3);
  EXPECT_EQ(config.services.parcel_lockers, 999);
  EXPECT_EQ(config.services.food_slots, 1);
  EXPECT_EQ(config.idle_timeout_ms, 3'600'000);
  EXPECT_EQ(config.backlog, 1);
}

TEST(ServerArgs, PortZeroMeansAnyFreePort) {
  EXPECT_EQ(parseOk({"--port", "0"}).port, 0);
  EXPECT_EQ(parseOk({"--port=65535"}).port, 65535);
}

TEST(ServerArgs, PoolTakesZeroTo256Workers) {
  EXPECT_EQ(parseOk({"--pool", "8"}).pool, 8);
  EXPECT_EQ(parseOk({"--pool=0"}).pool, 0);
  EXPECT_EQ(parseOk({"--pool=256"}).pool, 256);
}

TEST(ServerArgs, LaterFlagWins) {
  EXPECT_EQ(parseOk({"--stage", "1", "--stage", "3"}).stage, 3);
}

TEST(ServerArgs, HelpExitsZeroWithTheUsage) {
  const ArgsExit exit = parseExit({"--help"});
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_NE(exit.message.find("usage: cabinetd"), std::string::npos);
  EXPECT_NE(exit.message.find("--parcel-lockers"), std::string::npos);
}

/// Each case: the arguments, and a piece of text the message must contain.
struct BadArgs {
  std::vector<std::string> words;
  std::string mentions;
};

class ServerArgsRejects : public ::testing::TestWithParam<BadArgs> {};

TEST_P(ServerArgsRejects, WithExitTwoAndTheUsage) {
  const ArgsExit exit = parseExit(GetParam().words);
  EXPECT_EQ(exit.exit_code, 2);
  EXPECT_NE(exit.message.find(GetParam().mentions), std::string::npos) << exit.message;
  EXPECT_NE(exit.message.find("usage: cabinetd"), std::string::npos) << exit.message;
}

INSTANTIATE_TEST_SUITE_P(
    BadValues, ServerArgsRejects,
    ::testing::Values(
        BadArgs{{"--port", "65536"}, "--port"}, BadArgs{{"--port", "-1"}, "--port"},
        BadArgs{{"--port", "80x"}, "80x"}, BadArgs{{"--port", " 80"}, "--port"},
        BadArgs{{"--port", "+80"}, "--port"}, BadArgs{{"--port=1e3"}, "1e3"},
        BadArgs{{"--port", "99999999999999999999"}, "--port"},
        BadArgs{{"--port="}, "--port needs a value"}, BadArgs{{"--port"}, "--port needs a value"},
        BadArgs{{"--stage", "0"}, "--stage"}, BadArgs{{"--stage", "5"}, "--stage"},
        BadArgs{{"--parcel-lockers", "0"}, "--parcel-lockers"},
        BadArgs{{"--parcel-lockers", "1000"}, "--parcel-lockers"},
        BadArgs{{"--food-slots", "0"}, "--food-slots"},
        BadArgs{{"--food-slots=1000"}, "--food-slots"},
        BadArgs{{"--idle-timeout", "0"}, "--idle-timeout"},
        BadArgs{{"--idle-timeout", "3601"}, "--idle-timeout"},
        BadArgs{{"--backlog", "0"}, "--backlog"}, BadArgs{{"--pool", "257"}, "--pool"},
        BadArgs{{"--pool", "-1"}, "--pool"}, BadArgs{{"--pool"}, "--pool needs a value"},
        BadArgs{{"--host="}, "--host"},
        BadArgs{{"--data-dir"}, "--data-dir"}, BadArgs{{"--verbose"}, "--verbose"},
        BadArgs{{"-p", "80"}, "-p"}, BadArgs{{"stage4"}, "stage4"},
        BadArgs{{"--quiet=yes"}, "--quiet takes no value"},
        BadArgs{{"--help=me"}, "--help takes no value"},
        BadArgs{{"--stage", "2", "--bogus"}, "--bogus"}));

}  // namespace
}  // namespace mc
