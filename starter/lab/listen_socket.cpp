/// @file listen_socket.cpp
/// @brief Opening the listening socket and accepting connections.
/// Runs in: the server's main thread.
///
/// Your version (lab 1). Given: makeAddress (a host string to a sockaddr_in)
/// and boundPort. You write openListenSocket and acceptConnection.
#include "listen_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>
#include <thread>

#include "todo.hpp"

namespace mc {

namespace {

// [[maybe_unused]] only keeps the compiler quiet until openListenSocket calls it.
[[maybe_unused]] sockaddr_in makeAddress(const std::string& host, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);  // the port is big-endian on the wire too
  const std::string numeric = host == "localhost" ? "127.0.0.1" : host;
  if (::inet_pton(AF_INET, numeric.c_str(), &address.sin_addr) != 1)
    throw std::invalid_argument("not an IPv4 address: " + host);
  return address;
}

}  // namespace

Fd openListenSocket([[maybe_unused]] const std::string& host, [[maybe_unused]] std::uint16_t port,
                    [[maybe_unused]] int backlog) {
  // TODO(lab1): socket, setsockopt, bind, listen; throwErrno("call") on any failure.
  //   1. makeAddress(host, port) first (it throws on a bad host before we own an fd).
  //   2. ::socket for an IPv4 stream socket, with SOCK_CLOEXEC or'd into the type (a
  //      program we ever exec must not inherit our port). Put the raw fd into an Fd
  //      at once: then every throw below closes it for you.
  //   3. setsockopt SO_REUSEADDR = 1, BEFORE bind: otherwise a restarted server
  //      cannot bind its port while old connections sit in TIME_WAIT.
  //   4. bind to the address (cast &address to const sockaddr*), then
  //      listen(listener, backlog) with the caller's backlog (not 5: a burst of
  //      clients overflows a tiny backlog and waits for SYN retries). Return it.
  notImplemented(1, "openListenSocket in listen_socket.cpp");
}

Fd acceptConnection([[maybe_unused]] const Fd& listener) {
  // TODO(lab1): ::accept4 with SOCK_CLOEXEC (we do not need the peer's address: pass
  //   null for it and its length), straight into an Fd; return it if it is valid.
  //   Otherwise sort errno into three groups:
  //   - the caller should just try again: EINTR (a signal: the main loop looks at it),
  //     ECONNABORTED (the client gave up while queued), EAGAIN, and the network
  //     errors accept(2) says to treat like EAGAIN (EPROTO, ENETDOWN, ENOPROTOOPT,
  //     EHOSTDOWN, ENONET, EHOSTUNREACH, ENETUNREACH): return Fd{} (invalid).
  //   - out of resources: EMFILE, ENFILE, ENOBUFS, ENOMEM. The connection stays
  //     queued, so poll() reports the listener readable again at once: without a
  //     pause (std::this_thread::sleep_for ~50 ms) the loop spins at 100% CPU. Then Fd{}.
  //   - anything else (EBADF, EINVAL, ...) is a bug: throwErrno("accept4").
  notImplemented(1, "acceptConnection in listen_socket.cpp");
}

}  // namespace mc
