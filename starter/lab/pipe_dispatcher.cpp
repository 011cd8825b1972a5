/// @file pipe_dispatcher.cpp
/// @brief Stage 3: routing requests to the service children through pipes.
/// Runs in: the server (the service children run runPipeChild).
/// Owns: the three children and the server's ends of their pipes.
///
///   connection thread --RequestRecord--> request pipe --> child reads, runs it
///   connection thread <--ReplyRecord---- reply pipe   <-- child writes reply
///
/// Your version (lab 3). routeRequest (connection.cpp, lab 1) has already
/// picked the service by the request's command code; here the request crosses
/// into that service's process and its reply comes back.
///
/// One request at a time per service: simple and correct, but a slow request
/// holds up every other client of that service (stage 4 fixes that).
#include "pipe_dispatcher.hpp"

#include "log.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "service_child.hpp"
#include "todo.hpp"

namespace mc {

namespace {

// links_[indexOf(service)] is the service's Link. ([[maybe_unused]] only keeps
// the compiler quiet until your code calls it.) unavailableReply(service,
// request), the answer when a child is gone, is in dispatcher.hpp.
[[maybe_unused]] std::size_t indexOf(Service service) { return static_cast<std::size_t>(service) - 1; }

}  // namespace

PipeDispatcher::PipeDispatcher([[maybe_unused]] const ServiceOptions& options) {
  // TODO(lab3): for each Service in kServices, start its child with two pipes.
  //   - makePipe() twice: `requests` (server -> child) and `replies` (child -> server).
  //   - link.child = spawnServiceChild(service, {the child's two ends}, body), where body is a
  //     lambda that runs in the child: openServiceState(service, options) (after fork: an
  //     SQLite connection must never be shared by two processes), then runPipeChild.
  //   - Back in the server, keep ONLY the server's ends: move requests.write_end into
  //     link.requests and replies.read_end into link.replies; the child's ends close when the
  //     Pipe objects go out of scope. A child's end left open here hides the child's death:
  //     writes to it never fail with EPIPE and reads never see end of file.
  notImplemented(3, "PipeDispatcher::PipeDispatcher in pipe_dispatcher.cpp");
}

PipeDispatcher::~PipeDispatcher() {
  // TODO(lab3): stop the children the stage 3 way, by end of file.
  //   - First reset() every link's requests end: each child's readExactly returns kClosed
  //     and its loop returns 0. Close all three before waiting for any, so they exit together.
  //   - Then reap each child with reapWithin (a grace of about 2 s) and logLine its
  //     describeWaitStatus. The grace is for a child that is stuck: it gets SIGKILL.
  notImplemented(3, "PipeDispatcher::~PipeDispatcher in pipe_dispatcher.cpp");
}

Reply PipeDispatcher::dispatch([[maybe_unused]] Service service, [[maybe_unused]] const Request& request) {
  // TODO(lab3): one round trip through the service's two pipes.
  //   - Take the link's mutex with a std::scoped_lock for the WHOLE round trip: the reply
  //     pipe is shared by every request to this service, so if two threads each wrote a
  //     request before either read, each could read the other's reply.
  //   - packRequest(request, 0) (stage 3 has no slots) and writeAll it to link.requests.
  //   - readExactly one ReplyRecord from link.replies.
  //   - A failed write (EPIPE) or any read result but kOk means the child is gone: return
  //     unavailableReply(...), never wait or retry.
  //   - unpackReply; if that fails: makeReply(request, Status::kInternalError, ...).
  notImplemented(3, "PipeDispatcher::dispatch in pipe_dispatcher.cpp");
}

void PipeDispatcher::reapChildren() {
  for (Link& link : links_) {
    if (link.child->running() && link.child->tryReap())
      logError(link.child->name(), "service child " + std::to_string(link.child->pid()) + " " + describeWaitStatus(link.child->waitStatus()));
  }
}

}  // namespace mc
