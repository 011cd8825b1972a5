/// @file semaphore_child.cpp
/// @brief A stage 4 service child: a doorbell loop and a thread per request.
/// Runs in: a service child process.
/// Owns: its request threads (detached, counted by a ThreadTracker).
///
/// Serving one request has two halves. takeRecord() reads one record under
/// read_mutex. answerRecord() has it run in a batch with the records other
/// request threads took meanwhile (batch_queue.hpp): answerRecords() runs a
/// batch under state_mutex as one group commit, then replies in each record's
/// slot. The thread pool of lab 6 (worker_pool.cpp) uses answerRecords() too.
/// The locks are never held together (semaphore_child.hpp, ChildContext).
#include "semaphore_child.hpp"

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

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

void answerRecords(ChildContext& context, std::span<const RequestRecord> records) {
  const std::int64_t started = tracing() ? traceClock() : 0;
  std::vector<Reply> replies;
  {
    // Every thread of this child shares one ServiceState (and its SQLite
    // connection): one batch at a time on it.
    std::scoped_lock lock(context.state_mutex);
    replies = runRecords(context, records);
  }
  // The batch is committed: now, and not before, its replies may go out.
  for (std::size_t i = 0; i < records.size(); ++i) {
    const RequestRecord& record = records[i];
    traceSpan(Hop::kWork, record.trace_id, started);
    if (record.slot >= kSlotsPerService) {  // no slot to answer in: drop it
      logChildError(context, "request names slot " + std::to_string(record.slot) + ", which does not exist");
      continue;
    }
    ReplySlot& slot = context.channel.slots[record.slot];
    slot.reply = packReply(replies[i]);
    traceHop(Hop::kFeedback, record.trace_id);
    slot.feedback.post();  // the reply is in place: wake exactly its owner
  }
}

// Group commit among request threads (batch_queue.hpp says why): the first
// one serves everyone who arrives while it works, a batch (one commit) at a
// time; the others leave their record to it and end at once.
void answerRecord(ChildContext& context, const RequestRecord& record) {
  if (!context.batches.leave(record)) return;  // the thread serving now runs it
  std::vector<RequestRecord> batch;
  while (context.batches.take(batch)) answerRecords(context, batch);
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
  ChildContext context{state, channel, requests};
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
  // The server stops us only once every request is answered, so the request
  // threads are just returning. One still running after a second is stuck,
  // and returning would destroy the state under it: leave without destructors.
  if (!threads.waitUntilIdle(std::chrono::seconds(1))) {
    logError(std::string(serviceName(state.service())), "a request thread is stuck; exiting at once");
    std::_Exit(1);
  }
  return 0;
}

}  // namespace mc
