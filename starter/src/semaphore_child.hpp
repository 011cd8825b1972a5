/// @file semaphore_child.hpp
/// @brief Stage 4, in the service child: wait on the doorbell; for each ring,
/// a thread that reads one request from the pipe, runs it, puts the reply in
/// the request's slot and posts that slot's feedback semaphore.
/// Runs in: a service child. Owns: its request threads (counted, detached).
#pragma once

#include "fd.hpp"
#include "reply_slots.hpp"
#include "service_state.hpp"

namespace mc {

/// @brief The child's main loop; returns (0) once the server has set
/// channel.stopping and rung the doorbell, after every request thread ended.
int runSemaphoreChild(ServiceState& state, ServiceChannel& channel, const Fd& requests);

}  // namespace mc
