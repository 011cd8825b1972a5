/// @file server.cpp
/// @brief The server's main loop and its shutdown sequence.
/// Runs in: the server's main thread. The Server object, what it owns and
/// the order it starts in are in server_core.hpp; these are its two verbs.
///
/// Your version. Both functions are yours: the accept loop
/// (acceptUntilStopped: lab 1, and lab 2 for its connection threads) and the
/// shutdown sequence (shutDown: lab 5). Read server_core.hpp first: the
/// members you use (dispatcher_, signals_, listener_, limit_, connections_,
/// config_, idle_timeout_, frame_timeout_) and the helpers (waitForEvents, admitClient) are there.
#include <cstdio>
#include <memory>
#include <string>

#include "connection.hpp"
#include "listen_socket.hpp"
#include "log.hpp"
#include "server_core.hpp"
#include "todo.hpp"

namespace mc {

void Server::acceptUntilStopped([[maybe_unused]] ConnectionThreads& threads) {
  // TODO(lab1): the main loop: wait, then act on what woke us, until told to stop.
  //   - First dispatcher_->reapChildren() once (a child may have died before the SIGCHLD
  //     handler was installed). Count the accepted clients in a std::uint64_t, from 1.
  //   - Loop: events = waitForEvents(listener_, signals_).
  //     events.stop: return (shutDown() does the rest).
  //     events.child_exited: signals_.drainChildEvents(), then dispatcher_->reapChildren()
  //       (this only fires once lab 5 installs the SIGCHLD handler).
  //     no events.connection: continue.
  //   - Accept: a std::make_unique<ClientHandle>(acceptConnection(listener_), ++accepted).
  //     An invalid socket (the client left before we accepted) is not fatal: continue.
  //   - Then if (!admitClient(*client, limit_, connections_)) continue; (given): over
  //     --max-connections the client got a BUSY reply and is closed; otherwise its socket is
  //     now on connections_, where a shutdown will find it.
  //   - Stage 1: serveConnection(client->socket, *dispatcher_, connections_, idle_timeout_, frame_timeout_)
  //     right here; the next client waits in the listen backlog.
  // TODO(lab2): stage >= 2: threads.start(client) instead. The heap handle is the
  //   thread's from then on: never hand a thread a pointer into this stack frame.
  //   start() returns false when no thread can be had (EAGAIN): the client is then still
  //   yours; turnAwayWithoutThread(*client) (given) answers it BUSY, and you go on. That
  //   client is closed, but the server must not die of it.
  notImplemented(1, "Server::acceptUntilStopped in server.cpp");
}

// Backwards through start-up: no new clients; connections finish the
// request they hold; then the dispatcher stops and reaps the service children.
int Server::shutDown([[maybe_unused]] ConnectionThreads& threads) {
  // TODO(lab5): undo start-up in reverse order, then return 0.
  //   - logLine("main", "shutting down"); listener_.reset(): no new clients (a connect now
  //     is refused at once instead of waiting in a backlog nobody accepts).
  //   - Wait up to kConnectionsGrace for the connection threads: each answers the request it
  //     holds and ends (the given StopForwarder, woken by the same stop pipe, has shut every
  //     client socket for reading, so no thread is left waiting in read()). Wait in short
  //     steps, threads.waitUntilAllEnded(50 ms), and call dispatcher_->reapChildren() between
  //     them: a request waiting on a child that dies now sees it gone only once it is reaped.
  //     If some did not end: logError how many (threads.active()), std::fflush(stdout),
  //     std::_Exit(1). They still use the dispatcher: destroying it under them would be
  //     a use-after-free; a quick exit is the lesser evil.
  //   - dispatcher_.reset(): its destructor stops and reaps the service children (labs 3, 4).
  //   - logLine("main", "stopped"); return 0: main returns it, the exit status of a clean stop.
  notImplemented(5, "Server::shutDown in server.cpp");
}

}  // namespace mc
