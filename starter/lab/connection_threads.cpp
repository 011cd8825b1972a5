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
#include <thread>

#include "connection.hpp"
#include "log.hpp"
#include "todo.hpp"

namespace mc {

ConnectionThreads::ConnectionThreads(Dispatcher& dispatcher, const OpenConnections& connections,
                                     std::chrono::milliseconds idle_timeout)
    : dispatcher_{dispatcher}, connections_{connections}, idle_timeout_{idle_timeout} {}

void ConnectionThreads::start([[maybe_unused]] std::unique_ptr<ClientHandle> client) {
  // TODO(lab2): start one thread that runs serve() for this client.
  //   1. Take a ticket: tracker_.enter(). Do it HERE, before the thread exists, so
  //      waitUntilAllEnded() can never miss a thread that is just starting.
  //   2. Start a std::thread that runs this->serve(...) (a pointer to the member function,
  //      then `this`, then the arguments), with the client and the ticket MOVED in: both
  //      are move-only, and the thread now owns the handle (so its socket) and the ticket.
  //      Never hand the thread a pointer to a variable of the accept loop: the next
  //      accept() would overwrite it before the thread has read it.
  //   3. .detach() it: nobody will join it (see the top of this file); std::thread's
  //      destructor calls std::terminate on a thread still joinable.
  //   If no thread can be started, std::thread throws std::system_error: let it go;
  //   the unique_ptr then closes the client for you.
  notImplemented(2, "ConnectionThreads::start in connection_threads.cpp");
}

void ConnectionThreads::serve([[maybe_unused]] std::unique_ptr<ClientHandle> client,
                              [[maybe_unused]] ThreadTracker::Ticket ticket) {
  // TODO(lab2): runs in the new thread, which owns both arguments.
  //   1. logLine("connection N", "started"), N = client->number.
  //   2. serveConnection(client->socket, dispatcher_, connections_, idle_timeout_): your lab 1 loop.
  //   3. logLine(..., "closed"), then client.reset() to close the socket NOW. The ticket
  //      (a parameter) is destroyed when serve returns, and that is when
  //      waitUntilAllEnded() may say "all ended": the socket must be closed before.
  notImplemented(2, "ConnectionThreads::serve in connection_threads.cpp");
}

}  // namespace mc
