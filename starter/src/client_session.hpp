/// @file client_session.hpp
/// @brief ClientSession: one TCP connection to cabinetd, request by request.
/// Runs in: the client, the demo, the tests. Owns: the connection's socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "fd.hpp"
#include "protocol.hpp"

namespace mc {

/// A connection to cabinetd that sends one request and waits for its reply.
/// Not thread-safe: one session per thread.
class ClientSession {
 public:
  /// @brief Connects to @p host:@p port (IPv4 dotted quad or "localhost").
  /// Replies taking longer than @p timeout count as failures.
  /// @throws std::system_error naming the failing call (socket, connect, ...).
  ClientSession(const std::string& host, std::uint16_t port,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Outcome of call().
  struct Result {
    /// A reply with our request id arrived, or the server's BUSY notice
    /// (isBusyNotice()) that it sends, unasked, before closing a connection
    /// over its --max-connections.
    bool ok = false;
    Reply reply;        ///< valid when ok
    std::string error;  ///< why not, when !ok ("server closed the connection", ...)
    /// True when !ok because the server closed (or reset) the connection, for
    /// instance after its idle timeout: a new session may send the request again.
    bool connection_closed = false;
    /// True when !ok because a well-formed reply came that answers another
    /// request (its id or command is not ours): the server crossed replies.
    bool not_ours = false;
  };

  /// @brief Sends @p request with the next request id (1, 2, ...) and waits
  /// for its reply. A reply whose request id or command is not ours is an
  /// error, except the BUSY notice, which is returned as the reply (with
  /// connection_closed set: the server closes after it).
  /// After any failure the byte stream may be out of step (a late reply may
  /// still arrive): do not call() this session again, open a new one.
  /// Never throws.
  Result call(Request request);

  /// @brief True for the frame a server over its connection limit sends
  /// before closing: status BUSY, request id 0, command byte 0 (it answers no
  /// request). Thread safety: pure.
  static bool isBusyNotice(const Reply& reply);

  /// @brief The connected socket, for tests that need to misbehave.
  const Fd& socket() const { return socket_; }

  /// @brief The id the next call() sends (then @p id + 1, ...). Clients that
  /// share a server can give each session its own range, so that a reply
  /// meant for another session is told apart by its id.
  void setNextRequestId(std::uint32_t id) { next_request_id_ = id; }

 private:
  Fd socket_;
  std::uint32_t next_request_id_ = 1;
};

}  // namespace mc
