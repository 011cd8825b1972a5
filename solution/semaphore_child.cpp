/// @file semaphore_child.cpp
/// @brief A stage 4 service child: a doorbell loop and a thread per request.
/// Runs in: a service child process.
/// Owns: its request threads (detached, counted by a ThreadTracker).
///
/// Serving one request has two halves, shared with the thread pool of lab 6
/// (worker_pool.cpp): takeRecord() reads one record under read_mutex, and
/// answerRecord() runs it under state_mutex and replies in its slot. The two
/// locks are never held together (semaphore_child.hpp, ChildContext).
#include "semaphore_child.hpp"

#include <memory>
#include <mutex>
#include <string>

#include "detached_thread.hpp"
#include "log.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "thread_tracker.hpp"
#include "trace.hpp"

namespace mc {

namespace {

void logChildError(ChildContext& context, const std::string& what) {
  logError(std::string(serviceName(context.state.service())), what);
}

}  // namespace

bool takeRecord(ChildContext& context, RequestRecord& record) {
  IoStatus io;
  {
    std::scoped_lock lock(context.read_mutex);
    io = readExactly(context.requests, &record, sizeof record);
  }
  if (io == IoStatus::kOk) return true;
  logChildError(context, std::string("request pipe: ") + ioStatusName(io));  // a ring without a record
  return false;
}

void answerRecord(ChildContext& context, const RequestRecord& record) {
  if (record.slot >= kSlotsPerService) {  // no slot to answer in: drop it
    logChildError(context, "request names slot " + std::to_string(record.slot) + ", which does not exist");
    return;
  }
  ReplySlot& slot = context.channel.slots[record.slot];
  const std::int64_t started = tracing() ? traceClock() : 0;
  {
    // Every request thread of this child shares one ServiceState (and its
    // SQLite connection): one request at a time on it.
    std::scoped_lock lock(context.state_mutex);
    slot.reply = packReply(runRecord(context, record));
  }
  traceSpan(Hop::kWork, record.trace_id, started);
  traceHop(Hop::kFeedback, record.trace_id);
  slot.feedback.post();  // the reply is in place: wake exactly its owner
}

namespace {

// When and where the doorbell woke the child, for a --trace file: only the
// request's thread learns which request it was.
struct Wake {
  std::int64_t at_us = 0;
  std::uint32_t tid = 0;
};

Wake noteWake() { return tracing() ? Wake{traceClock(), currentTid()} : Wake{}; }

// One request, start to finish, in its own thread.
void serveOneRequest(ChildContext& context, [[maybe_unused]] ThreadTracker::Ticket ticket, Wake wake) {
  RequestRecord record;
  if (!takeRecord(context, record)) return;
  traceEarlierHop(Hop::kChildWake, record.trace_id, wake.at_us, wake.tid);
  traceHop(Hop::kThreadStart, record.trace_id);
  answerRecord(context, record);
}

/// What a request thread runs: its context, its ticket, its wake-up.
struct RequestJob {
  ChildContext& context;
  ThreadTracker::Ticket ticket;
  Wake wake;
  void operator()() { serveOneRequest(context, std::move(ticket), wake); }
};

}  // namespace

int runSemaphoreChild(ServiceState& state, ServiceChannel& channel, const Fd& requests) {
  ChildContext context{state, channel, requests, {}, {}};
  ThreadTracker threads;  // declared after context: destroyed first, waits for the threads
  for (;;) {
    channel.doorbell.wait();
    if (channel.stopping.load()) break;  // the server has no requests left for us
    auto job = std::make_unique<RequestJob>(RequestJob{context, threads.enter(), noteWake()});
    // A small stack (detached_thread.hpp says why). No thread to be had (out
    // of memory or of threads): serve it here, slower but answered; its
    // client would otherwise wait forever.
    if (!startDetachedThread(job, kRequestStackBytes)) (*job)();
  }
  threads.waitUntilIdle(std::chrono::seconds(5));
  return 0;
}

}  // namespace mc
