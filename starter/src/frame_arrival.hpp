/// @file frame_arrival.hpp
/// @brief awaitFrame: waits until the whole of a client's next request frame
/// has arrived, and gives up on a frame that takes too long to arrive.
/// Runs in: the server (serveConnection, before each readRequest).
/// Owns: nothing (borrows the client's Fd).
///
/// Why the idle timeout alone is not enough: SO_RCVTIMEO bounds each read,
/// not a whole frame. A client that sends one byte a second never lets a read
/// wait long, yet a 28-byte request then takes 28 seconds, and 512 such
/// clients hold every connection the server has (a "slowloris" attack). So
/// the frame as a whole gets a deadline: --frame-timeout seconds from its
/// first byte (default 10). Until that byte the idle timeout applies, as before.
///
/// How it waits without reading: the bytes stay queued in the kernel until
/// readRequest takes them. recv(MSG_PEEK) shows them without taking them; for
/// a frame still on its way, SO_RCVLOWAT makes poll() report the socket
/// readable only once N bytes are queued (N: the header's 16, then the whole
/// frame's), so poll's timeout is the deadline. Reading the frame is still
/// readRequest's job; after awaitFrame it finds every byte already there.
#pragma once

#include <chrono>

#include "fd.hpp"
#include "protocol.hpp"

namespace mc {

/// How long a request frame may take to arrive, from its first byte, unless
/// the server is told otherwise (--frame-timeout).
inline constexpr std::chrono::milliseconds kDefaultFrameTimeout{10'000};

/// What awaitFrame found.
struct FrameArrival {
  /// How the wait ended.
  enum State {
    kArrived,  ///< the whole frame is queued, or the peer closed, or an error is pending:
               ///< readRequest will say which
    kIdle,     ///< nothing arrived for the idle timeout: close the connection
    kTooSlow,  ///< a frame started but did not complete within the frame timeout
  };
  /// How the wait ended.
  State state = kArrived;
  /// For kTooSlow: the reply to send before closing: BAD_REQUEST, message
  /// `frame not complete within N s`, with the header's command and request
  /// id if the header came whole, else command 0 and request id 0.
  Reply refusal;
};

/// @brief Waits for the next request frame on @p client: for its first byte
/// at most the socket's receive timeout (which boundBlockingCalls set to
/// @p idle_timeout), then at most @p frame_timeout (or @p idle_timeout, if
/// smaller) for all of it. A header that readRequest will
/// refuse (bad magic, version or length) counts as whole once its 16 bytes are in.
/// Thread safety: one call at a time per connection.
FrameArrival awaitFrame(const Fd& client, std::chrono::milliseconds idle_timeout,
                        std::chrono::milliseconds frame_timeout);

}  // namespace mc
