/// @file connection_threads.cpp
/// @brief Starting a thread per connection.
/// Runs in: the server: start() in the accept loop, serve() in each new thread.
///
/// Why detached threads: a joined thread needs someone to join it, and the
/// accept loop is busy accepting. The seed server neither joined nor detached
/// its threads, so each finished thread kept its 8 MiB stack mapped until the
/// process ran out of memory maps after ~65,000 requests. A detached thread
/// gives its stack back the moment it returns; the ThreadTracker still lets
/// the server wait for all of them at shutdown.
#include "connection_threads.hpp"

#include <string>
#include <thread>

#include "connection.hpp"
#include "log.hpp"
#include "trace.hpp"

namespace mc {

ConnectionThreads::ConnectionThreads(Dispatcher& dispatcher, const OpenConnections& connections,
                                     std::chrono::milliseconds idle_timeout)
    : dispatcher_{dispatcher}, connections_{connections}, idle_timeout_{idle_timeout} {}

void ConnectionThreads::start(std::unique_ptr<ClientHandle> client) {
  ThreadTracker::Ticket ticket = tracker_.enter();
  // The handle moves into the thread: from here on only that thread uses it.
  std::thread(&ConnectionThreads::serve, this, std::move(client), std::move(ticket)).detach();
}

void ConnectionThreads::serve(std::unique_ptr<ClientHandle> client,
                              [[maybe_unused]] ThreadTracker::Ticket ticket) {
  const std::string who = "connection " + std::to_string(client->number);
  logLine(who, "started");
  traceMark("accept");
  serveConnection(client->socket, dispatcher_, connections_, idle_timeout_);
  logLine(who, "closed");
  // Close the socket now, before the ticket goes back as we return: once
  // waitUntilAllEnded() says yes, no connection is still open.
  client.reset();
}

}  // namespace mc
