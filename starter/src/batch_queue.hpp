/// @file batch_queue.hpp
/// @brief BatchQueue: stage 4's group commit. The request threads of one
/// service child hand their records to whichever of them is serving, so the
/// records that arrive together are run together, in one transaction.
/// Runs in: a stage 4 service child (its request threads).
/// Owns: the records waiting for the next batch.
///
/// Why: each request's COMMIT appends the pages it changed to the log, and
/// under load a dozen request threads of one service would queue on
/// state_mutex, every hand-over a sleep and a wake-up (a lock convoy). With a
/// BatchQueue no request thread waits for another's request. Each one:
///
///   if (queue.leave(record)) {            // nobody was serving: we serve
///     while (queue.take(batch)) run the batch, post its feedbacks;
///   }                                     // else the server runs ours too
///
/// Why no record is ever stranded: leave() and take() look at the list and
/// at "someone is serving" under one mutex, and take() stops serving only when
/// it finds the list empty. A record left after that finds nobody serving,
/// so its own thread serves it.
#pragma once

#include <mutex>
#include <vector>

#include "records.hpp"

namespace mc {

/// Records taken off the pipe, waiting to be run in the next batch. Thread-safe.
class BatchQueue {
 public:
  /// @brief Puts @p record on the list.
  /// @return true if the caller is now the one serving (nobody was): it must
  /// call take() until that returns false. false: the thread serving now
  /// will run @p record; the caller has nothing more to do.
  bool leave(const RequestRecord& record);

  /// @brief Moves every waiting record into @p batch (replacing its contents).
  /// For the serving thread only.
  /// @return false when none was waiting: the caller has stopped serving, and
  /// the next leave() makes its caller the server.
  bool take(std::vector<RequestRecord>& batch);

 private:
  std::mutex mutex_;
  std::vector<RequestRecord> waiting_;  // guarded by mutex_
  bool serving_ = false;                // guarded by mutex_
};

}  // namespace mc
