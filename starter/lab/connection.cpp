/// @file connection.cpp
/// @brief The request/reply loop of one connection.
/// Runs in: the server (main thread in stage 1, a connection thread later).
///
/// Your version (lab 1). The loop blocks in read() for the client's next
/// request: one system call per request. It still hears the server stop:
/// the given StopForwarder shuts the socket for reading, and that read then
/// returns end of file (open_connections.hpp says how and why). Given, in
/// the provided code: boundBlockingCalls (socket_timeouts.hpp), awaitFrame
/// (frame_arrival.hpp) and rejectFrame (frame_io.hpp). You write the loop and the routing by command
/// code (with STATUS's fan-out).
#include "connection.hpp"

#include <string>

#include "frame_io.hpp"
#include "hang_up.hpp"          // IWYU pragma: keep (for serveConnection)
#include "socket_timeouts.hpp"  // IWYU pragma: keep (for serveConnection)
#include "todo.hpp"

namespace mc {

namespace {

// STATUS asks every service; the merged reply holds all their fields, and is
// OK only if every service answered OK.
[[maybe_unused]] Reply mergeStatus([[maybe_unused]] Dispatcher& dispatcher,
                                   [[maybe_unused]] const Request& request) {
  // TODO(lab1): one reply, served by the server itself, made of the replies of every
  //   service in kServices to the same request: its status is kOk only if every part's
  //   is, else the first part's that is not; its "message" is the parts' messages joined
  //   by "; "; every other field of the parts (parcel.capacity, vending.stock, ...) is
  //   kept, in the order the parts gave them.
  // Hints: labs/01-sockets/HINTS.md#mergestatus
  notImplemented(1, "mergeStatus in connection.cpp");
}

}  // namespace

Reply routeRequest([[maybe_unused]] Dispatcher& dispatcher, [[maybe_unused]] const Request& request) {
  // TODO(lab1): the reply of the one service the command code names (PARCEL_* to parcel,
  //   and so on); for STATUS, which names none, the merged reply of all of them.
  // Hints: labs/01-sockets/HINTS.md#routerequest
  notImplemented(1, "routeRequest in connection.cpp");
}

void serveConnection([[maybe_unused]] const Fd& client, [[maybe_unused]] Dispatcher& dispatcher,
                     [[maybe_unused]] const OpenConnections& connections,
                     [[maybe_unused]] std::chrono::milliseconds idle_timeout,
                     [[maybe_unused]] std::chrono::milliseconds frame_timeout) {
  // TODO(lab1): the client's requests answered in order, one reply each, until the client
  //   leaves or stays silent past idle_timeout, a read or write on it fails, or the server
  //   is closing: no request is begun once connections.closing() (Linux still delivers
  //   data queued on a socket shut for reading). Every bad frame gets an answer: after a
  //   non-fatal one the connection goes on; after a fatal one, or a frame not whole within
  //   frame_timeout, the answer is the last thing sent before hanging up. No blocking call
  //   on the socket is unbounded; a connection whose calls cannot be bounded is not served.
  //   The caller owns client: it is still open on return.
  // Hints: labs/01-sockets/HINTS.md#serveconnection
  notImplemented(1, "serveConnection in connection.cpp");
}

}  // namespace mc
