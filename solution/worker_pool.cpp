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
/// A worker serves a record with the same two halves as a stage 4 request
/// thread, takeRecord() and answerRecord() (semaphore_child.hpp), so the
/// locking is the same: read_mutex for the pipe, state_mutex for the state,
/// never held together.
#include "worker_pool.hpp"

#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "log.hpp"
#include "semaphore_child.hpp"
#include "trace.hpp"

namespace mc {

namespace {

// Takes one record off the pipe and answers it in its slot.
// @return false when the pipe is broken: this worker should stop.
bool serveOneRecord(ChildContext& pool) {
  RequestRecord record;
  if (!takeRecord(pool, record)) return false;
  traceHop(Hop::kChildWake, record.trace_id);
  answerRecord(pool, record);
  return true;
}

// One worker's whole life: a ring, a request, again, until told to stop.
void work(ChildContext& pool) {
  for (;;) {
    pool.channel.doorbell.wait();
    if (pool.channel.stopping.load()) break;
    if (!serveOneRecord(pool)) break;
  }
  pool.channel.doorbell.post();  // pass the stop on: wake the next worker
}

}  // namespace

int runWorkerPool(ServiceState& state, ServiceChannel& channel, const Fd& requests, int workers) {
  ChildContext pool{state, channel, requests, {}, {}};
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
