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
  // TODO(lab1): a TCP socket listening on host:port, owned by the returned Fd, its queue
  //   of finished handshakes as long as the caller's backlog (a tiny one makes a burst of
  //   clients wait for SYN retries). A restarted server must bind its port at once, even
  //   while old connections sit in TIME_WAIT, and no program we exec may inherit it.
  //   Failure throws std::system_error naming the call that failed (throwErrno), and no
  //   descriptor leaks on any path.
  // Hints: labs/01-sockets/HINTS.md#openlistensocket
  notImplemented(1, "openListenSocket in listen_socket.cpp");
}

Fd acceptConnection([[maybe_unused]] const Fd& listener) {
  // TODO(lab1): the next queued connection, owned by the returned Fd (close-on-exec); or an
  //   invalid Fd when the caller should simply wait again: a signal, a client that gave up
  //   while queued, or a network error accept(2) says to treat like EAGAIN. Out of
  //   descriptors or memory is an invalid Fd too, but only after a short pause: that
  //   connection stays queued, the listener polls readable again at once, and the accept
  //   loop would spin at 100% CPU. Any other error is a bug: throw.
  // Hints: labs/01-sockets/HINTS.md#acceptconnection
  notImplemented(1, "acceptConnection in listen_socket.cpp");
}

}  // namespace mc
