/// @file server.hpp
/// @brief cabinetd's life: start the services, accept connections, shut down.
/// Runs in: the server's main thread.
#pragma once

#include "server_config.hpp"

namespace mc {

/// @brief Runs the server until SIGINT or SIGTERM, then shuts down in order:
/// stop accepting, let connections finish the requests they hold, stop and
/// reap the service children. Prints "listening on HOST:PORT" as the first
/// line on stdout once clients can connect.
/// @return the exit status: 0 after a clean shutdown.
/// @throws std::exception if the server cannot start (port taken, bad data dir).
int runServer(const ServerConfig& config);

}  // namespace mc
