/// @file test_client.cpp
/// @brief Request builders, reply readers and raw sockets for the e2e tests.
/// Runs in: the e2e test process, any thread. Owns: nothing.
#include "test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>
#include <sstream>

#include "judge.hpp"
#include "socket_timeouts.hpp"
#include "server_process.hpp"

namespace mc::test {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

Request makeRequest(Command command, std::vector<std::pair<std::string, std::string>> fields,
                    std::uint32_t user) {
  Request request;
  request.command = command;
  request.user_id = user;
  for (auto& [key, value] : fields) request.fields.add(std::move(key), std::move(value));
  return request;
}

Request depositParcel(std::uint32_t user) { return makeRequest(Command::kParcelDeposit, {}, user); }
Request pickupParcel(const std::string& code, std::uint32_t user) {
  return makeRequest(Command::kParcelPickup, {{"code", code}}, user);
}
Request depositFood(std::uint32_t user) { return makeRequest(Command::kFoodDeposit, {}, user); }
Request pickupFood(const std::string& code, std::uint32_t user) {
  return makeRequest(Command::kFoodPickup, {{"code", code}}, user);
}
Request listProducts() { return makeRequest(Command::kVendingList); }
Request buy(const std::string& product, std::uint32_t user) {
  return makeRequest(Command::kVendingBuy, {{"product", product}}, user);
}
Request restock(const std::string& product, int qty) {
  return makeRequest(Command::kVendingRestock, {{"product", product},
                                                {"qty", std::to_string(qty)},
                                                {"pin", kTestStaffPin}});
}
Request status() { return makeRequest(Command::kStatus, {{"pin", kTestStaffPin}}); }

// ---------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------

Reply callExpecting(JudgeSession& session, Request request, Status want) {
  Command command = request.command;
  JudgeSession::Result result = session.call(std::move(request));
  EXPECT_TRUE(result.ok) << commandName(command) << " (want " << want << ") got no reply of its own: "
                         << describe(result)
                         << (result.not_ours
                                 ? ". A reply came, but not for this request: a reply echoes its request's "
                                   "command (byte 3) and request id (bytes 4-7, big-endian)"
                                 : ". The server answers every request on a connection with one reply, in "
                                   "order, and keeps the connection open for the next");
  if (!result.ok) return Reply{};
  EXPECT_EQ(result.reply.status, want) << commandName(command) << " was answered " << result.reply.status
                                       << ", not " << want << ": " << describe(result);
  EXPECT_EQ(result.reply.command, command) << "a reply echoes its request's command: " << describe(result);
  return result.reply;
}

std::string stageName(const ::testing::TestParamInfo<int>& info) {
  return "stage" + std::to_string(info.param);
}

std::string fieldOf(const Reply& reply, std::string_view key) {
  return std::string{reply.fields.find(key).value_or("")};
}

std::optional<long> intFieldOf(const Reply& reply, std::string_view key) {
  std::optional<std::string_view> text = reply.fields.find(key);
  if (!text) return std::nullopt;  // absent
  long value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;  // not a number
  return value;
}

std::string describe(const JudgeSession::Result& result) {
  if (!result.ok) return "client error: " + result.error;
  const Reply& reply = result.reply;
  std::ostringstream text;
  text << statusName(reply.status) << " to " << commandName(reply.command) << " {";
  const char* separator = "";
  for (const auto& [key, value] : reply.fields.entries()) {
    text << separator << key << '=' << value;
    separator = ", ";
  }
  text << "} served by " << serviceName(reply.served_by.service) << " pid " << reply.served_by.pid
       << " tid " << reply.served_by.tid;
  return text.str();
}

const std::vector<Product> kDefaultCatalogue = {
    {"A1", "Cola", 150, 10},        {"A2", "Mineral water", 100, 10},
    {"A3", "Orange juice", 200, 8}, {"B1", "Crisps", 120, 10},
    {"B2", "Chocolate bar", 180, 10}, {"B3", "Sandwich", 350, 5},
    {"C1", "Coffee", 250, 10},      {"C2", "Green tea", 220, 10},
};

namespace {

std::optional<int> parseInt(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "CODE;NAME;PRICE;STOCK"
std::optional<Product> parseItem(std::string_view item) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    std::size_t semicolon = item.find(';', start);
    parts.push_back(item.substr(start, semicolon - start));
    if (semicolon == std::string_view::npos) break;
    start = semicolon + 1;
  }
  if (parts.size() != 4) return std::nullopt;
  std::optional<int> price = parseInt(parts[2]);
  std::optional<int> stock = parseInt(parts[3]);
  if (!price || !stock) return std::nullopt;
  return Product{std::string{parts[0]}, std::string{parts[1]}, *price, *stock};
}

}  // namespace

std::optional<std::vector<Product>> parseCatalogue(const Reply& reply) {
  std::vector<Product> products;
  for (std::string_view item : reply.fields.findAll("item")) {
    std::optional<Product> product = parseItem(item);
    if (!product) return std::nullopt;  // malformed item
    products.push_back(*product);
  }
  return products;
}

std::map<std::string, int> stockByProduct(JudgeSession& session) {
  JudgeSession::Result listed = session.call(listProducts());
  if (!listed.ok || listed.reply.status != Status::kOk) {
    ADD_FAILURE() << "list failed: " << describe(listed);
    return {};
  }
  std::optional<std::vector<Product>> products = parseCatalogue(listed.reply);
  if (!products) {
    ADD_FAILURE() << "malformed catalogue: " << describe(listed);
    return {};
  }
  std::map<std::string, int> stock;
  for (const Product& product : *products) stock[product.code] = product.stock;
  return stock;
}

::testing::AssertionResult isServed(std::uint16_t port) {
  try {
    JudgeSession session{"127.0.0.1", port, std::chrono::seconds(10)};
    JudgeSession::Result result = session.call(status());
    if (!result.ok || result.reply.status != Status::kOk) {
      return ::testing::AssertionFailure() << "a fresh client was not served: " << describe(result);
    }
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "a fresh client could not connect: " << e.what();
  }
}

bool looksLikeCode(std::string_view code) {
  if (code.size() != 6) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool looksLikeLocker(std::string_view locker, char prefix) {
  // A prefix, a dash, then at least two digits (P-07, P-120).
  if (locker.size() < 4 || locker[0] != prefix || locker[1] != '-') return false;
  for (char c : locker.substr(2)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Raw sockets
// ---------------------------------------------------------------------------

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

}  // namespace

Fd connectRaw(std::uint16_t port, std::chrono::milliseconds timeout) {
  Fd socket{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!socket) throwErrno("socket");
  if (!boundBlockingCalls(socket, timeout)) throwErrno("setsockopt(SO_RCVTIMEO)");
  const sockaddr_in address = loopback(port);
  if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throwErrno("connect");
  }
  return socket;
}

TcpPair loopbackPair(std::chrono::milliseconds timeout) {
  Fd listener{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  if (!listener || ::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.get(), 1) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throwErrno("listen on 127.0.0.1:0");
  }
  TcpPair pair;
  pair.client = connectRaw(ntohs(address.sin_port), timeout);
  pair.server = Fd{::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)};
  if (!pair.server) throwErrno("accept4");
  if (!boundBlockingCalls(pair.server, timeout)) throwErrno("setsockopt(SO_RCVTIMEO)");
  return pair;
}

Bytes encodeRawHeader(const RawHeader& header) {
  Bytes bytes;
  auto put = [&bytes](std::uint64_t value, int size) {
    for (int shift = (size - 1) * 8; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<std::uint8_t>(value >> shift));
    }
  };
  put(header.magic, 2);
  put(header.version, 1);
  put(header.command, 1);
  put(header.request_id, 4);
  put(header.user_id, 4);
  put(header.payload_length, 2);
  put(0, 2);  // reserved
  return bytes;
}

bool sendBytes(const Fd& socket, const Bytes& bytes) {
  return sendAllBytes(socket, bytes.data(), bytes.size());
}

bool waitForClose(const Fd& socket, std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds::zero()) return false;  // still open
    pollfd waiting{socket.get(), POLLIN, 0};
    int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready <= 0) continue;  // EINTR or timeout: re-check the deadline
    char byte = 0;
    IoStatus io = receiveBytes(socket, &byte, 1);
    if (io == IoStatus::kClosed || io == IoStatus::kTruncated) return true;  // EOF
    if (io == IoStatus::kError) return true;                                 // reset
    // kOk: the server sent something; keep draining until it closes.
  }
}

void abortConnection(Fd socket) {
  linger hard{};
  hard.l_onoff = 1;
  hard.l_linger = 0;
  ::setsockopt(socket.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  // ~Fd closes it, which now sends RST.
}

}  // namespace mc::test

