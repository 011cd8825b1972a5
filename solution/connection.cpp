/// @file connection.cpp
/// @brief The request/reply loop of one connection.
/// Runs in: the server (main thread in stage 1, a connection thread later).
///
/// The loop waits with poll() on two descriptors: the client's socket and the
/// server's stop descriptor. A thread blocked in read() on the socket alone
/// could not be told to stop; poll lets it hear either.
#include "connection.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <string>

#include "frame_io.hpp"
#include "hang_up.hpp"
#include "trace.hpp"

namespace mc {

namespace {

enum class Wake { kRequest, kStop, kIdle };

// Waits for the next request to start arriving, the stop signal, or the idle
// timeout, whichever comes first.
Wake waitForRequest(const Fd& client, const Fd& stop, std::chrono::milliseconds idle_timeout) {
  pollfd fds[2] = {{client.get(), POLLIN, 0}, {stop.get(), POLLIN, 0}};
  for (;;) {
    const int ready = ::poll(fds, 2, static_cast<int>(idle_timeout.count()));
    if (ready < 0 && errno == EINTR) continue;  // a signal; wait again
    if (ready <= 0) return Wake::kIdle;         // timed out (or poll failed)
    if (fds[1].revents != 0) return Wake::kStop;
    return Wake::kRequest;  // data, EOF or an error: the read will tell which
  }
}

// A half-sent frame must not hold a thread forever: once a frame has started,
// each read may block for at most the idle timeout (then read says kTimedOut).
void boundBlockingCalls(const Fd& client, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// The reply to a frame we could not accept, echoing what we could read of it.
Reply rejectFrame(const IncomingRequest& incoming) {
  Request echo;
  echo.command = static_cast<Command>(incoming.header.command);
  echo.request_id = incoming.header.request_id;
  return makeReply(echo, Status::kBadRequest, std::string(frameErrorText(incoming.error)));
}

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

void serveConnection(const Fd& client, Dispatcher& dispatcher, const Fd& stop,
                     std::chrono::milliseconds idle_timeout) {
  boundBlockingCalls(client, idle_timeout);
  for (;;) {
    if (waitForRequest(client, stop, idle_timeout) != Wake::kRequest) return;
    const IncomingRequest incoming = readRequest(client);
    if (incoming.io != IoStatus::kOk) return;  // closed, cut short, silent or broken
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
