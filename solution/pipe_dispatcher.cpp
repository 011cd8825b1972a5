/// @file pipe_dispatcher.cpp
/// @brief Stage 3: routing requests to the service children through pipes.
/// Runs in: the server (the service children run runPipeChild).
///
///   connection thread --RequestRecord--> request pipe --> child reads, runs it
///   connection thread <--ReplyRecord---- reply pipe   <-- child writes reply
///
/// One request at a time per service: simple and correct, but a slow request
/// holds up every other client of that service (stage 4 fixes that).
#include "pipe_dispatcher.hpp"

#include "log.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "service_child.hpp"
#include "trace.hpp"

namespace mc {

namespace {

std::size_t indexOf(Service service) { return static_cast<std::size_t>(service) - 1; }

}  // namespace

PipeDispatcher::PipeDispatcher(const ServiceOptions& options) {
  for (Service service : kServices) {
    Link& link = links_[indexOf(service)];
    Pipe requests = makePipe();
    Pipe replies = makePipe();
    const int child_reads = requests.read_end.get();
    const int child_writes = replies.write_end.get();
    link.child = spawnServiceChild(service, {child_reads, child_writes}, [&] {
      auto state = openServiceState(service, options);
      return runPipeChild(*state, requests.read_end, replies.write_end);
    });
    // The server keeps only its own ends. Leaving the child's ends open here
    // would hide the child's death: the server would still hold a reader of
    // the request pipe (no EPIPE) and a writer of the reply pipe (no EOF).
    link.requests = std::move(requests.write_end);
    link.replies = std::move(replies.read_end);
  }
}

PipeDispatcher::~PipeDispatcher() {
  for (Link& link : links_) link.requests.reset();  // each child sees end of file
  for (Link& link : links_) {
    const int status = link.child->reapWithin(std::chrono::seconds(2));
    logLine(link.child->name(), "service child " + std::to_string(link.child->pid()) + " " + describeWaitStatus(status));
  }
}

Reply PipeDispatcher::dispatch(Service service, const Request& request) {
  Link& link = links_[indexOf(service)];
  std::scoped_lock lock(link.mutex);
  const RequestRecord record = packRequest(request, 0);
  traceHop(Hop::kPipeWrite, request.trace_id);
  if (!writeAll(link.requests, &record, sizeof record)) return unavailableReply(service, request);
  ReplyRecord reply;
  if (readExactly(link.replies, &reply, sizeof reply) != IoStatus::kOk) return unavailableReply(service, request);
  traceHop(Hop::kFeedbackWake, request.trace_id);
  if (auto unpacked = unpackReply(reply)) return *unpacked;
  return makeReply(request, Status::kInternalError, "corrupt reply record");
}

void PipeDispatcher::reapChildren() {
  for (Link& link : links_) {
    if (link.child->running() && link.child->tryReap())
      logError(link.child->name(), "service child " + std::to_string(link.child->pid()) + " " + describeWaitStatus(link.child->waitStatus()));
  }
}

}  // namespace mc
