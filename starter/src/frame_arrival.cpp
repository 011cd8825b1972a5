/// @file frame_arrival.cpp
/// @brief awaitFrame: the whole next request frame, or a deadline missed.
/// Runs in: the server's connections (frame_arrival.hpp says why).
/// Owns: nothing.
///
/// The fast path, when the frame is already queued (the usual case), costs
/// one recv(MSG_PEEK) and, for a frame with a payload, one ioctl(FIONREAD).
/// Only a frame still on its way pays for poll() and SO_RCVLOWAT.
#include "frame_arrival.hpp"

#include <poll.h>
#include <sys/ioctl.h>
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

// What the queued bytes say so far.
struct Queued {
  std::size_t bytes = 0;         // queued now (at most the header's 16 when the header is short)
  std::size_t frame_bytes = 0;   // the whole frame's size, once the header is in; else 0
  std::array<std::uint8_t, kRequestHeaderSize> header{};
  bool gone = false;             // EOF or an error pending: readRequest will report it
};

// The frame's size from its header (protocol.md, section 2). A header that
// readRequest refuses before its payload (bad magic, version or length) is a
// whole frame at 16 bytes: the payload is never read.
std::size_t frameBytes(const std::array<std::uint8_t, kRequestHeaderSize>& header) {
  const unsigned magic = static_cast<unsigned>(header[0]) << 8 | header[1];
  const std::size_t payload = static_cast<std::size_t>(header[12]) << 8 | header[13];
  if (magic != kMagic || header[2] != kVersion || payload > kMaxRequestPayload) return kRequestHeaderSize;
  return kRequestHeaderSize + payload;
}

// Looks at what is queued without taking it.
Queued peek(const Fd& client) {
  Queued queued;
  const ssize_t got = ::recv(client.get(), queued.header.data(), queued.header.size(), MSG_PEEK | MSG_DONTWAIT);
  if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    queued.gone = true;
    return queued;
  }
  queued.bytes = got > 0 ? static_cast<std::size_t>(got) : 0;
  if (queued.bytes < kRequestHeaderSize) return queued;
  queued.frame_bytes = frameBytes(queued.header);
  if (queued.frame_bytes > kRequestHeaderSize) {
    int all = 0;
    if (::ioctl(client.get(), FIONREAD, &all) != 0) queued.gone = true;  // let readRequest find out
    queued.bytes = static_cast<std::size_t>(all);
  }
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
    request.command = static_cast<Command>(queued.header[3]);
    request.request_id = static_cast<std::uint32_t>(queued.header[4]) << 24 |
                         static_cast<std::uint32_t>(queued.header[5]) << 16 |
                         static_cast<std::uint32_t>(queued.header[6]) << 8 | queued.header[7];
  }
  const double seconds = std::chrono::duration<double>(limit).count();
  char text[64];
  std::snprintf(text, sizeof text, "frame not complete within %g s", seconds);
  return makeReply(request, Status::kBadRequest, text);
}

}  // namespace

FrameArrival awaitFrame(const Fd& client, std::chrono::milliseconds idle_timeout,
                        std::chrono::milliseconds frame_timeout) {
  Queued queued = peek(client);
  if (queued.gone || (queued.frame_bytes > 0 && queued.bytes >= queued.frame_bytes)) return {};
  if (queued.bytes == 0) {  // between frames: the idle timeout, for the first byte
    const Wait first = waitForBytes(client, 1, Clock::now() + idle_timeout);
    if (first == Wait::kTimedOut) return {FrameArrival::kIdle, {}};
    if (first == Wait::kEnded) return {};
    queued = peek(client);
  }
  // A frame that stops arriving halfway is not given more than the idle
  // timeout either: the smaller of the two bounds the whole frame.
  const std::chrono::milliseconds limit = std::min(frame_timeout, idle_timeout);
  const Clock::time_point deadline = Clock::now() + limit;
  // Twice at most: the header's 16 bytes, then (its length known) the rest.
  while (!queued.gone && (queued.frame_bytes == 0 || queued.bytes < queued.frame_bytes)) {
    const std::size_t want = queued.frame_bytes == 0 ? kRequestHeaderSize : queued.frame_bytes;
    const Wait rest = waitForBytes(client, want, deadline);
    if (rest == Wait::kTimedOut) return {FrameArrival::kTooSlow, tooSlow(peek(client), limit)};
    if (rest == Wait::kEnded) return {};
    queued = peek(client);
  }
  return {};
}

}  // namespace mc
