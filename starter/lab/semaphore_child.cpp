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
  // TODO(lab4): true with one whole record from the request pipe in `record`; false, with
  //   the reason logged under the service's name, if none could be read (the doorbell rang
  //   without a record: a protocol bug, or the server is gone). No other thread's read may
  //   come between the bytes of one record, and no other lock is held while reading.
  // Hints: labs/04-semaphores/HINTS.md#takerecord
  notImplemented(4, "takeRecord in semaphore_child.cpp");
}

void answerRecords([[maybe_unused]] ChildContext& context,
                   [[maybe_unused]] std::span<const RequestRecord> records) {
  // TODO(lab4): every record of the batch answered in the slot it names, and its slot's
  //   feedback posted: a post tells the waiting server thread its reply is there already.
  //   The batch runs as one transaction (runRecords, given) with the child's one shared
  //   ServiceState to itself, and no reply goes out before that commit. A slot number came
  //   through a pipe: one that does not exist is logged and skipped, never used as an index.
  //   Safe to call from several threads at once (lab 6 does).
  // Hints: labs/04-semaphores/HINTS.md#answerrecords
  notImplemented(4, "answerRecords in semaphore_child.cpp");
}

void answerRecord([[maybe_unused]] ChildContext& context, [[maybe_unused]] const RequestRecord& record) {
  // TODO(lab4): `record` gets answered in a batch (context.batches; read batch_queue.hpp
  //   first): by this thread, or by the request thread serving the queue right now. A
  //   thread that becomes the server answers batches until the queue says none is waiting,
  //   so no record left in it meanwhile is ever stranded.
  // Hints: labs/04-semaphores/HINTS.md#answerrecord
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
  // TODO(lab4): the stage 4 child. One ring of the doorbell means one record in the pipe,
  //   and gets one request thread (RequestJob: it reads the record, not this loop), until
  //   the server sets `stopping` and rings once more. Returns 0 once the request threads
  //   have ended (waiting a few seconds at most). The loop never waits for a request
  //   thread: the next ring must be picked up at once. When no thread can be started, the
  //   request is served right here: slower, but answered. The threads use a context that
  //   must outlive every one of them.
  // Hints: labs/04-semaphores/HINTS.md#runsemaphorechild
  notImplemented(4, "runSemaphoreChild in semaphore_child.cpp");
}

}  // namespace mc
