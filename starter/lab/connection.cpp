/// @file connection.cpp
/// @brief The request/reply loop of one connection.
/// Runs in: the server (main thread in stage 1, a connection thread later).
///
/// Your version (lab 1). The loop waits with poll() on two descriptors: the
/// client's socket and the server's stop descriptor. A thread blocked in
/// read() on the socket alone could not be told to stop; poll lets it hear
/// either. Given: boundBlockingCalls and rejectFrame. You write the wait, the
/// loop, and the routing by command code (with STATUS's fan-out).
#include "connection.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <string>

#include "frame_io.hpp"
#include "hang_up.hpp"  // IWYU pragma: keep (for serveConnection)
#include "todo.hpp"

namespace mc {

namespace {

enum class Wake { kRequest, kStop, kIdle };

// Waits for the next request to start arriving, the stop signal, or the idle
// timeout, whichever comes first.
[[maybe_unused]] Wake waitForRequest([[maybe_unused]] const Fd& client,
                                     [[maybe_unused]] const Fd& stop,
                                     [[maybe_unused]] std::chrono::milliseconds idle_timeout) {
  // TODO(lab1): one ::poll() on two pollfds, {client, POLLIN} and {stop, POLLIN},
  //   with idle_timeout.count() as the timeout in milliseconds.
  //   - poll < 0 with EINTR: a signal; poll again (in a loop).
  //   - poll == 0 (timed out) or another failure: Wake::kIdle.
  //   - stop's revents != 0: Wake::kStop (check it first: shutting down wins).
  //   - otherwise Wake::kRequest. Note that POLLIN on the client also means EOF or
  //     an error (and POLLHUP/POLLERR may come without POLLIN): let the read tell which.
  notImplemented(1, "waitForRequest in connection.cpp");
}

// A half-sent frame must not hold a thread forever: once a frame has started,
// each read may block for at most the idle timeout (then read says kTimedOut).
// The same bound on writes: a client that never reads its replies fills its
// socket buffer, and writeAll then fails with EAGAIN instead of blocking.
[[maybe_unused]] void boundBlockingCalls(const Fd& client, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// The reply to a frame we could not accept, echoing what we could read of it.
[[maybe_unused]] Reply rejectFrame(const IncomingRequest& incoming) {
  Request echo;
  echo.command = static_cast<Command>(incoming.header.command);
  echo.request_id = incoming.header.request_id;
  return makeReply(echo, Status::kBadRequest, std::string(frameErrorText(incoming.error)));
}

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
                     [[maybe_unused]] const Fd& stop,
                     [[maybe_unused]] std::chrono::milliseconds idle_timeout) {
  // TODO(lab1): boundBlockingCalls(client, idle_timeout) once, then loop:
  //   1. waitForRequest: anything but Wake::kRequest (stop, idle) -> return.
  //   2. readRequest(client): io != kOk (closed, truncated, timed out, error) -> return.
  //   3. A frame error: writeReply(client, rejectFrame(incoming)) (return if the write
  //      fails); then, if isFatalFrameError (the stream is lost), hangUpAfterLastReply(client)
  //      and return (hang_up.hpp says why a plain close can destroy that reply); else continue.
  //      Every bad frame gets an answer: a client waiting for one must not hang.
  //   4. writeReply(client, routeRequest(dispatcher, incoming.request)); return if it fails.
  //   Do not close the client here: the caller owns its Fd.
  notImplemented(1, "serveConnection in connection.cpp");
}

}  // namespace mc
