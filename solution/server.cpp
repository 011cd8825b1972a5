/// @file server.cpp
/// @brief The server's main loop and its shutdown sequence.
/// Runs in: the server's main thread. The Server object, what it owns and
/// the order it starts in are in server_core.hpp; these are its two verbs.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "connection.hpp"
#include "listen_socket.hpp"
#include "log.hpp"
#include "server_core.hpp"

namespace mc {

namespace {

// Out of threads (EAGAIN: a process limit, or no memory for a stack): this one
// client is told BUSY and closed, and the server and its other clients go on.
void startConnectionThread(ConnectionThreads& threads, std::unique_ptr<ClientHandle> client) {
  if (!threads.start(client)) turnAwayWithoutThread(*client);
}

// Waits for the connection threads, reaping any child that dies meanwhile:
// a request waiting on a child sees it gone only once it is reaped.
bool connectionsEndWithin(ConnectionThreads& threads, Dispatcher& dispatcher, std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!threads.waitUntilAllEnded(std::chrono::milliseconds(50))) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    dispatcher.reapChildren();
  }
  return true;
}

}  // namespace

void Server::acceptUntilStopped(ConnectionThreads& threads) {
  std::uint64_t accepted = 0;
  dispatcher_->reapChildren();  // a child may have died before our handler existed
  for (;;) {
    const Events events = waitForEvents(listener_, signals_);
    if (events.stop) return;
    if (events.child_exited) {
      signals_.drainChildEvents();
      dispatcher_->reapChildren();
    }
    if (!events.connection) continue;
    auto client = std::make_unique<ClientHandle>(acceptConnection(listener_), ++accepted);
    if (!client->socket) continue;
    if (!admitClient(*client, limit_, connections_)) continue;  // over --max-connections: answered BUSY
    if (config_.stage == 1) {
      // Iterative: this client has the whole server until it leaves.
      serveConnection(client->socket, *dispatcher_, connections_, idle_timeout_, frame_timeout_);
    } else {
      startConnectionThread(threads, std::move(client));
    }
  }
}

// Backwards through start-up: no new clients; connections finish the
// request they hold (the StopForwarder has already ended each one's wait for
// its next request); then the dispatcher stops and reaps the service children.
int Server::shutDown(ConnectionThreads& threads) {
  logLine("main", "shutting down");
  listener_.reset();
  if (!connectionsEndWithin(threads, *dispatcher_, kConnectionsGrace)) {
    // A thread is stuck (a client that never reads its reply?). It still
    // uses the dispatcher, so we cannot tear it down under it: leave now.
    logError("main", std::to_string(threads.active()) + " connection threads did not finish");
    std::fflush(stdout);
    std::_Exit(1);
  }
  dispatcher_.reset();
  logLine("main", "stopped");
  return 0;
}

}  // namespace mc
