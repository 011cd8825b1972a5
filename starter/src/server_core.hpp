/// @file server_core.hpp
/// @brief The Server object: what it owns, in what order it starts, and the
/// helpers its main loop uses. Two of its functions are the labs':
/// Server::acceptUntilStopped (labs 1 and 2) and Server::shutDown (lab 5),
/// both in server.cpp; everything here is given (server_core.cpp).
/// Runs in: the server's main thread.
///
/// Start-up order matters:
///  1. the dispatcher forks the service children (stages 3, 4) while this is
///     still the only thread, and before the listening socket exists, so no
///     child inherits it;
///  2. the signal handlers, after the fork (the children must not inherit
///     them) and before anyone can know we are up (a SIGTERM sent the moment
///     "listening on" appears must find them installed);
///  3. the listening socket;
///  4. the StopForwarder's thread, the server's first thread: after the fork
///     (a child forked from a process with threads may inherit a lock that
///     some other thread held), and after the stop pipe it waits on.
/// The members below are declared in that order, so they are built in it,
/// and shutDown() undoes it backwards. Then run() prints "listening on ..."
/// and enters the accept loop.
#pragma once

#include <chrono>
#include <memory>

#include "connection_limit.hpp"
#include "connection_threads.hpp"
#include "dispatcher.hpp"
#include "fd.hpp"
#include "open_connections.hpp"
#include "server_config.hpp"
#include "shutdown_signals.hpp"
#include "stop_forwarder.hpp"

namespace mc {

/// How long shutDown() waits for the connection threads to finish.
constexpr std::chrono::seconds kConnectionsGrace{3};

/// What the main loop woke up for (any of them may be true at once).
struct Events {
  bool stop = false;          ///< SIGINT or SIGTERM arrived
  bool child_exited = false;  ///< SIGCHLD arrived: reap (lab 5)
  bool connection = false;    ///< a client waits to be accepted
};

/// @brief Sleeps until the listening socket, the stop pipe or the child pipe
/// is readable, and says which. Retries after EINTR.
/// @throws std::system_error if poll fails otherwise.
Events waitForEvents(const Fd& listener, const ShutdownSignals& signals);

/// @brief Gives @p client a place under --max-connections and puts its socket
/// on @p connections (so a shutdown can end its reads). Over the limit it
/// answers BUSY (one frame, on a fresh socket whose send buffer is empty, so
/// the write cannot block), logs it, and the caller drops the client.
/// @return true if the client may be served.
bool admitClient(ClientHandle& client, ConnectionLimit& limit, OpenConnections& connections);

/// @brief For a client no connection thread could be started for (out of
/// threads: a process limit, or no memory for a stack): answers it BUSY, as
/// over the limit, and logs it. The caller then drops the client; the server
/// goes on serving the others.
void turnAwayWithoutThread(const ClientHandle& client);

/// One running cabinetd: built by runServer (server.hpp), run once.
class Server {
 public:
  /// @brief Starts the dispatcher (and so the service children), installs
  /// the signal handlers and opens the listening socket, in that order.
  explicit Server(const ServerConfig& config);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// @brief Announces the port, serves until told to stop, shuts down.
  /// @return the exit status (0 after a clean shutdown).
  int run();

 private:
  /// The main loop: accept clients until SIGINT/SIGTERM. (server.cpp, labs 1-2)
  void acceptUntilStopped(ConnectionThreads& threads);
  /// Start-up backwards. @return the exit status. (server.cpp, lab 5)
  int shutDown(ConnectionThreads& threads);

  const ServerConfig& config_;
  const std::chrono::milliseconds idle_timeout_;
  const std::chrono::milliseconds frame_timeout_;
  std::unique_ptr<Dispatcher> dispatcher_;
  ShutdownSignals signals_;
  Fd listener_;
  ConnectionLimit limit_;  // outlives the connection threads: shutDown waits for them first
  OpenConnections connections_;  // likewise: each ClientHandle's Listing points here
  StopForwarder stop_forwarder_{signals_.stopFd(), connections_};  // a thread, so after the fork
};

}  // namespace mc
