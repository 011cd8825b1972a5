/// @file worker_pool.hpp
/// @brief Lab 6 (optional): a stage 4 service child that keeps a fixed pool
/// of worker threads instead of starting a thread per request.
/// Runs in: a service child. Owns: its worker threads (joined before it returns).
///
/// Each worker waits on the child's doorbell itself; whichever worker the
/// kernel wakes takes every ring waiting, reads that many records from the
/// request pipe (up to a batch), runs them as one group commit and answers
/// each in its record's reply slot (answerRecords, which a stage 4 request
/// thread uses too: semaphore_child.hpp), then waits again. The
/// per-request cost of starting and ending a thread (clone, a stack, exit) is
/// gone; see labs/06-thread-pool/README.md and docs/performance.md.
#pragma once

#include "fd.hpp"
#include "reply_slots.hpp"
#include "service_state.hpp"

namespace mc {

/// Largest pool a child accepts (cabinetd --pool 0..256).
inline constexpr int kMaxPoolWorkers = 256;

/// @brief The pool-mode child loop: starts @p workers threads (1..kMaxPoolWorkers)
/// that serve requests until the server sets channel.stopping and rings the
/// doorbell, then joins them all.
/// @return 0 after every worker ended; 1 if not a single worker could be started.
int runWorkerPool(ServiceState& state, ServiceChannel& channel, const Fd& requests, int workers);

}  // namespace mc
