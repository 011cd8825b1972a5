/// @file cabinet_echo.cpp
/// @brief `cabinet-echo`: the benchmark's baseline, a plain TCP server with a
/// thread per connection that answers each request frame at once with an OK
/// reply of the size cabinetd would send for it. No dispatcher, no child, no
/// database: what is left is the cost of one socket round trip on this
/// machine, the most any server speaking our protocol could do.
/// Runs in: its own process: the main thread accepts, one detached thread per
/// connection. Owns: the listening socket; each thread owns its connection.
///
///   cabinet-echo [--port P] [--host H]     prints "listening on H:P"; SIGTERM stops it
///
/// Frames go through the same frame_io calls as cabinetd's connection loop
/// (a read for the header, one for the payload, one write for the reply), so
/// the bytes and the socket calls per request are the same as the server's.
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "frame_io.hpp"
#include "listen_socket.hpp"

namespace {

using namespace mc;

/// Size in bytes of cabinetd's reply frame to each command, measured on a
/// server with 999 compartments (docs/performance.md, "the echo baseline").
std::size_t replyFrameBytes(Command command) {
  switch (command) {
    case Command::kParcelDeposit:
    case Command::kFoodDeposit: return 87;   // message, locker, code
    case Command::kParcelPickup:
    case Command::kFoodPickup: return 65;    // message, locker
    case Command::kVendingList: return 242;  // message and eight items
    case Command::kVendingBuy: return 87;    // message, product, name, price, stock
    case Command::kVendingRestock: return 82;
    case Command::kStatus: return 180;
  }
  return 64;
}

// An OK reply to @p request padded (in its message) to cabinetd's size.
Reply sameSizeReply(const Request& request) {
  Reply reply = makeReply(request, Status::kOk, "");
  const std::size_t bare = encodeReply(reply).size();
  const std::size_t want = replyFrameBytes(request.command);
  reply.fields = Fields{};
  reply.fields.add("message", std::string(want > bare ? want - bare : 0, 'x'));
  return reply;
}

void serveEcho(std::unique_ptr<Fd> client) {
  for (;;) {
    const IncomingRequest incoming = readRequest(*client);
    if (incoming.io != IoStatus::kOk) return;  // closed (or broken): done
    if (incoming.error != FrameError::kNone) return;  // not for a baseline to recover from
    if (!writeReply(*client, sameSizeReply(incoming.request))) return;
  }
}

std::optional<int> parseInt(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

constexpr const char* kUsage = "usage: cabinet-echo [--port P] [--host H]\n";

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 0;
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 == argc) {  // a flag without its value: never start on a guess
      std::fprintf(stderr, "cabinet-echo: %s needs a value\n%s", argv[i], kUsage);
      return 2;
    }
    if (flag == "--host") {
      host = argv[i + 1];
    } else if (auto value = parseInt(argv[i + 1]); flag == "--port" && value && *value >= 0 && *value <= 65535) {
      port = *value;
    } else {
      std::fprintf(stderr, "cabinet-echo: bad option %s %s\n%s", argv[i], argv[i + 1], kUsage);
      return 2;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);  // a client that leaves mid-reply is an error return, not death
  try {
    const Fd listener = openListenSocket(host, static_cast<std::uint16_t>(port), 1024);
    std::printf("listening on %s:%u\n", host.c_str(), static_cast<unsigned>(boundPort(listener)));
    std::fflush(stdout);
    for (;;) {
      auto client = std::make_unique<Fd>(acceptConnection(listener));
      if (!*client) continue;  // the peer gave up, or no descriptor to spare: next
      std::thread(serveEcho, std::move(client)).detach();
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cabinet-echo: %s\n", error.what());
    return 1;
  }
}
