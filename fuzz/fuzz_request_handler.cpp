/// @file fuzz_request_handler.cpp
/// @brief libFuzzer target: arbitrary request bytes run against the real
/// services (SQLite in a temporary data dir), either decoded and routed one by
/// one, or fed whole through a socketpair to serveConnection, as a client would.
/// Runs in: the fuzz process: the fuzzing thread, plus one serving thread per
/// connection input. Owns: the Cabinet (one InlineDispatcher and its data
/// dir, for the whole process), and per connection input a socketpair.
///
/// The state lives across inputs (opening three databases per input would be
/// slow), so every input must leave it as it found it: a Ledger notes each
/// acknowledged deposit and pickup, and after the input picks up whatever is
/// still stored. That is also the promise, checked on every input:
/// each acknowledged deposit opens exactly once, and nothing else is stored.
/// (Per-input work that grows global memory makes libFuzzer run LeakSanitizer
/// after each input, at a hundred times the cost, so the harness keeps none.)
/// The first input byte picks the mode (fuzz_support.hpp, HandlerMode).
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "connection.hpp"
#include "fd.hpp"
#include "frame_io.hpp"
#include "fuzz_support.hpp"
#include "inline_dispatcher.hpp"
#include "open_connections.hpp"
#include "protocol.hpp"
#include "robust_io.hpp"
#include "socket_timeouts.hpp"
#include "wire_codec.hpp"

namespace mc::fuzz {
namespace {

using namespace std::chrono_literals;
using ByteSpan = std::span<const std::uint8_t>;

/// A connection input goes into the socket before anyone reads it, so it
/// must fit the socket's send buffer (about 200 KiB on Linux).
constexpr std::size_t kMaxConnectionBytes = 60 * 1024;
/// serveConnection's idle timeout; the whole input is already there, so it
/// only matters if serveConnection waits when it should not.
constexpr std::chrono::milliseconds kIdleTimeout = 2s;
/// How long the client side waits for the next reply before calling it a hang
/// (below libFuzzer's -timeout=5, so the message says what hung).
constexpr int kReplyWaitSeconds = 4;

// ---------------------------------------------------------------------------
// The cabinet: one set of services for the whole process
// ---------------------------------------------------------------------------

/// The services every input runs against, and the list serveConnection asks
/// whether the server is closing (never, here).
struct Cabinet {
  std::filesystem::path data_dir;
  std::unique_ptr<InlineDispatcher> dispatcher;
  OpenConnections connections;

  Cabinet() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mc-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throwErrno("mkdtemp");
    data_dir = pattern;
    ServiceOptions options;
    options.data_dir = data_dir;
    options.parcel_lockers = 4;  // small, so inputs reach FULL too
    options.food_slots = 3;
    options.staff_pin = std::string{kStaffPin};  // the seeds' restock and status carry it
    dispatcher = std::make_unique<InlineDispatcher>(options);
  }
  ~Cabinet() {
    dispatcher.reset();  // close the databases before removing their files
    std::error_code ignored;
    std::filesystem::remove_all(data_dir, ignored);
  }
  Cabinet(const Cabinet&) = delete;
  Cabinet& operator=(const Cabinet&) = delete;
};

// Opened on first use, closed (and its directory removed) at exit.
Cabinet& cabinet() {
  static Cabinet the_cabinet;
  return the_cabinet;
}

// ---------------------------------------------------------------------------
// Replies: each must encode, decode back, and echo its request
// ---------------------------------------------------------------------------

void checkReply(const Reply& reply) {
  require(reply.fields.find("message").has_value(), "a reply without a message field");
  const Bytes encoded = encodeReply(reply);  // throws (and so aborts) if too long
  require(decodeReplyFrame(encoded).value == reply, "a reply does not survive the wire");
}

void checkEcho(const Reply& reply, const RequestHeader& header) {
  require(reply.request_id == header.request_id, "a reply to another request id");
  require(static_cast<std::uint8_t>(reply.command) == header.command,
          "a reply to another command");
}

// ---------------------------------------------------------------------------
// The ledger: what the cabinet must hold after the replies it gave
// ---------------------------------------------------------------------------

/// Which locker service a deposit or pickup command belongs to, if any.
std::optional<std::size_t> lockerIndex(Command command) {
  switch (command) {
    case Command::kParcelDeposit:
    case Command::kParcelPickup: return 0;
    case Command::kFoodDeposit:
    case Command::kFoodPickup: return 1;
    default: return std::nullopt;  // vending or status: nothing stored
  }
}

bool isDeposit(Command command) {
  return command == Command::kParcelDeposit || command == Command::kFoodDeposit;
}

Command pickupCommand(std::size_t locker_index) {
  return locker_index == 0 ? Command::kParcelPickup : Command::kFoodPickup;
}

/// The lockers an input filled, as its OK replies said, per locker service.
class Ledger {
 public:
  /// @brief Notes what an OK deposit or pickup reply changed.
  void record(const Reply& reply) {
    const std::optional<std::size_t> index = lockerIndex(reply.command);
    if (!index || reply.status != Status::kOk) return;  // nothing stored or freed
    const std::string locker{reply.fields.find("locker").value_or("")};
    auto& held = held_[*index];
    if (isDeposit(reply.command)) {
      const std::string code{reply.fields.find("code").value_or("")};
      require(!locker.empty() && code.size() == 6, "a deposit without locker or code");
      require(held.emplace(locker, code).second, "one locker given to two deposits");
    } else {
      require(held.erase(locker) == 1, "a pickup opened a locker no deposit filled");
    }
  }

  /// @brief Picks up everything still held, then checks with STATUS that
  /// every locker is free. Together: each acknowledged deposit opened exactly
  /// once (the input's own pickups were recorded, ours each opened one, and a
  /// code opens only an occupied locker), and nothing else was stored.
  void settle(Dispatcher& dispatcher) {
    for (std::size_t index = 0; index < held_.size(); ++index) {
      for (const auto& [locker, code] : held_[index]) {
        const Reply opened = pickUp(dispatcher, index, code);
        require(opened.status == Status::kOk && opened.fields.find("locker") == locker,
                "an acknowledged deposit could not be picked up");
      }
      held_[index].clear();
    }
    Request status;
    status.command = Command::kStatus;
    status.fields.add("pin", std::string{kStaffPin});
    const Reply counts = routeRequest(dispatcher, status);
    require(counts.status == Status::kOk, "STATUS with the staff PIN failed");
    require(counts.fields.find("parcel.occupied") == "0" && counts.fields.find("food.occupied") == "0",
            "a locker is occupied that no acknowledged deposit filled");
  }

 private:
  // A pickup with @p code by one of our own user ids. Our codes are right, so
  // they never count towards a lockout; but an input may have locked out an
  // id it shares with us (lockouts.hpp), and then the next id is tried.
  static Reply pickUp(Dispatcher& dispatcher, std::size_t index, const std::string& code) {
    Request pickup;
    pickup.command = pickupCommand(index);
    pickup.fields.add("code", code);
    Reply reply;
    for (std::uint32_t user = 0xFFFFFFFFu; user > 0xFFFFFFF0u; --user) {
      pickup.user_id = user;
      reply = routeRequest(dispatcher, pickup);
      if (reply.status != Status::kLockedOut) break;  // a lockout opens nothing
    }
    return reply;
  }

  std::array<std::map<std::string, std::string>, 2> held_;  // locker -> code
};

// ---------------------------------------------------------------------------
// Mode 1: requests decoded in memory and routed one by one
// ---------------------------------------------------------------------------

void runRequests(ByteSpan stream, Ledger& ledger) {
  for (const StreamFrame& frame : splitRequestStream(stream)) {
    if (!frame.request) continue;  // the connection would answer BAD_REQUEST itself
    const Reply reply = routeRequest(*cabinet().dispatcher, *frame.request);
    checkReply(reply);
    checkEcho(reply, frame.header);
    ledger.record(reply);
  }
}

// ---------------------------------------------------------------------------
// Mode 2: the bytes as a client sends them, through serveConnection
// ---------------------------------------------------------------------------

/// The two ends of a connected AF_UNIX stream socket.
struct SocketPair {
  Fd client;  ///< the fuzzer writes requests and reads replies here
  Fd server;  ///< serveConnection's end
};

SocketPair makeSocketPair() {
  int raw[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, raw) != 0) throwErrno("socketpair");
  return {Fd{raw[0]}, Fd{raw[1]}};
}

// Makes each read on @p fd give up after @p seconds (readReply: kTimedOut).
void boundReads(const Fd& fd, int seconds) {
  if (!setSocketTimeout(fd, SO_RCVTIMEO, std::chrono::seconds(seconds))) throwErrno("setsockopt SO_RCVTIMEO");
}

// Every reply until the server closes its end; each must arrive whole and decode.
std::vector<Reply> readAllReplies(const Fd& client) {
  std::vector<Reply> replies;
  for (;;) {
    const IncomingReply in = readReply(client);
    if (in.io == IoStatus::kClosed) return replies;  // the server closed: done
    // The server stopped reading after a fatal frame and closed with our later
    // bytes unread: AF_UNIX then reports ECONNRESET, after all it did send.
    if (in.io == IoStatus::kError && errno == ECONNRESET) return replies;
    require(in.io != IoStatus::kTimedOut, "serveConnection hung: no reply, no close");
    require(in.io == IoStatus::kOk, "a reply cut short");
    require(in.error == FrameError::kNone, "a reply that does not decode");
    replies.push_back(in.reply);
  }
}

void runConnection(ByteSpan stream, Ledger& ledger) {
  if (stream.size() > kMaxConnectionBytes) return;  // would not fit the socket buffer
  SocketPair pair = makeSocketPair();
  boundReads(pair.client, kReplyWaitSeconds);
  require(writeAll(pair.client, stream.data(), stream.size()), "writing the request bytes failed");
  ::shutdown(pair.client.get(), SHUT_WR);  // EOF after the bytes, as a client that closes

  std::jthread serving([&] {
    serveConnection(pair.server, *cabinet().dispatcher, cabinet().connections, kIdleTimeout);
    pair.server.reset();  // the client's readReply sees EOF
  });
  const std::vector<Reply> replies = readAllReplies(pair.client);
  serving.join();

  // One reply per frame a server can read whole, in order (see splitRequestStream).
  const std::vector<StreamFrame> frames = splitRequestStream(stream);
  require(replies.size() == frames.size(), "not one reply per complete frame");
  for (std::size_t i = 0; i < replies.size(); ++i) {
    checkReply(replies[i]);
    checkEcho(replies[i], frames[i].header);
    if (!frames[i].request)
      require(replies[i].status == Status::kBadRequest, "a rejected frame not answered BAD_REQUEST");
    ledger.record(replies[i]);
  }
}

}  // namespace
}  // namespace mc::fuzz

/// @brief libFuzzer's entry point: runs one input, then settles its ledger.
/// Always returns 0; a broken invariant aborts instead.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mc::fuzz;
  if (size == 0) return 0;  // no selector byte
  const ByteSpan bytes{data + 1, size - 1};
  Ledger ledger;
  switch (static_cast<HandlerMode>(data[0] % kHandlerModeCount)) {
    case HandlerMode::kRequests: runRequests(bytes, ledger); break;
    case HandlerMode::kConnection: runConnection(bytes, ledger); break;
  }
  ledger.settle(*cabinet().dispatcher);
  return 0;
}
