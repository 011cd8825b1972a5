/// @file socket_timeouts.hpp
/// @brief Bounding how long a read or write on a socket may block
/// (SO_RCVTIMEO, SO_SNDTIMEO). The one place in the kit that sets them.
/// Runs in: the server's connections, the client, the tests.
///
/// With a timeout set, a read that waits too long fails with EAGAIN, which
/// readExactly reports as kTimedOut, and a write into a full socket buffer
/// fails the same way instead of blocking: a silent or stalled peer cannot
/// hold a thread forever.
#pragma once

#include <chrono>

#include "fd.hpp"

namespace mc {

/// @brief Sets @p option (SO_RCVTIMEO or SO_SNDTIMEO) of @p socket to
/// @p timeout, at least 1 ms (0 would mean "wait forever").
/// @return false if the kernel refused; errno says why.
bool setSocketTimeout(const Fd& socket, int option, std::chrono::milliseconds timeout);

/// @brief Both: every read and every write on @p socket gives up after
/// @p timeout. @return false if the kernel refused either; errno says why.
bool boundBlockingCalls(const Fd& socket, std::chrono::milliseconds timeout);

}  // namespace mc
