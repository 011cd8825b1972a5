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
  // TODO(lab2): start one thread that runs serve() for this client; return true.
  //   1. Take a ticket: tracker_.enter(). Do it HERE, before the thread exists, so
  //      waitUntilAllEnded() can never miss a thread that is just starting.
  //   2. Start a std::thread that runs this->serve(...) (a pointer to the member function,
  //      then `this`, then the arguments): the handle's address, client.get(), and the
  //      ticket MOVED in (it is move-only). The address is of the heap handle, which
  //      nothing else touches from now on; never hand the thread the address of a
  //      variable of the accept loop: the next accept() would overwrite it before the
  //      thread has read it.
  //      Why not move the unique_ptr itself in? If no thread can be started, std::thread
  //      throws std::system_error and destroys what was moved in: the client would be
  //      closed before anyone told it why. So: catch std::system_error and return false;
  //      the client is still the caller's, who answers it BUSY.
  //   3. Once the thread exists: client.release() (serve() owns the handle now), then
  //      .detach() it: nobody will join it (see the top of this file); std::thread's
  //      destructor calls std::terminate on a thread still joinable.
  notImplemented(2, "ConnectionThreads::start in connection_threads.cpp");
}

void ConnectionThreads::serve([[maybe_unused]] ClientHandle* handle,
                              [[maybe_unused]] ThreadTracker::Ticket ticket) {
  // TODO(lab2): runs in the new thread, which owns both arguments.
  //   0. Adopt the handle first: std::unique_ptr<ClientHandle> client{handle}. From here
  //      on it is this thread's, and it is closed however serve() ends.
  //   1. logLine("connection N", "started"), N = client->number.
  //   2. serveConnection(client->socket, dispatcher_, connections_, idle_timeout_, frame_timeout_):
  //      your lab 1 loop.
  //   3. logLine(..., "closed"), then client.reset() to close the socket NOW. The ticket
  //      (a parameter) is destroyed when serve returns, and that is when
  //      waitUntilAllEnded() may say "all ended": the socket must be closed before.
  notImplemented(2, "ConnectionThreads::serve in connection_threads.cpp");
}

}  // namespace mc
