/// @file frame_arrival.cpp
/// @brief awaitFrame: the whole next request frame, or a deadline missed.
/// Runs in: the server's connections (frame_arrival.hpp says why).
/// Owns: nothing.
///
/// The usual case costs one system call: a blocking recv(MSG_PEEK) that
/// returns once the next frame's first bytes are in, which a client's frame
/// (at most 272 bytes, one TCP segment) almost always fills whole. Only a
/// frame still on its way pays for poll() and SO_RCVLOWAT.
#include "frame_arrival.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>

#include "wire_codec.hpp"

namespace mc {

namespace {

using Clock = std::chrono::steady_clock;

// The longest request frame: enough room to see any frame whole in one peek.
constexpr std::size_t kLongestFrame = kRequestHeaderSize + kMaxRequestPayload;

// What the queued bytes say so far.
struct Queued {
  std::size_t bytes = 0;        // queued now (up to kLongestFrame: more does not matter)
  std::size_t frame_bytes = 0;  // the whole frame's size, once its header is in; else 0
  std::array<std::uint8_t, kLongestFrame> data{};
  bool idle = false;            // nothing came within the socket's receive timeout
  bool gone = false;            // EOF or an error pending: readRequest will report it

  bool whole() const { return gone || (frame_bytes > 0 && bytes >= frame_bytes); }
};

// The frame's size from its header (protocol.md, section 2). A header that
// readRequest refuses before its payload (bad magic, version or length) is a
// whole frame at 16 bytes: the payload is never read.
std::size_t frameBytes(const std::array<std::uint8_t, kLongestFrame>& data) {
  const unsigned magic = static_cast<unsigned>(data[0]) << 8 | data[1];
  const std::size_t payload = static_cast<std::size_t>(data[12]) << 8 | data[13];
  if (magic != kMagic || data[2] != kVersion || payload > kMaxRequestPayload) return kRequestHeaderSize;
  return kRequestHeaderSize + payload;
}

// Looks at what is queued without taking it. @p wait: block until at least
// one byte is there (for at most the socket's SO_RCVTIMEO, the idle timeout).
Queued peek(const Fd& client, bool wait) {
  Queued queued;
  ssize_t got = 0;
  do {
    got = ::recv(client.get(), queued.data.data(), queued.data.size(), MSG_PEEK | (wait ? 0 : MSG_DONTWAIT));
  } while (got < 0 && errno == EINTR);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    queued.idle = wait;  // waited the whole receive timeout: idle; else just nothing yet
    return queued;
  }
  if (got <= 0) {  // EOF (the client left, or the stop shut our side), or an error
    queued.gone = true;
    return queued;
  }
  queued.bytes = static_cast<std::size_t>(got);
  if (queued.bytes >= kRequestHeaderSize) queued.frame_bytes = frameBytes(queued.data);
  return queued;
}

enum class Wait { kQueued, kEnded, kTimedOut };

// Waits until @p bytes are queued, until @p deadline. kEnded: the peer
// closed or reset, the server shut our reading side (the stop), or poll
// failed; nothing more will come, and readRequest will say what happened.
Wait waitForBytes(const Fd& client, std::size_t bytes, Clock::time_point deadline) {
  const int lowat = static_cast<int>(bytes);
  ::setsockopt(client.get(), SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
  Wait result = Wait::kTimedOut;
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd watch{client.get(), POLLIN | POLLRDHUP, 0};
    const int polled = ::poll(&watch, 1, static_cast<int>(left.count()));
    if (polled < 0 && errno == EINTR) continue;
    if (polled == 0) continue;  // woke early: look at the clock again
    const bool ended = polled < 0 || (watch.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
    result = ended ? Wait::kEnded : Wait::kQueued;
    break;
  }
  const int one = 1;  // back to the default: readExactly's reads return what is there
  ::setsockopt(client.get(), SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
  return result;
}

Reply tooSlow(const Queued& queued, std::chrono::milliseconds limit) {
  Request request;  // whose frame it was, if its header came whole; else nobody's
  request.command = static_cast<Command>(0);
  if (queued.bytes >= kRequestHeaderSize) {
    const auto& d = queued.data;
    request.command = static_cast<Command>(d[3]);
    request.request_id = static_cast<std::uint32_t>(d[4]) << 24 | static_cast<std::uint32_t>(d[5]) << 16 |
                         static_cast<std::uint32_t>(d[6]) << 8 | d[7];
  }
  const double seconds = std::chrono::duration<double>(limit).count();
  char text[64];
  std::snprintf(text, sizeof text, "frame not complete within %g s", seconds);
  return makeReply(request, Status::kBadRequest, text);
}

}  // namespace

FrameArrival awaitFrame(const Fd& client, std::chrono::milliseconds idle_timeout,
                        std::chrono::milliseconds frame_timeout) {
  // Between frames the socket's receive timeout (the idle timeout, set by
  // boundBlockingCalls) bounds this first wait; @p idle_timeout bounds the
  // frame's rest below.
  Queued queued = peek(client, true);
  if (queued.idle) return {FrameArrival::kIdle, {}};
  if (queued.whole()) return {};
  // A frame has begun. A frame that stops arriving halfway is not given more
  // than the idle timeout either: the smaller of the two bounds it whole.
  const std::chrono::milliseconds limit = std::min(frame_timeout, idle_timeout);
  const Clock::time_point deadline = Clock::now() + limit;
  // Twice at most: the header's 16 bytes, then (its length known) the rest.
  while (!queued.whole()) {
    const std::size_t want = queued.frame_bytes == 0 ? kRequestHeaderSize : queued.frame_bytes;
    const Wait rest = waitForBytes(client, want, deadline);
    if (rest == Wait::kTimedOut) return {FrameArrival::kTooSlow, tooSlow(peek(client, false), limit)};
    if (rest == Wait::kEnded) return {};
    queued = peek(client, false);
  }
  return {};
}

}  // namespace mc
