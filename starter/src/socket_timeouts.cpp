/// @file socket_timeouts.cpp
/// @brief SO_RCVTIMEO and SO_SNDTIMEO (see socket_timeouts.hpp).
/// Runs in: any process. Owns: nothing (borrows the caller's Fd).
#include "socket_timeouts.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>

namespace mc {

bool setSocketTimeout(const Fd& socket, int option, std::chrono::milliseconds timeout) {
  const auto ms = std::max<std::chrono::milliseconds::rep>(timeout.count(), 1);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return ::setsockopt(socket.get(), SOL_SOCKET, option, &tv, sizeof tv) == 0;
}

bool boundBlockingCalls(const Fd& socket, std::chrono::milliseconds timeout) {
  return setSocketTimeout(socket, SO_RCVTIMEO, timeout) && setSocketTimeout(socket, SO_SNDTIMEO, timeout);
}

}  // namespace mc
