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
#include <system_error>
#include <thread>

#include "connection.hpp"
#include "log.hpp"
#include "trace.hpp"

namespace mc {

ConnectionThreads::ConnectionThreads(Dispatcher& dispatcher, const OpenConnections& connections,
                                     std::chrono::milliseconds idle_timeout,
                                     std::chrono::milliseconds frame_timeout)
    : dispatcher_{dispatcher}, connections_{connections}, idle_timeout_{idle_timeout}, frame_timeout_{frame_timeout} {}

// The thread gets the handle's address, not the unique_ptr: had std::thread
// taken the unique_ptr and then failed to start, it would have destroyed the
// handle, closing the client before anyone could tell it why.
bool ConnectionThreads::start(std::unique_ptr<ClientHandle>& client) {
  ThreadTracker::Ticket ticket = tracker_.enter();
  std::thread thread;
  try {
    thread = std::thread(&ConnectionThreads::serve, this, client.get(), std::move(ticket));
  } catch (const std::system_error&) {
    return false;  // no thread: the client is still the caller's (the ticket went back)
  }
  client.release();  // the new thread's now: serve() adopts it
  thread.detach();
  return true;
}

void ConnectionThreads::serve(ClientHandle* handle, [[maybe_unused]] ThreadTracker::Ticket ticket) {
  std::unique_ptr<ClientHandle> client{handle};  // from here on only this thread uses it
  const std::string who = "connection " + std::to_string(client->number);
  logLine(who, "started");
  traceMark("accept");
  serveConnection(client->socket, dispatcher_, connections_, idle_timeout_, frame_timeout_);
  logLine(who, "closed");
  // Close the socket now, before the ticket goes back as we return: once
  // waitUntilAllEnded() says yes, no connection is still open.
  client.reset();
}

}  // namespace mc
