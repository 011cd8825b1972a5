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
  // TODO(lab6): follow the README's steps; write the helpers above this function.
  //   1. The context every worker shares is lab 4's ChildContext (semaphore_child.hpp):
  //      ChildContext pool{state, channel, requests}.
  //   2. takeWaitingRings: the doorbell woke you for one record; take the rings of the others
  //      already waiting too, with doorbell.tryWait() (never blocks), up to kSlotsPerService.
  //   3. takeRecords: read that many whole records off the pipe in ONE readExactly, under
  //      read_mutex, into a std::vector<RequestRecord> each worker keeps (resize it). Anything
  //      but kOk means the pipe is broken: log it (ioStatusName) and that worker stops.
  //   4. Then answerRecords(pool, batch), your lab 4 function: one commit for the batch.
  //   5. A worker's loop: doorbell.wait(); take the waiting rings; stopping set: leave; else
  //      read and answer the batch. The server rings ONCE to stop N workers: a worker that
  //      leaves must post the doorbell again for the next one. Write the comment that says why.
  //   6. Here: start `workers` std::jthreads in a vector declared after the context (a failed
  //      start throws std::system_error: log it and keep the ones you have); return 1 if none
  //      started, else 0 (the jthreads join when the vector goes out of scope).
  notImplemented(6, "runWorkerPool in worker_pool.cpp");
}

}  // namespace mc
