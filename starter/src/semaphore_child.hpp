/// @file semaphore_child.hpp
/// @brief Stage 4, in the service child: wait on the doorbell; for each ring,
/// a thread that reads one request from the pipe and has it run, in a batch
/// with the others waiting; each reply goes in its request's slot, then that
/// slot's feedback is posted.
/// Runs in: a service child. Owns: its request threads (counted, detached).
///
/// takeRecord() and answerRecord() are the two halves of serving one request;
/// answerRecords() runs a batch, and the thread pool of lab 6
/// (worker_pool.hpp) uses it too.
#pragma once

#include <mutex>
#include <span>
#include <vector>

#include "batch_queue.hpp"
#include "fd.hpp"
#include "records.hpp"
#include "reply_slots.hpp"
#include "service_state.hpp"

namespace mc {

/// What the request threads (or the pool's workers) of one service child
/// share. Two locks, never held together:
///   read_mutex   one thread at a time reads from the request pipe, so that
///                each takes one whole record (a read may return less than
///                asked; readExactly's second read must not interleave with
///                another thread's);
///   state_mutex  one request at a time touches the service's state
///                (ServiceState is not thread-safe; see inline_dispatcher.cpp
///                for why a deposit needs a lock).
///
/// Stage 4's request threads also share a BatchQueue (batch_queue.hpp): the
/// records waiting to be run together in the next group commit.
struct ChildContext {
  /// @brief The context of one child: its service, its channel, its pipe.
  ChildContext(ServiceState& state_, ServiceChannel& channel_, const Fd& requests_)
      : state{state_}, channel{channel_}, requests{requests_} {}
  ChildContext(const ChildContext&) = delete;
  ChildContext& operator=(const ChildContext&) = delete;

  ServiceState& state;     ///< the service; guarded by state_mutex
  ServiceChannel& channel;  ///< shared with the server: doorbell, stopping, slots
  const Fd& requests;      ///< the request pipe's read end; guarded by read_mutex
  std::mutex read_mutex;   ///< guards reading from requests
  std::mutex state_mutex;  ///< guards state
  BatchQueue batches;      ///< stage 4: records waiting for the next batch (thread-safe)
};

/// @brief Takes one whole record off the request pipe, holding read_mutex for
/// the read only.
/// @return false (and logs why) when no whole record came: the pipe is at EOF
/// or broken, which means the server broke the protocol (a ring without a
/// record) or is gone.
/// Thread safety: thread-safe (that is what read_mutex is for).
bool takeRecord(ChildContext& context, RequestRecord& record);

/// @brief Runs @p records on the service's state as one group commit
/// (ServiceState::handleAll) and returns a reply for each, in order; a record
/// that does not unpack is answered BAD_REQUEST (its request_id still comes
/// back). The batch is durable when this returns, so the replies may go out.
/// The caller holds state_mutex. Given (run_record.cpp); answerRecords calls it.
std::vector<Reply> runRecords(ChildContext& context, std::span<const RequestRecord> records);

/// @brief Answers @p records as one batch: runs them on the state as one
/// group commit (runRecords, under state_mutex), then writes each packed
/// reply into the slot its record names and posts that slot's feedback, in
/// that order, so each waiting connection thread finds its reply in place and
/// only after it is durable. A record naming no slot is logged and dropped.
/// Thread safety: thread-safe; never holds read_mutex.
void answerRecords(ChildContext& context, std::span<const RequestRecord> records);

/// @brief Has @p record answered, in a batch with whatever other request
/// threads have taken meanwhile: leaves it in context.batches and, if that
/// makes this thread the one serving, answers batches (answerRecords) until
/// none is waiting. So no request thread ever waits for another's request:
/// it serves, or leaves its record to the thread that does.
/// Thread safety: thread-safe; never holds read_mutex.
void answerRecord(ChildContext& context, const RequestRecord& record);

/// @brief The child's main loop; returns (0) once the server has set
/// channel.stopping and rung the doorbell, after every request thread ended.
int runSemaphoreChild(ServiceState& state, ServiceChannel& channel, const Fd& requests);

}  // namespace mc
