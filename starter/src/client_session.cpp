/// @file client_session.cpp
/// @brief ClientSession: connect to cabinetd, then one request, one reply.
/// Runs in: the client, the demo, the tests.
/// Owns: the connection's socket (an Fd), closed when the session dies.
///
/// Every wait here is bounded: SO_SNDTIMEO and SO_RCVTIMEO are set before
/// connect(), so a server that never answers costs at most `timeout` per
/// step instead of hanging the client (and the test that runs it).
#include "client_session.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "frame_io.hpp"
#include "socket_timeouts.hpp"

namespace mc {

namespace {

/// getaddrinfo reports its own error codes (EAI_*), not errno values, so
/// they get their own category and gai_strerror() names them.
class GaiCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "getaddrinfo"; }
  std::string message(int code) const override { return ::gai_strerror(code); }
};

const std::error_category& gaiCategory() {
  static const GaiCategory category;
  return category;
}

/// Owner of a getaddrinfo() result list.
using AddressList = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

/// The IPv4 addresses of @p host:@p port.
/// @throws std::system_error naming getaddrinfo.
AddressList resolve(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;  // the server listens on IPv4 only
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc == EAI_SYSTEM) throwErrno("getaddrinfo");  // the error is in errno
  if (rc != 0) throw std::system_error(rc, gaiCategory(), "getaddrinfo " + host);
  return AddressList{found, &::freeaddrinfo};
}

/// A socket connected to @p address, with both timeouts set.
/// @throws std::system_error naming socket, setsockopt or connect.
Fd connectTo(const addrinfo& address, std::chrono::milliseconds timeout) {
  Fd socket{::socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC,
                     address.ai_protocol)};
  if (!socket) throwErrno("socket");
  // Linux applies SO_SNDTIMEO to connect() too: an unanswered SYN then
  // fails after `timeout` (with EINPROGRESS) instead of after minutes.
  if (!boundBlockingCalls(socket, timeout)) throwErrno("setsockopt");
  if (::connect(socket.get(), address.ai_addr, address.ai_addrlen) != 0) {
    if (errno == EINPROGRESS) errno = ETIMEDOUT;  // say what happened
    throwErrno("connect");
  }
  // Requests are small and each waits for its reply: without TCP_NODELAY,
  // Nagle's algorithm could hold a frame back waiting for an ACK.
  const int on = 1;
  if (::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) {
    throwErrno("setsockopt TCP_NODELAY");
  }
  return socket;
}

/// Tries each address of @p host in turn; the first that connects wins.
Fd connectToHost(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  AddressList addresses = resolve(host, port);
  std::system_error last_error(ENOENT, std::generic_category(), "getaddrinfo " + host);
  for (const addrinfo* address = addresses.get(); address; address = address->ai_next) {
    try {
      return connectTo(*address, timeout);
    } catch (const std::system_error& error) {
      last_error = error;  // try the next address
    }
  }
  throw last_error;  // none of them connected
}

/// A failed Result saying @p why.
ClientSession::Result failure(std::string why, bool connection_closed = false) {
  ClientSession::Result result;
  result.error = std::move(why);
  result.connection_closed = connection_closed;
  return result;
}

/// A failed Result for a reply that answers another request.
ClientSession::Result notOurs(std::string why) {
  ClientSession::Result result = failure(std::move(why));
  result.not_ours = true;
  return result;
}

// Error texts use std::generic_category().message() rather than strerror(),
// which may share one buffer between threads.

/// What went wrong when writeRequest() returned false; @p error is its errno.
ClientSession::Result writeFailure(int error) {
  if (error == EPIPE || error == ECONNRESET) return failure("server closed the connection", true);
  if (error == EAGAIN || error == EWOULDBLOCK) return failure("timed out sending the request");
  return failure("sending the request failed: " + std::generic_category().message(error));
}

/// What went wrong when readReply() did not return a whole frame.
ClientSession::Result readFailure(IoStatus io, int error) {
  switch (io) {
    case IoStatus::kClosed: return failure("server closed the connection", true);
    case IoStatus::kTruncated:
      return failure("server closed the connection in the middle of a reply");
    case IoStatus::kTimedOut: return failure("timed out waiting for the reply");
    case IoStatus::kOk: break;  // not a failure; not passed here
    case IoStatus::kError:
      if (error == ECONNRESET) return failure("server closed the connection", true);
      return failure("reading the reply failed: " + std::generic_category().message(error));
  }
  return failure("reading the reply failed");
}

}  // namespace

bool ClientSession::isBusyNotice(const Reply& reply) {
  return reply.status == Status::kBusy && reply.request_id == 0 &&
         static_cast<std::uint8_t>(reply.command) == 0;
}

ClientSession::ClientSession(const std::string& host, std::uint16_t port,
                             std::chrono::milliseconds timeout)
    : socket_{connectToHost(host, port, timeout)} {}

ClientSession::Result ClientSession::call(Request request) {
  request.request_id = next_request_id_++;

  bool written = false;
  try {
    written = writeRequest(socket_, request);
  } catch (const std::length_error&) {
    return failure("request too long: the fields exceed " + std::to_string(kMaxRequestPayload) +
                   " bytes");  // nothing was sent
  }
  // A server over its connection limit may have sent BUSY and closed before
  // our request went out; the write then fails, but the notice may still be
  // waiting to be read, and it says more than "connection closed".
  const int write_error = written ? 0 : errno;
  const bool peer_gone = write_error == EPIPE || write_error == ECONNRESET;
  if (!written && !peer_gone) return writeFailure(write_error);

  IncomingReply incoming = readReply(socket_);
  if (incoming.io != IoStatus::kOk) {
    return written ? readFailure(incoming.io, errno) : writeFailure(write_error);
  }
  if (incoming.error != FrameError::kNone) {
    return failure("bad reply from the server: " + std::string(frameErrorText(incoming.error)));
  }
  if (isBusyNotice(incoming.reply)) {
    Result busy;
    busy.ok = true;
    busy.connection_closed = true;  // the server closes right after the notice
    busy.reply = std::move(incoming.reply);
    return busy;
  }
  if (!written) return writeFailure(write_error);  // some other frame: the stream is lost anyway

  const Reply& reply = incoming.reply;
  if (reply.request_id != request.request_id) {
    return notOurs("reply for request " + std::to_string(reply.request_id) + ", expected " +
                   std::to_string(request.request_id));
  }
  if (reply.command != request.command) {
    return notOurs("reply for command " + std::string(commandName(reply.command)) +
                   ", expected " + std::string(commandName(request.command)));
  }

  Result result;
  result.ok = true;
  result.reply = std::move(incoming.reply);
  return result;
}

}  // namespace mc
