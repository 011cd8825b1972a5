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
/// Your version (lab 6, optional; labs/06-thread-pool/README.md). Compared
/// with semaphore_child.cpp the doorbell is the work queue: its count is the
/// number of records in the pipe nobody has taken yet, and each post wakes at
/// most one sleeping worker. No thread is started per request.
/// Only `cabinetd --pool N` (N > 0) runs this file.
#include "worker_pool.hpp"

#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "log.hpp"
#include "semaphore_child.hpp"
#include "todo.hpp"

namespace mc {

int runWorkerPool([[maybe_unused]] ServiceState& state, [[maybe_unused]] ServiceChannel& channel,
                  [[maybe_unused]] const Fd& requests, [[maybe_unused]] int workers) {
  // TODO(lab6): `workers` threads serve this child's requests until the server stops it;
  //   returns 0 once every one has ended, or 1 if none could be started (a failed start is
  //   logged, and the pool makes do with the ones it has). A worker woken by the doorbell
  //   takes every ring already waiting too, without ever blocking for more (at most
  //   kSlotsPerService), reads that many whole records and answers them in one commit with
  //   your lab 4 answerRecords. The server rings only ONCE to stop all N workers, and every
  //   one must leave: write the comment that says how. Write the helpers above this function.
  // Hints: labs/06-thread-pool/HINTS.md#runworkerpool
  notImplemented(6, "runWorkerPool in worker_pool.cpp");
}

}  // namespace mc
