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
  // TODO(lab1): send the same request to each service in kServices (parcel, food,
  //   vending: dispatcher.dispatch(service, request)) and merge the three replies:
  //   - status: kOk unless a part failed; then the first part's status that is not kOk;
  //   - every "message" field: joined into one message, separated by "; ";
  //   - every other field (parcel.capacity, food.occupied, vending.stock, ...): kept,
  //     in the order the parts gave them.
  //   Build the result with makeReply(request, status, message) (served by the server
  //   itself), then add the kept fields to its .fields.
  notImplemented(1, "mergeStatus in connection.cpp");
}

}  // namespace

Reply routeRequest([[maybe_unused]] Dispatcher& dispatcher, [[maybe_unused]] const Request& request) {
  // TODO(lab1): the command code decides the service: serviceFor(request.command)
  //   gives it (PARCEL_* -> parcel, FOOD_* -> food, VENDING_* -> vending), and
  //   dispatcher.dispatch(service, request) runs it. serviceFor returns nullopt only
  //   for STATUS, which every service answers: return mergeStatus(...) then.
  notImplemented(1, "routeRequest in connection.cpp");
}

void serveConnection([[maybe_unused]] const Fd& client, [[maybe_unused]] Dispatcher& dispatcher,
                     [[maybe_unused]] const OpenConnections& connections,
                     [[maybe_unused]] std::chrono::milliseconds idle_timeout,
                     [[maybe_unused]] std::chrono::milliseconds frame_timeout) {
  // TODO(lab1): boundBlockingCalls(client, idle_timeout) once (if it fails, return: a
  //   connection whose reads and writes cannot be bounded is not served), then loop:
  //   1. connections.closing(): the server is shutting down -> return. Check it before every
  //      request: Linux still delivers the data queued on a socket shut for reading (up to
  //      a receive window, megabytes), so a client that pipelines would be served on.
  //   2. awaitFrame(client, idle_timeout, frame_timeout) (given) waits until the whole next
  //      frame has arrived: kIdle (silent for idle_timeout) -> return; kTooSlow (a client
  //      trickling its bytes in past frame_timeout) -> writeReply(client, arrival.refusal),
  //      then hangUpAfterLastReply(client) and return. kArrived: go on.
  //      readRequest(client) then finds every byte there: io != kOk -> return. That is:
  //      closed (the client left, or the stop shut our reading side), truncated, timed out
  //      or an error.
  //   3. A frame error: writeReply(client, rejectFrame(incoming)) (return if the write
  //      fails); then, if isFatalFrameError (the stream is lost), hangUpAfterLastReply(client)
  //      and return (hang_up.hpp says why a plain close can destroy that reply); else continue.
  //      Every bad frame gets an answer: a client waiting for one must not hang.
  //   4. writeReply(client, routeRequest(dispatcher, incoming.request)); return if it fails.
  //   Do not close the client here: the caller owns its Fd.
  notImplemented(1, "serveConnection in connection.cpp");
}

}  // namespace mc
