/// @file connection_threads.cpp
/// @brief Starting a thread per connection.
/// Runs in: the server: start() in the accept loop, serve() in each new thread.
///
/// Your version (lab 2). Given: the constructor. You write start() and serve().
///
/// Think first about who joins a thread. A joined thread needs someone to
/// join it, and the accept loop is busy accepting. The seed server neither
/// joined nor detached its threads, so each finished thread kept its 8 MiB
/// stack mapped until the process ran out of memory maps after ~65,000
/// requests. A detached thread gives its stack back the moment it returns;
/// the ThreadTracker still lets the server wait for all of them at shutdown.
#include "connection_threads.hpp"

#include <string>
#include <system_error>
#include <thread>

#include "connection.hpp"
#include "log.hpp"
#include "todo.hpp"

namespace mc {

ConnectionThreads::ConnectionThreads(Dispatcher& dispatcher, const OpenConnections& connections,
                                     std::chrono::milliseconds idle_timeout,
                                     std::chrono::milliseconds frame_timeout)
    : dispatcher_{dispatcher}, connections_{connections}, idle_timeout_{idle_timeout}, frame_timeout_{frame_timeout} {}

bool ConnectionThreads::start([[maybe_unused]] std::unique_ptr<ClientHandle>& client) {
  // TODO(lab2): true: a detached thread now runs serve() for this client, the handle is
  //   that thread's alone and `client` is empty. false: no thread could be had (std::thread
  //   throws std::system_error), and `client` is still the caller's, open and untouched,
  //   so it can be told BUSY. tracker_ counts the thread from before it exists, so that
  //   waitUntilAllEnded() never misses one that is just starting. Nothing that lives in
  //   the accept loop's stack frame may reach the thread: the next accept() reuses it.
  // Hints: labs/02-threads/HINTS.md#connectionthreadsstart
  notImplemented(2, "ConnectionThreads::start in connection_threads.cpp");
}

void ConnectionThreads::serve([[maybe_unused]] ClientHandle* handle,
                              [[maybe_unused]] ThreadTracker::Ticket ticket) {
  // TODO(lab2): runs in the new thread, which owns both arguments from its first line on.
  //   The connection is served by your lab 1 loop, logged as "started" and "closed" under
  //   "connection N" (N = the handle's number), and its socket is closed however serve()
  //   ends, and BEFORE the ticket goes back (when serve returns): once waitUntilAllEnded()
  //   says all ended, no connection may still be open.
  // Hints: labs/02-threads/HINTS.md#connectionthreadsserve
  notImplemented(2, "ConnectionThreads::serve in connection_threads.cpp");
}

}  // namespace mc
