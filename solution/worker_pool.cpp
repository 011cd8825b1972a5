/// @file worker_pool.cpp
/// @brief Lab 6 (optional): a service child with a fixed pool of workers,
/// each serving every request waiting for it as one group commit.
/// Runs in: a service child process.
/// Owns: the worker threads (std::jthread: joined when the vector goes).
///
///   server                          child: N workers, all in doorbell.wait()
///   write record, post doorbell ──► one worker wakes, and takes the other
///                                   rings waiting too (k in all):
///                                     read k records        (under read_mutex)
///                                     run them, ONE commit  (under state_mutex)
///                                     slots[s].reply = each reply
///   wait slots[s].feedback ◄──────── post each slot's feedback; wait again
///
/// Compared with semaphore_child.cpp the doorbell is the work queue: its count
/// is the number of records in the pipe nobody has taken yet, and each post
/// wakes at most one sleeping worker. No thread is started per request.
///
/// Why batches: a request's own work is a few microseconds of SQLite, but its
/// COMMIT appends the pages it changed to the log (two writes a page) and a
/// worker's wake-up costs a context switch. Under load many records wait in
/// the pipe by the time a worker wakes; taking them all at once, reading them
/// in one read and committing them in one transaction pays those costs once
/// per batch instead of once per request. No reply leaves before the batch's
/// COMMIT returned, so every acknowledged change is in the log (group commit).
/// With no load a batch is one record: nobody waits for a batch to fill.
///
/// Stopping: the server sets channel.stopping and posts the doorbell ONCE, so
/// only one worker wakes to see the flag. That worker posts the doorbell again
/// before it leaves, which wakes the next one, and so on down the pool: every
/// worker sees the flag and the last post is simply left over.
///
/// The locking is lab 4's: read_mutex for the pipe, state_mutex for the
/// state, never held together.
#include "worker_pool.hpp"

#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "log.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "semaphore_child.hpp"
#include "trace.hpp"

namespace mc {

namespace {

// The most records one batch takes: every request in flight to this service
// (one slot each) at once. 64 records of 280 bytes: one read from the pipe.
constexpr std::size_t kMostPerBatch = kSlotsPerService;

// The doorbell woke us for one record; takes the rings of the others already
// waiting as well, without blocking. @return how many records to read.
std::size_t takeWaitingRings(Semaphore& doorbell) {
  std::size_t rings = 1;
  while (rings < kMostPerBatch && doorbell.tryWait()) ++rings;
  return rings;
}

// Reads @p count whole records off the pipe in one go: the server wrote each
// before it rang, so they are all there.
// @return false when the pipe is broken: this worker should stop.
bool takeRecords(ChildContext& pool, std::size_t count, std::vector<RequestRecord>& batch) {
  batch.resize(count);
  IoStatus io;
  {
    std::scoped_lock lock(pool.read_mutex);
    io = readExactly(pool.requests, batch.data(), count * sizeof(RequestRecord));
  }
  if (io == IoStatus::kOk) {
    for (const RequestRecord& record : batch) traceHop(Hop::kChildWake, record.trace_id);
    return true;
  }
  logError(std::string(serviceName(pool.state.service())), std::string("request pipe: ") + ioStatusName(io));
  return false;
}

// One worker's whole life: a ring, the batch waiting, again, until told to stop.
void work(ChildContext& pool) {
  std::vector<RequestRecord> batch;  // reused: no allocation per batch
  batch.reserve(kMostPerBatch);
  for (;;) {
    pool.channel.doorbell.wait();
    const std::size_t rings = takeWaitingRings(pool.channel.doorbell);
    // Set only once no request is in flight: then the pipe is empty and
    // every ring we took is the stop ring.
    if (pool.channel.stopping.load()) break;
    if (!takeRecords(pool, rings, batch)) break;
    answerRecords(pool, batch);
  }
  pool.channel.doorbell.post();  // pass the stop on: wake the next worker
}

}  // namespace

int runWorkerPool(ServiceState& state, ServiceChannel& channel, const Fd& requests, int workers) {
  ChildContext pool{state, channel, requests};
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
