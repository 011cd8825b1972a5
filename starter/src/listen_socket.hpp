/// @file listen_socket.hpp
/// @brief The server's listening TCP socket and accepting connections on it.
/// Runs in: the server's main thread. Owns: nothing (returns Fds).
#pragma once

#include <cstdint>
#include <string>

#include "fd.hpp"

namespace mc {

/// @brief socket + SO_REUSEADDR + bind(@p host:@p port) + listen(@p backlog).
/// Port 0 asks the kernel for any free port (see boundPort).
/// @throws std::system_error naming the failing call; std::invalid_argument
/// if @p host is not an IPv4 address.
Fd openListenSocket(const std::string& host, std::uint16_t port, int backlog);

/// @brief The port @p listener is bound to (getsockname).
std::uint16_t boundPort(const Fd& listener);

/// @brief Accepts one connection (close-on-exec). @return an invalid Fd when
/// nothing could be accepted this time: the peer gave up (ECONNABORTED), a
/// signal arrived, or we are out of descriptors (EMFILE; then it pauses a moment
/// so that a full descriptor table cannot turn the accept loop into a busy loop).
/// @throws std::system_error on errors that will not go away by retrying.
Fd acceptConnection(const Fd& listener);

}  // namespace mc
