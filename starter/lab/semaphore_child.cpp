/// @file semaphore_child.cpp
/// @brief A stage 4 service child: a doorbell loop and a thread per request.
/// Runs in: a service child process.
/// Owns: its request threads (detached, counted by a ThreadTracker).
///
/// Your version (lab 4). Serving one request has two halves. takeRecord()
/// reads one record under read_mutex. answerRecord() has it run in a batch
/// with the records other request threads took meanwhile (batch_queue.hpp):
/// answerRecords() runs a batch under state_mutex as one group commit, then
/// replies in each record's slot; the thread pool of lab 6 (worker_pool.cpp)
/// will reuse it. The locks are never held together (semaphore_child.hpp,
/// ChildContext, says what each one guards).
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
#include "todo.hpp"

namespace mc {

bool takeRecord([[maybe_unused]] ChildContext& context, [[maybe_unused]] RequestRecord& record) {
  // TODO(lab4): take ONE whole record off the request pipe.
  //   - Under a std::scoped_lock on context.read_mutex (and nothing else): readExactly one
  //     RequestRecord from context.requests into record. Let the lock go right after the read
  //     (a block scope around the lock and the read does it).
  //   - kOk: return true. Anything else means the doorbell rang without a record (a protocol
  //     bug, or the server is gone): logError (who: the service's name, what: ioStatusName)
  //     and return false.
  notImplemented(4, "takeRecord in semaphore_child.cpp");
}

void answerRecords([[maybe_unused]] ChildContext& context,
                   [[maybe_unused]] std::span<const RequestRecord> records) {
  // TODO(lab4): answer a batch of records, each in the slot it names.
  //   - Under a std::scoped_lock on context.state_mutex (every thread of this child shares one
  //     ServiceState and its SQLite connection; the lock makes them take turns):
  //     std::vector<Reply> replies = runRecords(context, records). That runs the whole batch as
  //     ONE transaction: when it returns, every change is in the log, so the replies may go out.
  //   - THEN, with the lock let go, for each record i:
  //       record.slot >= kSlotsPerService: there is no slot to answer in; logError and skip it.
  //       Never index channel.slots with a number you have not checked.
  //       ReplySlot& slot = context.channel.slots[record.slot];
  //       slot.reply = packReply(replies[i]); and only THEN slot.feedback.post(). The order
  //       matters: the post tells the waiting server thread its reply is there.
  notImplemented(4, "answerRecords in semaphore_child.cpp");
}

void answerRecord([[maybe_unused]] ChildContext& context, [[maybe_unused]] const RequestRecord& record) {
  // TODO(lab4): have the record answered in a batch (read batch_queue.hpp first).
  //   - context.batches.leave(record) returns false: another request thread is serving the
  //     queue and will run this record too. Nothing more to do: return.
  //   - true: this thread serves. Loop: while context.batches.take(batch) gives a batch,
  //     answerRecords(context, batch). Stop only when take() says none is waiting (it then
  //     stops you serving, under its lock), or a record left meanwhile would wait forever.
  notImplemented(4, "answerRecord in semaphore_child.cpp");
}

namespace {

// One request, start to finish, in its own thread. The ticket tells the
// child's ThreadTracker when this thread has ended (when it is destroyed).
void serveOneRequest(ChildContext& context, [[maybe_unused]] ThreadTracker::Ticket ticket) {
  RequestRecord record;
  if (!takeRecord(context, record)) return;
  answerRecord(context, record);
}

/// What a request thread runs: its context and its ticket.
struct RequestJob {
  ChildContext& context;
  ThreadTracker::Ticket ticket;
  void operator()() { serveOneRequest(context, std::move(ticket)); }
};

}  // namespace

int runSemaphoreChild([[maybe_unused]] ServiceState& state, [[maybe_unused]] ServiceChannel& channel,
                      [[maybe_unused]] const Fd& requests) {
  // TODO(lab4): the doorbell loop. One ring = one record in the pipe = one request thread.
  //   - Make a ChildContext{state, channel, requests}, THEN a ThreadTracker (declared
  //     after the context, it is destroyed first, and its destructor waits for the threads
  //     that still use the context).
  //   - Loop: channel.doorbell.wait(); then if channel.stopping.load() is set, break: the
  //     server has no requests left for us (it sets the flag, then rings once more).
  //   - Otherwise make a std::make_unique<RequestJob>(RequestJob{context, threads.enter()})
  //     and startDetachedThread(job, kRequestStackBytes) (detached_thread.hpp: a thread with
  //     a small stack that owns the job). If that fails, serve it in this thread ((*job)()):
  //     slower, but the client gets a reply.
  //   - The request thread reads the record (serveOneRequest), not this loop; and never wait
  //     for a request thread here: the next ring must be picked up at once.
  //   - After the loop: threads.waitUntilIdle(a few seconds), return 0.
  notImplemented(4, "runSemaphoreChild in semaphore_child.cpp");
}

}  // namespace mc
