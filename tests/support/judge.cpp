/// @file judge.cpp
/// @brief The judge's frames and session: docs/protocol.md read afresh, with
/// no lab file linked (see judge.hpp for why).
/// Runs in: the e2e test process, any thread. Owns: a JudgeSession's socket.
#include "judge.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "socket_timeouts.hpp"

namespace mc::test {

namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// The byte tables of docs/protocol.md: (offset, width) of each header field.
// Every integer is big-endian.
// ---------------------------------------------------------------------------

struct Slot {
  std::size_t offset;
  std::size_t width;
};

namespace request_at {
constexpr Slot kMagic{0, 2}, kVersion{2, 1}, kCommand{3, 1}, kRequestId{4, 4}, kUserId{8, 4},
    kLength{12, 2};  // 14..15 reserved, zero
}  // namespace request_at

namespace reply_at {
constexpr Slot kMagic{0, 2}, kVersion{2, 1}, kCommand{3, 1}, kRequestId{4, 4}, kStatus{8, 1},
    kService{9, 1}, kLength{10, 2}, kPid{12, 4}, kTid{16, 4};  // 20..23 reserved
}  // namespace reply_at

void store(Bytes& frame, Slot slot, std::uint32_t value) {
  for (std::size_t i = 0; i < slot.width; ++i) {
    frame[slot.offset + i] = static_cast<std::uint8_t>(value >> (8 * (slot.width - 1 - i)));
  }
}

std::uint32_t load(const std::uint8_t* header, Slot slot) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < slot.width; ++i) value = (value << 8) | header[slot.offset + i];
  return value;
}

std::chrono::milliseconds leftUntil(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds::zero(),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

// Waits until @p fd is readable or the deadline passes. False: it passed.
bool readableBefore(const Fd& fd, Clock::time_point deadline) {
  for (;;) {
    pollfd waiting{fd.get(), POLLIN, 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(leftUntil(deadline).count()));
    if (ready > 0) return true;  // data, EOF or an error: read() tells which
    if (ready == 0) return false;
    if (errno != EINTR) return true;  // let read() report the error
  }
}

IoStatus receiveBefore(const Fd& fd, void* buffer, std::size_t size, Clock::time_point deadline) {
  auto* bytes = static_cast<std::uint8_t*>(buffer);
  std::size_t have = 0;
  while (have < size) {
    if (!readableBefore(fd, deadline)) return IoStatus::kTimedOut;
    const ssize_t got = ::read(fd.get(), bytes + have, size - have);
    if (got > 0) {
      have += static_cast<std::size_t>(got);
    } else if (got == 0) {
      return have == 0 ? IoStatus::kClosed : IoStatus::kTruncated;
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      return IoStatus::kError;
    }
  }
  return IoStatus::kOk;
}

JudgeSession::Result failure(std::string why, bool connection_closed = false) {
  JudgeSession::Result result;
  result.error = std::move(why);
  result.connection_closed = connection_closed;
  return result;
}

JudgeSession::Result notOurs(std::string why) {
  JudgeSession::Result result = failure(std::move(why));
  result.not_ours = true;
  return result;
}

JudgeSession::Result sendFailure(int error) {
  if (error == EPIPE || error == ECONNRESET) return failure("server closed the connection", true);
  if (error == EAGAIN || error == EWOULDBLOCK) return failure("timed out sending the request");
  return failure("sending the request failed: " + std::generic_category().message(error));
}

JudgeSession::Result receiveFailure(IoStatus io, int error) {
  switch (io) {
    case IoStatus::kClosed: return failure("server closed the connection", true);
    case IoStatus::kTruncated: return failure("server closed the connection in the middle of a reply");
    case IoStatus::kTimedOut: return failure("timed out waiting for the reply");
    case IoStatus::kOk: break;
    case IoStatus::kError:
      if (error == ECONNRESET) return failure("server closed the connection", true);
      return failure("reading the reply failed: " + std::generic_category().message(error));
  }
  return failure("reading the reply failed");
}

// The tests connect to numeric loopback addresses only.
Fd connectTo(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  const std::string numeric = host == "localhost" ? "127.0.0.1" : host;
  if (::inet_pton(AF_INET, numeric.c_str(), &address.sin_addr) != 1) {
    throw std::invalid_argument("the judge connects to IPv4 addresses only, not " + host);
  }
  Fd socket{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!socket) throwErrno("socket");
  if (!boundBlockingCalls(socket, timeout)) throwErrno("setsockopt");
  if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno == EINPROGRESS) errno = ETIMEDOUT;  // SO_SNDTIMEO bounded connect()
    throwErrno("connect");
  }
  const int on = 1;
  if (::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) {
    throwErrno("setsockopt TCP_NODELAY");
  }
  return socket;
}

}  // namespace

// ---------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------

Bytes judgeFrame(const Request& request) {
  const std::string payload = encodeFields(request.fields);  // provided: fields_codec.cpp
  if (payload.size() > kMaxRequestPayload) throw std::length_error("request payload too long");
  Bytes frame(kRequestHeaderSize + payload.size(), 0);  // reserved bytes stay zero
  store(frame, request_at::kMagic, kMagic);
  store(frame, request_at::kVersion, kVersion);
  store(frame, request_at::kCommand, static_cast<std::uint8_t>(request.command));
  store(frame, request_at::kRequestId, request.request_id);
  store(frame, request_at::kUserId, request.user_id);
  store(frame, request_at::kLength, static_cast<std::uint32_t>(payload.size()));
  std::copy(payload.begin(), payload.end(), frame.begin() + kRequestHeaderSize);
  return frame;
}

IoStatus receiveBytes(const Fd& fd, void* buffer, std::size_t size, std::chrono::milliseconds wait) {
  return receiveBefore(fd, buffer, size, Clock::now() + wait);
}

bool sendAllBytes(const Fd& fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  std::size_t sent = 0;
  while (sent < size) {
    const ssize_t put = ::send(fd.get(), bytes + sent, size - sent, MSG_NOSIGNAL);
    if (put >= 0) {
      sent += static_cast<std::size_t>(put);
    } else if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

IncomingReply receiveReply(const Fd& socket, std::chrono::milliseconds wait) {
  const Clock::time_point deadline = Clock::now() + wait;
  IncomingReply in;
  std::array<std::uint8_t, kReplyHeaderSize> header{};
  in.io = receiveBefore(socket, header.data(), header.size(), deadline);
  if (in.io != IoStatus::kOk) return in;

  const std::uint8_t* h = header.data();
  if (load(h, reply_at::kMagic) != kMagic) in.error = FrameError::kBadMagic;
  else if (load(h, reply_at::kVersion) != kVersion) in.error = FrameError::kBadVersion;
  else if (load(h, reply_at::kLength) > kMaxReplyPayload) in.error = FrameError::kPayloadTooLong;
  if (in.error != FrameError::kNone) return in;  // nothing after this header can be trusted

  std::string payload(load(h, reply_at::kLength), '\0');
  in.io = receiveBefore(socket, payload.data(), payload.size(), deadline);
  if (in.io != IoStatus::kOk) return in;

  const auto status = static_cast<std::uint8_t>(load(h, reply_at::kStatus));
  const auto service = static_cast<std::uint8_t>(load(h, reply_at::kService));
  std::optional<Fields> fields = decodeFields(payload);  // provided: fields_codec.cpp
  if (!isKnownStatus(status) || !isKnownService(service) || !fields) {
    in.error = FrameError::kBadPayload;
    return in;
  }
  Reply& reply = in.reply;
  reply.command = static_cast<Command>(load(h, reply_at::kCommand));  // echoed, even if unknown
  reply.request_id = load(h, reply_at::kRequestId);
  reply.status = static_cast<Status>(status);
  reply.served_by = ServedBy{static_cast<Service>(service), load(h, reply_at::kPid),
                             load(h, reply_at::kTid)};
  reply.fields = std::move(*fields);
  return in;
}

// ---------------------------------------------------------------------------
// The session
// ---------------------------------------------------------------------------

JudgeSession::JudgeSession(const std::string& host, std::uint16_t port,
                           std::chrono::milliseconds timeout)
    : socket_{connectTo(host, port, timeout)}, timeout_{timeout} {}

bool JudgeSession::isBusyNotice(const Reply& reply) {
  return reply.status == Status::kBusy && reply.request_id == 0 &&
         static_cast<std::uint8_t>(reply.command) == 0;
}

JudgeSession::Result JudgeSession::call(Request request) {
  request.request_id = next_request_id_++;
  Bytes frame;
  try {
    frame = judgeFrame(request);
  } catch (const std::length_error&) {
    return failure("request too long: the fields exceed " + std::to_string(kMaxRequestPayload) +
                   " bytes");  // nothing was sent
  }
  const bool sent = sendAllBytes(socket_, frame.data(), frame.size());
  // A server over its limit may have sent BUSY and closed before our request
  // went out: the notice, still to be read, says more than "closed".
  const int send_error = sent ? 0 : errno;
  if (!sent && send_error != EPIPE && send_error != ECONNRESET) return sendFailure(send_error);

  IncomingReply incoming = receiveReply(socket_, timeout_);
  if (incoming.io != IoStatus::kOk) {
    return sent ? receiveFailure(incoming.io, errno) : sendFailure(send_error);
  }
  if (incoming.error != FrameError::kNone) {
    return failure("bad reply from the server: " + std::string(frameErrorText(incoming.error)));
  }
  if (isBusyNotice(incoming.reply)) {
    Result busy;
    busy.ok = true;
    busy.connection_closed = true;
    busy.reply = std::move(incoming.reply);
    return busy;
  }
  if (!sent) return sendFailure(send_error);
  const Reply& reply = incoming.reply;
  if (reply.request_id != request.request_id) {
    return notOurs("reply for request " + std::to_string(reply.request_id) + ", expected " +
                   std::to_string(request.request_id));
  }
  if (reply.command != request.command) {
    return notOurs("reply for command " + std::string(commandName(reply.command)) + ", expected " +
                   std::string(commandName(request.command)));
  }
  Result result;
  result.ok = true;
  result.reply = std::move(incoming.reply);
  return result;
}

}  // namespace mc::test
