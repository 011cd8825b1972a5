/// @file semaphore_dispatcher.cpp
/// @brief Stage 4: the connection thread's half of a request's round trip.
/// Runs in: the server (the children run runSemaphoreChild).
/// Owns: the Links: children, shared channels, the server's pipe ends, the slot pools.
///
///   connection thread                         service child
///   take a free slot s (SlotPool)
///   write RequestRecord{s,...} to the pipe ─►
///   post doorbell ──────────────────────────► wait doorbell; start a thread:
///                                               read one record from the pipe
///                                               run it
///                                               slots[s].reply = the reply
///   wait slots[s].feedback ◄──────────────────  post slots[s].feedback
///   copy slots[s].reply, give s back
///
/// The pipe carries requests in; shared memory carries replies out, each in
/// the slot its request named.
///
/// Each service's Link sits behind a shared_ptr: a request copies it once and
/// uses that copy to the end, so when a dead child is replaced (reapChildren,
/// service_restart.cpp) requests already on the old link finish on it
/// (UNAVAILABLE) and new ones go to the new child.
#include "semaphore_dispatcher.hpp"

#include <exception>
#include <string>
#include <utility>

#include "log.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "semaphore_child.hpp"
#include "service_child.hpp"
#include "trace.hpp"
#include "worker_pool.hpp"

namespace mc {

namespace {

// How often a waiting connection thread looks whether its child is still alive.
constexpr std::chrono::milliseconds kLivenessCheck{100};

}  // namespace

SemaphoreDispatcher::SemaphoreDispatcher(const ServiceOptions& options, int pool_workers) {
  for (Service service : kServices) {
    auto link = std::make_shared<Link>();  // maps the channel: before the fork, so both sides share it
    Pipe requests = makePipe();
    ServiceChannel& channel = *link->channel;
    link->child = spawnServiceChild(service, {requests.read_end.get()}, [&] {
      auto state = openServiceState(service, options);
      if (pool_workers > 0) return runWorkerPool(*state, channel, requests.read_end, pool_workers);
      return runSemaphoreChild(*state, channel, requests.read_end);
    });
    link->requests = std::move(requests.write_end);  // the read end closes here
    replaceLink(service, std::move(link));
  }
}

SemaphoreDispatcher::~SemaphoreDispatcher() {
  // No request is in flight any more, so these are the only links left.
  for (Service service : kServices) {
    const std::shared_ptr<Link> link = currentLink(service);
    link->channel->stopping.store(true);
    // Wake the child to see the flag. One post is enough for a pool too: each
    // worker that sees the flag posts again for the next (worker_pool.cpp).
    link->channel->doorbell.post();
  }
  for (Service service : kServices) {
    const std::shared_ptr<Link> link = currentLink(service);
    const int status = link->child->reapWithin(std::chrono::seconds(2));
    logLine(link->child->name(), "service child " + std::to_string(link->child->pid()) + " " + describeWaitStatus(status));
  }
}

Reply SemaphoreDispatcher::dispatch(Service service, const Request& request) {
  // This request's link, to the end: if the child dies and is replaced
  // meanwhile, we still hold the old link (and it lives until we let go).
  const std::shared_ptr<Link> link = currentLink(service);
  std::optional<std::uint32_t> slot;
  while (!slot) {  // all slots busy: wait, but not for a dead child
    if (!link->child->running()) return unavailableReply(service, request);
    slot = link->slots.acquire(kLivenessCheck);
  }
  try {
    Reply reply = roundTrip(*link, service, request, *slot);
    link->slots.release(*slot);
    return reply;
  } catch (const std::exception& error) {  // out of memory, a semaphore call failing
    // The slot stays taken: the record may be in the pipe already, and the
    // child's late post must not wake that slot's next user with our reply.
    logError(link->child->name(), std::string{"request failed: "} + error.what());
    return makeReply(request, Status::kInternalError, "server error");
  }
}

Reply SemaphoreDispatcher::roundTrip(Link& link, Service service, const Request& request, std::uint32_t slot) {
  traceHop(Hop::kSlot, request.trace_id);
  const RequestRecord record = packRequest(request, slot);
  // One write of at most PIPE_BUF bytes: atomic, even with other threads
  // writing to the same pipe. EPIPE here means the child is gone.
  traceHop(Hop::kPipeWrite, request.trace_id);
  if (!writeAll(link.requests, &record, sizeof record)) return unavailableReply(service, request);
  traceHop(Hop::kDoorbell, request.trace_id);
  link.channel->doorbell.post();
  ReplySlot& reply_slot = link.channel->slots[slot];
  if (!awaitFeedback(link, reply_slot)) return unavailableReply(service, request);
  traceHop(Hop::kFeedbackWake, request.trace_id);
  if (auto reply = unpackReply(reply_slot.reply)) return *reply;
  return makeReply(request, Status::kInternalError, "corrupt reply record");
}

// Waits for the slot's feedback, checking now and then that the child lives.
// A dead child never posts: without this check the thread would wait forever.
bool SemaphoreDispatcher::awaitFeedback(Link& link, ReplySlot& slot) {
  for (;;) {
    if (slot.feedback.waitFor(kLivenessCheck)) return true;
    // Once the child is reaped nobody can post this slot any more: one last
    // look catches a reply it posted just before it died, and leaves the
    // slot's count at 0 for its next user either way.
    if (!link.child->running()) return slot.feedback.tryWait();
  }
}

}  // namespace mc
