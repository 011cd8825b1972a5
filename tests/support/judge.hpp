/// @file judge.hpp
/// @brief The judge: the end-to-end tests' own reading of the wire format
/// (docs/protocol.md, sections 2 and 3) and their own client session.
///
/// Why the tests do not use the kit's ClientSession: it calls lab 1's
/// readExactly, writeAll and codec, so a student's code would sit on both ends
/// of every conversation. A codec that is wrong in the same way both ways (say,
/// little-endian in and out) would then pass, and code of the student's would
/// run inside the process that writes the verdict. The judge is written from
/// the protocol's byte tables alone and links no lab file: the e2e test
/// executables are built from provided code, this harness and the tests, and
/// CI checks that they define no symbol of a lab file (scripts/check-grader.sh).
///
/// How it reads differs from lab 1 on purpose: every wait is bounded by one
/// deadline for the whole frame (poll), not by the socket's per-call timeout,
/// so a server that trickles a reply cannot stretch a test.
///
/// Runs in: the e2e test process, any thread. Owns: its session's socket.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fd.hpp"
#include "frame_io.hpp"
#include "protocol.hpp"
#include "wire_codec.hpp"

namespace mc::test {

/// @brief How long a judge waits for a whole reply unless told otherwise.
inline constexpr std::chrono::milliseconds kJudgeWait{10'000};

/// @brief The bytes of @p request as docs/protocol.md lays a request frame
/// out: the 16-byte header (big-endian), then the fields' text.
/// @throws std::length_error if the fields exceed kMaxRequestPayload.
Bytes judgeFrame(const Request& request);

/// @brief Fills @p buffer with @p size bytes from @p fd (socket or pipe),
/// giving up at @p wait from now. kClosed: EOF before any byte; kTruncated:
/// EOF after some; kTimedOut: the deadline passed; kError: errno says why.
IoStatus receiveBytes(const Fd& fd, void* buffer, std::size_t size,
                      std::chrono::milliseconds wait = kJudgeWait);

/// @brief Writes all @p size bytes to the socket @p fd (MSG_NOSIGNAL).
/// @return false on an error (errno says which: EPIPE, ECONNRESET, EAGAIN ...).
bool sendAllBytes(const Fd& fd, const void* data, std::size_t size);

/// @brief Reads one reply frame within @p wait and checks it strictly:
/// magic, version, length, a known status and service, and fields that parse.
/// io != kOk: no whole frame came; error != kNone: a frame came but is wrong.
IncomingReply receiveReply(const Fd& socket, std::chrono::milliseconds wait = kJudgeWait);

/// @brief A connection to a server and one request at a time on it, as a
/// user's client would (the same contract as the kit's ClientSession, built
/// on the judge's frames).
class JudgeSession {
 public:
  /// @brief Connects to @p host:@p port; connecting, each request and each
  /// reply must take no longer than @p timeout.
  /// @throws std::system_error if the connection cannot be made.
  JudgeSession(const std::string& host, std::uint16_t port,
               std::chrono::milliseconds timeout = kJudgeWait);

  JudgeSession(JudgeSession&&) noexcept = default;
  JudgeSession& operator=(JudgeSession&&) noexcept = default;

  /// The outcome of one call.
  struct Result {
    bool ok = false;          ///< a reply to this request came
    Reply reply;              ///< valid when ok
    std::string error;        ///< why not, when !ok
    bool connection_closed = false;  ///< the server closed (or sent BUSY and closed)
    bool not_ours = false;    ///< a reply came, but for another request or command
  };

  /// @brief Sends @p request with the next request id and waits for its reply.
  Result call(Request request);

  /// @brief True for the BUSY notice a server over its connection limit sends
  /// (request id 0, command byte 0) before it closes.
  static bool isBusyNotice(const Reply& reply);

  /// @brief The connection (for tests that also send raw bytes on it).
  const Fd& socket() const { return socket_; }

  /// @brief The request id the next call() sends; later calls count up from it.
  void setNextRequestId(std::uint32_t id) { next_request_id_ = id; }

 private:
  Fd socket_;
  std::chrono::milliseconds timeout_;
  std::uint32_t next_request_id_ = 1;
};

}  // namespace mc::test
