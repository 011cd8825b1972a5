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
  // TODO(lab4): on return each service in kServices has a current Link whose child runs
  //   runSemaphoreChild (lab 6: runWorkerPool when pool_workers > 0) on a ServiceState of
  //   its own and on that link's ServiceChannel, reading requests from a new pipe. The
  //   channel is shared memory only if it was mapped before the fork. The server keeps the
  //   pipe's write end and nothing else of it: replies come back in the slots.
  // Hints: labs/04-semaphores/HINTS.md#semaphoredispatcher-constructor
  notImplemented(4, "SemaphoreDispatcher::SemaphoreDispatcher in semaphore_dispatcher.cpp");
}

SemaphoreDispatcher::~SemaphoreDispatcher() {
  // TODO(lab4): every child stopped the stage 4 way and reaped, each wait status logged,
  //   before the members (the shared channels) are unmapped. No request is in flight any
  //   more, so the current links are the only ones left. A stage 4 child sleeps on its
  //   doorbell, not in read(), so end of file does not wake it; woken, it must find
  //   `stopping` set already, or it takes the ring for a request and reads a record that
  //   is not there. One that does not exit within a grace (about 2 s) is killed.
  // Hints: labs/04-semaphores/HINTS.md#semaphoredispatcher-destructor
  notImplemented(4, "SemaphoreDispatcher::~SemaphoreDispatcher in semaphore_dispatcher.cpp");
}

Reply SemaphoreDispatcher::dispatch([[maybe_unused]] Service service, [[maybe_unused]] const Request& request) {
  // TODO(lab4): this request's reply, through one Link from start to end: the service's
  //   current one when dispatch begins (lab 5 may replace it meanwhile). While every slot is
  //   busy it waits for one, but never for a dead child: that is unavailableReply. The slot
  //   is given back on every path that returns a reply, UNAVAILABLE included, or the pool
  //   shrinks until nobody gets a slot.
  // Hints: labs/04-semaphores/HINTS.md#semaphoredispatcherdispatch
  notImplemented(4, "SemaphoreDispatcher::dispatch in semaphore_dispatcher.cpp");
}

Reply SemaphoreDispatcher::roundTrip([[maybe_unused]] Link& link, [[maybe_unused]] Service service,
                                     [[maybe_unused]] const Request& request,
                                     [[maybe_unused]] std::uint32_t slot) {
  // TODO(lab4): the child's reply to this request, come back in `slot`, which the record
  //   names. One ring of the doorbell per record, and only for a record already in the
  //   pipe: a ring without one blocks a request thread in read() for good. Threads write
  //   the pipe concurrently without a lock: one write of at most PIPE_BUF bytes is atomic.
  //   A child that is gone (the write fails, or it was reaped without answering) gives
  //   unavailableReply; a reply record that does not unpack gives INTERNAL_ERROR.
  // Hints: labs/04-semaphores/HINTS.md#semaphoredispatcherroundtrip
  notImplemented(4, "SemaphoreDispatcher::roundTrip in semaphore_dispatcher.cpp");
}

// Waits for the slot's feedback, checking now and then that the child lives.
// A dead child never posts: without this check the thread would wait forever.
bool SemaphoreDispatcher::awaitFeedback([[maybe_unused]] Link& link, [[maybe_unused]] ReplySlot& slot) {
  // TODO(lab4): true once the slot's feedback was taken; false once the child has been
  //   reaped without posting it. A slow child is waited for as long as it lives, but never
  //   in one unbounded wait on a semaphore another process must post: look whether it lives
  //   every kLivenessCheck. A reply posted just before the child died still counts, and
  //   either way the slot's count is 0 on return, ready for its next user.
  // Hints: labs/04-semaphores/HINTS.md#semaphoredispatcherawaitfeedback
  notImplemented(4, "SemaphoreDispatcher::awaitFeedback in semaphore_dispatcher.cpp");
}

}  // namespace mc
