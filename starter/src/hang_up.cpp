/// @file hang_up.cpp
/// @brief A bounded, polite end to a connection (see hang_up.hpp for why).
/// Runs in: the server (a connection thread).
#include "hang_up.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace mc {

void hangUpAfterLastReply(const Fd& socket, std::chrono::milliseconds limit) {
  if (::shutdown(socket.get(), SHUT_WR) != 0) return;  // already gone: nothing to protect
  constexpr std::size_t kMaxDiscard = 64 * 1024;       // a flood is not waited out
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char sink[4096];
  for (std::size_t discarded = 0; discarded < kMaxDiscard;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd readable{socket.get(), POLLIN, 0};
    const int ready = ::poll(&readable, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;  // the time is up (or poll failed)
    const ssize_t got = ::recv(socket.get(), sink, sizeof sink, MSG_DONTWAIT);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) return;  // the peer closed (0) or reset: done either way
    discarded += static_cast<std::size_t>(got);
  }
}

}  // namespace mc
