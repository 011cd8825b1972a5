/// @file semaphore_dispatcher.cpp
/// @brief Stage 4: the connection thread's half of a request's round trip.
/// Runs in: the server (the children run runSemaphoreChild).
/// Owns: the children, the shared channels, the server's pipe ends, the slot pools.
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
/// Your version (lab 4). The pipe carries requests in; shared memory carries
/// replies out, each in the slot its request named. Read reply_slots.hpp for
/// why that gives every thread its own reply.
///
/// Each service's Link sits behind a shared_ptr: a request copies it once and
/// uses that copy to the end, so when a dead child is replaced (reapChildren,
/// service_restart.cpp, lab 5) requests already on the old link finish on it
/// (UNAVAILABLE) and new ones go to the new child.
#include "semaphore_dispatcher.hpp"

#include <utility>

#include "log.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "semaphore_child.hpp"
#include "service_child.hpp"
#include "todo.hpp"
#include "worker_pool.hpp"

namespace mc {

namespace {

// How often a waiting connection thread looks whether its child is still alive.
[[maybe_unused]] constexpr std::chrono::milliseconds kLivenessCheck{100};

}  // namespace

SemaphoreDispatcher::SemaphoreDispatcher([[maybe_unused]] const ServiceOptions& options,
                                         [[maybe_unused]] int pool_workers) {
  // TODO(lab4): for each Service in kServices, one Link, one request pipe and one child.
  //   - auto link = std::make_shared<Link>(): its constructor maps the ServiceChannel, i.e.
  //     BEFORE the fork below, so parent and child share it. Take a reference to
  //     *link->channel to hand to the child.
  //   - makePipe() once: requests go in through the pipe; replies come back in the slots.
  //   - link->child = spawnServiceChild(service, {the pipe's read end}, body); in the child,
  //     body opens openServiceState(service, options) and returns
  //     runSemaphoreChild(*state, channel, read end) (lab 6: runWorkerPool if pool_workers > 0).
  //   - The server keeps only the write end (link->requests); the read end closes here.
  //   - replaceLink(service, std::move(link)) makes it the service's current link.
  notImplemented(4, "SemaphoreDispatcher::SemaphoreDispatcher in semaphore_dispatcher.cpp");
}

SemaphoreDispatcher::~SemaphoreDispatcher() {
  // TODO(lab4): stop the children the stage 4 way. Closing the pipe is not enough here: the
  //   child sleeps on its doorbell, not in read().
  //   - For every service's currentLink(service) (no request is in flight any more, so these
  //     are the only links left): channel->stopping.store(true), THEN channel->doorbell.post() so the
  //     child wakes up and sees the flag (in that order: a child woken before the store
  //     would take the ring for a request and read a record that is not there).
  //   - Then reap each child with reapWithin (about 2 s) and logLine its describeWaitStatus.
  //     The children must be gone before the members (the shared channels) are unmapped.
  notImplemented(4, "SemaphoreDispatcher::~SemaphoreDispatcher in semaphore_dispatcher.cpp");
}

Reply SemaphoreDispatcher::dispatch([[maybe_unused]] Service service, [[maybe_unused]] const Request& request) {
  // TODO(lab4): a link, a slot, a round trip, the slot back.
  //   - const std::shared_ptr<Link> link = currentLink(service), ONCE, and only that copy from
  //     here on: in lab 5 a dead child's link gets replaced while requests still use it.
  //   - Loop until link->slots.acquire(kLivenessCheck) gives a slot; before each try, if
  //     !link->child->running(), return unavailableReply(...). (All 64 slots busy: we wait, but
  //     never for a child that is dead.)
  //   - reply = roundTrip(*link, service, request, slot); then link->slots.release(slot) on
  //     EVERY path, UNAVAILABLE included, or the pool shrinks until nobody gets a slot.
  notImplemented(4, "SemaphoreDispatcher::dispatch in semaphore_dispatcher.cpp");
}

Reply SemaphoreDispatcher::roundTrip([[maybe_unused]] Link& link, [[maybe_unused]] Service service,
                                     [[maybe_unused]] const Request& request,
                                     [[maybe_unused]] std::uint32_t slot) {
  // TODO(lab4): the request goes out through the pipe, the reply comes back in the slot.
  //   - writeAll(link.requests, packRequest(request, slot)): a single write of at most
  //     PIPE_BUF bytes is atomic, so records of concurrent threads never interleave and no
  //     lock is needed. false (EPIPE: the child is gone): return unavailableReply(...).
  //   - link.channel->doorbell.post(): exactly one ring per record, AFTER the write.
  //   - awaitFeedback on link.channel->slots[slot]; false: return unavailableReply(...).
  //   - unpackReply(slots[slot].reply); on failure makeReply(request, Status::kInternalError, ...).
  notImplemented(4, "SemaphoreDispatcher::roundTrip in semaphore_dispatcher.cpp");
}

// Waits for the slot's feedback, checking now and then that the child lives.
// A dead child never posts: without this check the thread would wait forever.
bool SemaphoreDispatcher::awaitFeedback([[maybe_unused]] Link& link, [[maybe_unused]] ReplySlot& slot) {
  // TODO(lab4): never an unbounded wait on a semaphore another process must post.
  //   - Loop: slot.feedback.waitFor(kLivenessCheck) true: return true.
  //   - Timed out and !link.child->running() (the main loop has reaped it): nobody can post
  //     this slot any more. Return slot.feedback.tryWait(): it catches a reply posted just
  //     before the child died, and leaves the count at 0 for the slot's next user.
  //   - Timed out but the child lives: it is just slow; wait again.
  notImplemented(4, "SemaphoreDispatcher::awaitFeedback in semaphore_dispatcher.cpp");
}

}  // namespace mc
