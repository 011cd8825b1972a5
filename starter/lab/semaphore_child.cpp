/// @file semaphore_child.cpp
/// @brief A stage 4 service child: a doorbell loop and a thread per request.
/// Runs in: a service child process.
/// Owns: its request threads (detached, counted by a ThreadTracker).
///
/// Your version (lab 4). Two locks, never held together:
///   read_mutex   one thread at a time reads from the request pipe, so that
///                each takes one whole record (a read may return less than
///                asked; readExactly's second read must not interleave with
///                another thread's);
///   state_mutex  one request at a time touches the service's state
///                (ServiceState is not thread-safe; see inline_dispatcher.cpp
///                for why a deposit needs a lock).
#include "semaphore_child.hpp"

#include <pthread.h>

#include <memory>
#include <mutex>
#include <string>

#include "log.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "thread_tracker.hpp"
#include "todo.hpp"

namespace mc {

namespace {

/// What every request thread of this child shares.
struct ChildContext {
  ServiceState& state;
  ServiceChannel& channel;
  const Fd& requests;
  std::mutex read_mutex;   // guards reading from requests
  std::mutex state_mutex;  // guards state
};

// Runs one record against the service, under state_mutex. A record that does
// not unpack is answered BAD_REQUEST (its request_id still comes back).
// ([[maybe_unused]]: until your serveOneRequest calls it.)
[[maybe_unused]] Reply runRecord(ChildContext& context, const RequestRecord& record) {
  const std::optional<Request> request = unpackRequest(record);
  if (!request) {
    Request echo;
    echo.request_id = record.request_id;
    return makeReply(echo, Status::kBadRequest, "corrupt request record", context.state.service());
  }
  std::scoped_lock lock(context.state_mutex);
  return context.state.handle(*request);
}

// One request, start to finish, in its own thread. The ticket tells the
// child's ThreadTracker when this thread has ended (when it is destroyed).
void serveOneRequest([[maybe_unused]] ChildContext& context, [[maybe_unused]] ThreadTracker::Ticket ticket) {
  // TODO(lab4): take ONE record off the pipe and answer it in the slot it names.
  //   - Under a std::scoped_lock on context.read_mutex (and nothing else): readExactly one
  //     RequestRecord from context.requests. Let the lock go right after the read.
  //   - Not kOk: the doorbell rang without a record (a protocol bug): logError and return.
  //   - record.slot >= kSlotsPerService: there is no slot to answer in; logError, return.
  //     Never index channel.slots with a number you have not checked.
  //   - ReplySlot& slot = context.channel.slots[record.slot];
  //     slot.reply = packReply(runRecord(context, record)); THEN slot.feedback.post().
  //     The order matters: the post tells the waiting server thread the reply is there.
  notImplemented(4, "serveOneRequest in semaphore_child.cpp");
}

// A request thread's stack. glibc gives each thread 8 MiB and keeps only
// about 40 MiB of finished threads' stacks for reuse: with more than a few
// requests in flight every new thread mmaps a fresh stack and faults its pages
// in. A request needs far less (SQLite's deepest statements stay under
// 64 KiB), and 256 KiB stacks stay cached for every slot of the service.
constexpr std::size_t kRequestStackBytes = 256 * 1024;

/// What a request thread is handed: its context and its ticket.
struct RequestJob {
  ChildContext& context;
  ThreadTracker::Ticket ticket;
};

void* runRequestJob(void* raw) {
  std::unique_ptr<RequestJob> job(static_cast<RequestJob*>(raw));
  serveOneRequest(job->context, std::move(job->ticket));
  return nullptr;
}

// Starts a detached thread with a small stack for @p job (std::thread cannot
// set the stack size). @return false if no thread could be had; the job is
// then still the caller's. ([[maybe_unused]]: until runSemaphoreChild calls it.)
[[maybe_unused]] bool startRequestThread(std::unique_ptr<RequestJob>& job) {
  pthread_attr_t attributes;
  ::pthread_attr_init(&attributes);
  ::pthread_attr_setstacksize(&attributes, kRequestStackBytes);
  ::pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  const int error = ::pthread_create(&thread, &attributes, runRequestJob, job.get());
  ::pthread_attr_destroy(&attributes);
  if (error != 0) return false;
  job.release();  // the thread owns it now
  return true;
}

}  // namespace

int runSemaphoreChild([[maybe_unused]] ServiceState& state, [[maybe_unused]] ServiceChannel& channel,
                      [[maybe_unused]] const Fd& requests) {
  // TODO(lab4): the doorbell loop. One ring = one record in the pipe = one request thread.
  //   - Make a ChildContext{state, channel, requests, {}, {}}, THEN a ThreadTracker (declared
  //     after the context, it is destroyed first, and its destructor waits for the threads
  //     that still use the context).
  //   - Loop: channel.doorbell.wait(); then if channel.stopping.load() is set, break: the
  //     server has no requests left for us (it sets the flag, then rings once more).
  //   - Otherwise make a std::make_unique<RequestJob>(RequestJob{context, threads.enter()})
  //     and startRequestThread(job). If that fails, serve it in this thread
  //     (serveOneRequest(context, std::move(job->ticket))): slower, but the client gets a reply.
  //   - The request thread reads the record (serveOneRequest), not this loop; and never wait
  //     for a request thread here: the next ring must be picked up at once.
  //   - After the loop: threads.waitUntilIdle(a few seconds), return 0.
  notImplemented(4, "runSemaphoreChild in semaphore_child.cpp");
}

}  // namespace mc
