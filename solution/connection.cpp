/// @file connection.cpp
/// @brief The request/reply loop of one connection.
/// Runs in: the server (main thread in stage 1, a connection thread later).
///
/// The loop blocks in read() for the client's next request: one system call
/// per request, as in the simplest echo server. How it still hears the server
/// stop: the StopForwarder shuts the socket for reading, and that read
/// returns end of file (open_connections.hpp). Before each request the loop
/// also checks connections.closing(), because Linux still delivers the data
/// queued on a socket shut for reading (up to a receive window, megabytes):
/// a client that pipelines would otherwise be served on after the stop.
#include "connection.hpp"

#include <string>

#include "frame_io.hpp"
#include "hang_up.hpp"
#include "socket_timeouts.hpp"
#include "trace.hpp"

namespace mc {

namespace {

// STATUS asks every service; the merged reply holds all their fields, and is
// OK only if every service answered OK.
Reply mergeStatus(Dispatcher& dispatcher, const Request& request) {
  Status status = Status::kOk;
  std::string message;
  Fields counts;
  for (Service service : kServices) {
    const Reply part = dispatcher.dispatch(service, request);
    if (status == Status::kOk) status = part.status;
    for (const auto& [key, value] : part.fields.entries()) {
      if (key == "message") {
        message += (message.empty() ? "" : "; ") + value;
      } else {
        counts.add(key, value);
      }
    }
  }
  Reply merged = makeReply(request, status, message);
  for (const auto& [key, value] : counts.entries()) merged.fields.add(key, value);
  return merged;
}

}  // namespace

Reply routeRequest(Dispatcher& dispatcher, const Request& request) {
  traceHop(Hop::kRoute, request.trace_id);
  if (auto service = serviceFor(request.command)) return dispatcher.dispatch(*service, request);
  return mergeStatus(dispatcher, request);
}

void serveConnection(const Fd& client, Dispatcher& dispatcher, const OpenConnections& connections,
                     std::chrono::milliseconds idle_timeout, std::chrono::milliseconds frame_timeout) {
  // Every read and write on the client may block for at most the idle
  // timeout: a client silent between requests is closed, a half-sent frame
  // cannot hold us forever, and a client that never reads its replies makes
  // writeAll fail with EAGAIN instead of blocking. Unbounded, we do not serve.
  if (!boundBlockingCalls(client, idle_timeout)) return;
  while (!connections.closing()) {
    // The whole next frame, or the end: a client that trickles its bytes in
    // must not hold this thread for longer than frame_timeout.
    const FrameArrival arrival = awaitFrame(client, idle_timeout, frame_timeout);
    if (arrival.state == FrameArrival::kIdle) return;  // silent too long
    if (arrival.state == FrameArrival::kTooSlow) {
      if (writeReply(client, arrival.refusal)) hangUpAfterLastReply(client);
      return;
    }
    const IncomingRequest incoming = readRequest(client);  // every byte is there (or EOF, or an error)
    if (incoming.io != IoStatus::kOk) return;  // closed (by the client or the stop), cut short
    if (incoming.error != FrameError::kNone) {
      if (!writeReply(client, rejectFrame(incoming))) return;
      if (isFatalFrameError(incoming.error)) {  // cannot find the next frame
        hangUpAfterLastReply(client);          // without a reset eating that reply
        return;
      }
      continue;
    }
    Request request = incoming.request;
    request.trace_id = tracing() ? newTraceId() : 0;  // names its hops in a --trace file
    traceHop(Hop::kRead, request.trace_id);
    if (!writeReply(client, routeRequest(dispatcher, request))) return;
    traceHop(Hop::kReply, request.trace_id);
  }
}

}  // namespace mc
