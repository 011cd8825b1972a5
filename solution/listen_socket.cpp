/// @file listen_socket.cpp
/// @brief Opening the listening socket and accepting connections.
/// Runs in: the server's main thread.
#include "listen_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>
#include <thread>

namespace mc {

namespace {

sockaddr_in makeAddress(const std::string& host, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  const std::string numeric = host == "localhost" ? "127.0.0.1" : host;
  if (::inet_pton(AF_INET, numeric.c_str(), &address.sin_addr) != 1)
    throw std::invalid_argument("not an IPv4 address: " + host);
  return address;
}

}  // namespace

Fd openListenSocket(const std::string& host, std::uint16_t port, int backlog) {
  const sockaddr_in address = makeAddress(host, port);
  Fd listener{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!listener) throwErrno("socket");
  // Without SO_REUSEADDR a restarted server could not bind its port for a
  // minute, while the old connections sit in TIME_WAIT.
  const int on = 1;
  if (::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
    throwErrno("setsockopt(SO_REUSEADDR)");
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    throwErrno("bind");
  // The backlog holds connections the kernel has completed but we have not
  // accepted yet. The seed used 5: a burst of clients then waited for SYN retries.
  if (::listen(listener.get(), backlog) != 0) throwErrno("listen");
  return listener;
}

Fd acceptConnection(const Fd& listener) {
  Fd client{::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)};
  if (client) return client;
  switch (errno) {
    case EINTR:         // a signal: the caller's loop looks at it
    case ECONNABORTED:  // the client gave up while waiting in the backlog
    case EAGAIN:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case ENETUNREACH:
      return Fd{};
    case EMFILE:  // out of descriptors: the connection stays queued, so poll()
    case ENFILE:  // would report it again at once; pause instead of spinning.
    case ENOBUFS:
    case ENOMEM:
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return Fd{};
    default:
      throwErrno("accept4");
  }
}

}  // namespace mc
