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
  // TODO(lab3): on return each service in kServices has a child running runPipeChild on a
  //   ServiceState of its own, opened in the child (an SQLite connection is never shared by
  //   two processes), with a request pipe in and a reply pipe out. Its Link holds the child
  //   and the server's two ends, and no other end of those pipes stays open in the server:
  //   one left open hides the child's death (no EPIPE on a write, no end of file on a read).
  // Hints: labs/03-fork-pipes/HINTS.md#pipedispatcher-constructor
  notImplemented(3, "PipeDispatcher::PipeDispatcher in pipe_dispatcher.cpp");
}

PipeDispatcher::~PipeDispatcher() {
  // TODO(lab3): every child stopped the stage 3 way, by end of file on its request pipe,
  //   and reaped, each one's wait status logged. The three stop together, not one after
  //   another; one that does not exit within a grace (about 2 s) is stuck and is killed.
  // Hints: labs/03-fork-pipes/HINTS.md#pipedispatcher-destructor
  notImplemented(3, "PipeDispatcher::~PipeDispatcher in pipe_dispatcher.cpp");
}

Reply PipeDispatcher::dispatch([[maybe_unused]] Service service, [[maybe_unused]] const Request& request) {
  // TODO(lab3): the service child's reply to this request, and to no other. The reply pipe
  //   is shared by every request to this service, so two threads' round trips must never
  //   overlap. A child that is gone (the write fails, the read does not get a whole record)
  //   gives unavailableReply at once, never a wait or a retry; a reply record that does
  //   not unpack gives INTERNAL_ERROR.
  // Hints: labs/03-fork-pipes/HINTS.md#pipedispatcherdispatch
  notImplemented(3, "PipeDispatcher::dispatch in pipe_dispatcher.cpp");
}

void PipeDispatcher::reapChildren() {
  for (Link& link : links_) {
    if (link.child->running() && link.child->tryReap())
      logError(link.child->name(), "service child " + std::to_string(link.child->pid()) + " " + describeWaitStatus(link.child->waitStatus()));
  }
}

}  // namespace mc
