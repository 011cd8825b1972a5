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
  // TODO(lab1): returns only when a stop is requested (shutDown does the rest). Until
  //   then every connection is accepted, numbered from 1 (ClientHandle) and admitted or
  //   turned away by admitClient (given: over --max-connections it answers BUSY); at
  //   stage 1 an admitted client is served to the end right here, while the next waits in
  //   the listen backlog. A client that left before accept() is not an error. Every child
  //   that exits is reaped, including one that died before the SIGCHLD handler existed,
  //   and a child event is consumed, never left to wake the loop again (both start to
  //   matter in lab 5).
  // Hints: labs/01-sockets/HINTS.md#serveracceptuntilstopped
  // TODO(lab2): from stage 2 on, each admitted client gets a thread of its own
  //   (threads.start) and the loop waits again at once. From then on the client's heap
  //   handle is the thread's: nothing of this stack frame may reach the thread. When no
  //   thread can be had, the client is still yours: it is told BUSY
  //   (turnAwayWithoutThread, given) and the server lives on.
  // Hints: labs/02-threads/HINTS.md#serveracceptuntilstopped
  notImplemented(1, "Server::acceptUntilStopped in server.cpp");
}

// Backwards through start-up: no new clients; connections finish the
// request they hold; then the dispatcher stops and reaps the service children.
int Server::shutDown([[maybe_unused]] ConnectionThreads& threads) {
  // TODO(lab5): start-up undone in reverse order; returns 0, the exit status of a clean
  //   stop, logged as "shutting down" and "stopped". On return: a connect is refused at
  //   once (not queued where nobody accepts), every connection thread has answered the
  //   request it held and ended, and every service child is stopped and reaped. The wait
  //   for the threads is bounded (kConnectionsGrace) and keeps reaping children meanwhile:
  //   a request waiting on a child that dies sees it gone only once it is reaped. Threads
  //   still running after the grace still use the dispatcher, so it must not be destroyed
  //   under them: log how many and leave the process at once, status 1, output flushed.
  // Hints: labs/05-shutdown-recovery/HINTS.md#servershutdown
  notImplemented(5, "Server::shutDown in server.cpp");
}

}  // namespace mc
