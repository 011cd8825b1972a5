/// @file bound_port.cpp
/// @brief boundPort: which port a listening socket got (port 0 lets the
/// kernel choose; tests and the bench rely on that).
/// Runs in: the server's main thread. (Opening and accepting are lab 1's,
/// listen_socket.cpp.)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "listen_socket.hpp"

namespace mc {

std::uint16_t boundPort(const Fd& listener) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throwErrno("getsockname");
  return ntohs(address.sin_port);
}

}  // namespace mc
