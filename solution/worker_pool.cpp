/// @file worker_pool.cpp
/// @brief Lab 6 (optional): a service child with a fixed pool of workers.
/// Runs in: a service child process.
/// Owns: the worker threads (std::jthread: joined when the vector goes).
///
///   server                          child: N workers, all in doorbell.wait()
///   write record, post doorbell ──► one worker wakes:
///                                     read one record     (under read_mutex)
///                                     run it              (under state_mutex)
///                                     slots[s].reply = the reply
///   wait slots[s].feedback ◄──────── post slots[s].feedback; wait again
///
/// Compared with semaphore_child.cpp the doorbell is the work queue: its count
/// is the number of records in the pipe nobody has taken yet, and each post
/// wakes at most one sleeping worker. No thread is started per request.
///
/// Stopping: the server sets channel.stopping and posts the doorbell ONCE, so
/// only one worker wakes to see the flag. That worker posts the doorbell again
/// before it leaves, which wakes the next one, and so on down the pool: every
/// worker sees the flag and the last post is simply left over.
///
/// Locks, never held together (as in semaphore_child.cpp):
///   read_mutex   one worker at a time reads from the pipe, so each takes one
///                whole record;
///   state_mutex  one request at a time touches the ServiceState.
#include "worker_pool.hpp"

#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "log.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "trace.hpp"

namespace mc {

namespace {

/// What every worker of this child shares.
struct PoolContext {
  ServiceState& state;
  ServiceChannel& channel;
  const Fd& requests;
  std::mutex read_mutex;   // guards reading from requests
  std::mutex state_mutex;  // guards state
};

Reply runRecord(PoolContext& pool, const RequestRecord& record) {
  const std::optional<Request> request = unpackRequest(record);
  if (!request) {
    Request echo;
    echo.request_id = record.request_id;
    return makeReply(echo, Status::kBadRequest, "corrupt request record", pool.state.service());
  }
  std::scoped_lock lock(pool.state_mutex);
  return pool.state.handle(*request);
}

// Takes one record off the pipe and answers it in its slot.
// @return false when the pipe is broken: this worker should stop.
bool serveOneRecord(PoolContext& pool) {
  RequestRecord record;
  IoStatus io;
  {
    std::scoped_lock lock(pool.read_mutex);
    io = readExactly(pool.requests, &record, sizeof record);
  }
  const std::string who{serviceName(pool.state.service())};
  if (io != IoStatus::kOk) {  // a ring without a record: the server broke the protocol
    logError(who, std::string("request pipe: ") + ioStatusName(io));
    return false;
  }
  if (record.slot >= kSlotsPerService) {  // no slot to answer in: drop it
    logError(who, "request names slot " + std::to_string(record.slot) + ", which does not exist");
    return true;
  }
  traceHop(Hop::kChildWake, record.trace_id);
  ReplySlot& slot = pool.channel.slots[record.slot];
  const std::int64_t started = tracing() ? traceClock() : 0;
  slot.reply = packReply(runRecord(pool, record));
  traceSpan(Hop::kWork, record.trace_id, started);
  traceHop(Hop::kFeedback, record.trace_id);
  slot.feedback.post();  // the reply is in place: wake exactly its owner
  return true;
}

// One worker's whole life: a ring, a request, again, until told to stop.
void work(PoolContext& pool) {
  for (;;) {
    pool.channel.doorbell.wait();
    if (pool.channel.stopping.load()) break;
    if (!serveOneRecord(pool)) break;
  }
  pool.channel.doorbell.post();  // pass the stop on: wake the next worker
}

}  // namespace

int runWorkerPool(ServiceState& state, ServiceChannel& channel, const Fd& requests, int workers) {
  PoolContext pool{state, channel, requests, {}, {}};
  std::vector<std::jthread> threads;  // declared after pool: joined before it goes
  threads.reserve(static_cast<std::size_t>(workers));
  for (int i = 0; i < workers; ++i) {
    try {
      threads.emplace_back(work, std::ref(pool));
    } catch (const std::system_error& error) {
      // Fewer workers only means fewer requests served at once.
      logError(std::string(serviceName(state.service())),
               "started " + std::to_string(i) + " of " + std::to_string(workers) + " workers: " + error.what());
      break;
    }
  }
  return threads.empty() ? 1 : 0;  // the jthreads join here, once all have seen stopping
}

}  // namespace mc
