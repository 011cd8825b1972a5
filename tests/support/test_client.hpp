/// @file test_client.hpp
/// @brief Small helpers for e2e tests on the client side: building requests,
/// reading reply fields, the default catalogue, and raw sockets for tests
/// that must send broken bytes.
/// Runs in: the e2e test process (any thread). Owns: nothing but the Fd it returns.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "judge.hpp"
#include "fd.hpp"
#include "frame_io.hpp"
#include "protocol.hpp"
#include "wire_codec.hpp"

namespace mc::test {

/// @brief A request for @p command with @p fields, from user @p user.
Request makeRequest(Command command,
                    std::vector<std::pair<std::string, std::string>> fields = {},
                    std::uint32_t user = 1);

/// @name One builder per command. Thread-safe (pure).
/// @{
Request depositParcel(std::uint32_t user = 1);
Request pickupParcel(const std::string& code, std::uint32_t user = 1);
Request depositFood(std::uint32_t user = 1);
Request pickupFood(const std::string& code, std::uint32_t user = 1);
Request listProducts();
Request buy(const std::string& product, std::uint32_t user = 1);
Request restock(const std::string& product, int qty);  ///< carries kTestStaffPin
Request status();  ///< carries kTestStaffPin (server_process.hpp)
/// @}

/// @brief Calls @p request and records a gtest failure unless a reply came
/// with status @p want and the request's command echoed.
/// @return the reply (default-constructed if none came).
Reply callExpecting(JudgeSession& session, Request request, Status want);

/// @brief Test names "stage1" ... for INSTANTIATE_TEST_SUITE_P over stages.
std::string stageName(const ::testing::TestParamInfo<int>& info);

/// @brief The lab this test executable grades (1-6; 0 for kit, tools and
/// reliability): tests/lab_number.cpp, compiled per executable.
int labNumber();

/// @brief The server stages this test executable checks: labs 1-4 run their
/// own stage (N), lab 5 (shutdown and recovery) and the suites of no lab run
/// every stage. Test suites instantiate with ::testing::ValuesIn(labStages()),
/// so one source, compiled once, serves every lab.
inline std::vector<int> labStages() {
  const int lab = labNumber();
  if (lab >= 1 && lab <= 4) return {lab};
  return {1, 2, 3, 4};
}

/// @brief Like labStages(), without the stages before @p first_stage.
inline std::vector<int> labStagesFrom(int first_stage) {
  std::vector<int> stages;
  for (int stage : labStages())
    if (stage >= first_stage) stages.push_back(stage);
  return stages;
}

/// @brief The first value of @p key in @p reply, or "" if absent.
std::string fieldOf(const Reply& reply, std::string_view key);
/// @brief The integer value of @p key, nullopt if absent or not a number.
std::optional<long> intFieldOf(const Reply& reply, std::string_view key);

/// @brief One line for failure messages: status, fields and who served it,
/// or the client's error.
std::string describe(const JudgeSession::Result& result);

/// One product as the catalogue lists it.
struct Product {
  std::string code;
  std::string name;
  int price_cents = 0;
  int stock = 0;
  bool operator==(const Product&) const = default;
};

/// The catalogue a fresh data dir starts with (docs/protocol.md).
extern const std::vector<Product> kDefaultCatalogue;

/// @brief The `item` fields of a list reply ("CODE;NAME;PRICE;STOCK").
/// @return nullopt if any item is malformed.
std::optional<std::vector<Product>> parseCatalogue(const Reply& reply);

/// @brief Lists the catalogue and returns stock by product code; empty on failure
/// (with a gtest failure recorded).
std::map<std::string, int> stockByProduct(JudgeSession& session);

/// @brief A fresh connection to @p port gets an OK reply to `status`.
::testing::AssertionResult isServed(std::uint16_t port);

/// @brief True for a 6-digit pickup code.
bool looksLikeCode(std::string_view code);
/// @brief True for "P-07" (@p prefix 'P') or "F-03" (@p prefix 'F').
bool looksLikeLocker(std::string_view locker, char prefix);

// ---------------------------------------------------------------------------
// Raw sockets, for tests that misbehave on purpose
// ---------------------------------------------------------------------------

/// @brief A TCP connection to 127.0.0.1:@p port whose reads and writes time
/// out after @p timeout (SO_RCVTIMEO / SO_SNDTIMEO).
/// @throws std::system_error (socket, connect).
Fd connectRaw(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// Both ends of one TCP connection on loopback, made without a server.
struct TcpPair {
  Fd server;  ///< the accepted end
  Fd client;  ///< the connecting end
};

/// @brief A fresh TcpPair whose two ends' reads and writes time out after
/// @p timeout. @throws std::system_error.
TcpPair loopbackPair(std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// The fields of a request header, written as given: nothing is validated,
/// so a test can send a wrong magic, version or length.
struct RawHeader {
  std::uint16_t magic = kMagic;
  std::uint8_t version = kVersion;
  std::uint8_t command = static_cast<std::uint8_t>(Command::kStatus);
  std::uint32_t request_id = 1;
  std::uint32_t user_id = 1;
  std::uint16_t payload_length = 0;
};

/// @brief The 16 header bytes of @p header (big-endian).
Bytes encodeRawHeader(const RawHeader& header);

/// @brief Writes all of @p bytes. @return false on error.
bool sendBytes(const Fd& socket, const Bytes& bytes);

/// @brief Waits up to @p timeout for the peer to close (EOF or reset),
/// discarding anything it sends first. @return true if it closed.
bool waitForClose(const Fd& socket, std::chrono::milliseconds timeout);

/// @brief Closes @p socket with SO_LINGER 0: the peer gets a reset (RST),
/// not a polite FIN.
void abortConnection(Fd socket);

}  // namespace mc::test

// GoogleTest prints Status, Command, Service, Request, Reply, IoStatus and
// FrameError by name: the provided code has an operator<< for each, next to
// the type (protocol.hpp, robust_io.hpp, wire_codec.hpp).
