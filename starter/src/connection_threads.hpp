/// @file connection_threads.hpp
/// @brief A thread per connection (stages 2-4), each handed its own client
/// handle on the heap.
/// Runs in: the server. Owns: the count of live connection threads; each
/// thread owns its ClientHandle (and so the client's socket).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include "connection_limit.hpp"
#include "dispatcher.hpp"
#include "frame_arrival.hpp"
#include "fd.hpp"
#include "open_connections.hpp"
#include "thread_tracker.hpp"

namespace mc {

/// Everything that belongs to one connection. Allocated on the heap by the
/// accept loop and handed to the connection's thread, which then owns it:
/// a pointer to a variable on the accept loop's stack would be overwritten by
/// the next accept() before the new thread had read it.
struct ClientHandle {
  /// @brief The handle of connection number @p accept_number on @p accepted.
  ClientHandle(Fd accepted, std::uint64_t accept_number) : socket{std::move(accepted)}, number{accept_number} {}

  Fd socket;                  ///< the accepted connection
  std::uint64_t number = 0;   ///< 1, 2, 3, ... in accept order, for logs
  /// The connection's place under --max-connections, given back when the
  /// handle dies (the accept loop fills it in; see Server::admit).
  ConnectionPermit permit;
  /// The socket's place on the server's OpenConnections (admitClient fills it
  /// in). Declared after the socket, so it is destroyed first: off the list
  /// before the socket closes.
  OpenConnections::Listing listing;
};

/// Starts and counts connection threads.
class ConnectionThreads {
 public:
  /// @param dispatcher where requests go; must outlive this object.
  /// @param connections says when the server is closing; must outlive this.
  /// @param idle_timeout how long a connection may stay silent before it is closed.
  /// @param frame_timeout how long one request frame may take to arrive (frame_arrival.hpp).
  ConnectionThreads(Dispatcher& dispatcher, const OpenConnections& connections,
                    std::chrono::milliseconds idle_timeout,
                    std::chrono::milliseconds frame_timeout = kDefaultFrameTimeout);
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;
  /// @brief Waits for every connection thread to end (they use our members).
  ~ConnectionThreads() = default;

  /// @brief Starts a detached thread serving @p client, which then owns it
  /// (@p client becomes empty).
  /// @return false if no thread could be started (out of threads, EAGAIN):
  /// @p client is then still the caller's, to be told BUSY.
  /// Thread safety: call from the accept loop only.
  bool start(std::unique_ptr<ClientHandle>& client);

  /// @brief Waits until every connection thread has ended, at most @p timeout.
  /// @return true if they all ended. Thread-safe.
  bool waitUntilAllEnded(std::chrono::milliseconds timeout) { return tracker_.waitUntilIdle(timeout); }

  /// @brief Connection threads running now. Thread-safe.
  std::size_t active() const { return tracker_.active(); }

 private:
  void serve(ClientHandle* handle, ThreadTracker::Ticket ticket);  // adopts handle

  Dispatcher& dispatcher_;
  const OpenConnections& connections_;
  const std::chrono::milliseconds idle_timeout_;
  const std::chrono::milliseconds frame_timeout_;
  ThreadTracker tracker_;  // destroyed first: waits for the threads using the rest
};

}  // namespace mc
