/// @file stop_forwarder.cpp
/// @brief The thread that turns the stop pipe into end of file on every
/// open connection (see stop_forwarder.hpp).
/// Runs in: the server: its own thread.
#include "stop_forwarder.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

#include "log.hpp"

namespace mc {

// The thread gets references: stop and connections outlive us (the caller's
// promise), and quit_ is ours and built before the thread starts.
StopForwarder::StopForwarder(const Fd& stop, OpenConnections& connections)
    : quit_{makePipe()},
      thread_{forward, std::cref(stop), std::cref(quit_.read_end), std::ref(connections)} {}

StopForwarder::~StopForwarder() {
  if (::write(quit_.write_end.get(), "q", 1) < 0) {
    // Cannot happen (an empty pipe we own); the join would then wait for the stop.
  }
  thread_.join();
}

void StopForwarder::forward(const Fd& stop, const Fd& quit, OpenConnections& connections) {
  pollfd fds[2] = {{stop.get(), POLLIN, 0}, {quit.get(), POLLIN, 0}};
  while (::poll(fds, 2, -1) < 0) {
    if (errno == EINTR) continue;  // a signal (SIGCHLD, say) ran its handler here
    logError("stop", "poll failed: connections will only end when their clients leave");
    return;
  }
  if (fds[0].revents != 0) connections.closeAllForReading();
}

}  // namespace mc
