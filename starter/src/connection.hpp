/// @file connection.hpp
/// @brief Serving one client connection: read a request, route it by its
/// command code, send back the reply, until the client leaves.
/// Runs in: the server: the main thread in stage 1, a connection thread in
/// stages 2-4. Owns: nothing (borrows the client's Fd).
#pragma once

#include <chrono>

#include "dispatcher.hpp"
#include "fd.hpp"
#include "frame_arrival.hpp"
#include "open_connections.hpp"
#include "protocol.hpp"

namespace mc {

/// @brief Serves requests on @p client until the client closes, sends a frame
/// that cannot be trusted, stays silent for @p idle_timeout, takes longer
/// than @p frame_timeout to send one frame (answered BAD_REQUEST, then
/// closed: frame_arrival.hpp), or the server is closing (@p connections says
/// so, and its StopForwarder has shut the socket for reading: the wait for
/// the next request ends). A request already read is always answered before returning.
/// Thread safety: one call per connection; calls on different connections may
/// run in parallel when @p dispatcher is thread-safe.
void serveConnection(const Fd& client, Dispatcher& dispatcher, const OpenConnections& connections,
                     std::chrono::milliseconds idle_timeout,
                     std::chrono::milliseconds frame_timeout = kDefaultFrameTimeout);

/// @brief Sorts @p request by its command code and sends it to its service;
/// STATUS goes to all three services and their answers are merged.
Reply routeRequest(Dispatcher& dispatcher, const Request& request);

}  // namespace mc
