/// @file trace.hpp
/// @brief Request traces: every hop of every request, as Chrome trace-event
/// JSON that Perfetto (ui.perfetto.dev) and chrome://tracing open.
/// Runs in: the server and its service children (one shared file).
/// Owns: the trace file's descriptor, once startTrace() opened it.
///
/// `cabinetd --trace FILE` calls startTrace() before forking, so the children
/// inherit the descriptor and append to the same file. Each event is one
/// write(2) to a file opened with O_APPEND: the kernel appends each write whole,
/// so lines from different processes never mix. Every hop of one request
/// carries the request's trace id, and the viewer draws flow arrows along it,
/// across threads and processes.
///
/// Off (the default), traceHop() is one relaxed atomic load and a branch.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace mc {

/// The hops of a request, in the order they happen (stage 4 uses them all).
enum class Hop : std::uint8_t {
  kRead,         ///< connection thread: a whole request frame has been read
  kRoute,        ///< connection thread: sorted by command code, sent to its service
  kSlot,         ///< connection thread: got a reply slot (stage 4)
  kPipeWrite,    ///< connection thread: the record is in the service's pipe
  kDoorbell,     ///< connection thread: posted the service's doorbell (stage 4)
  kChildWake,    ///< service child: woke up on the doorbell / read the pipe
  kThreadStart,  ///< service child: the request's thread runs (stage 4)
  kWork,         ///< the service ran the request (a slice with its duration)
  kFeedback,     ///< service child: reply in the slot, feedback posted / reply written
  kFeedbackWake, ///< connection thread: woke on its feedback / read the reply
  kReply,        ///< connection thread: the reply frame is sent
};

/// @brief "read", "route", ... as shown in the trace.
const char* hopName(Hop hop);

/// @brief Starts writing the trace to @p path (truncated). Call once, in the
/// server, before forking the children. @throws std::system_error.
void startTrace(const std::string& path);
/// @brief Closes the JSON array and the file. Call once, in the server, after
/// the children are gone.
void stopTrace();

/// @brief The trace file's descriptor, or -1 when not tracing: a service
/// child keeps it open (service_child.cpp closes every other inherited one).
int traceDescriptor();

/// @brief A new trace id, unique within this server run. Thread-safe.
std::uint64_t newTraceId();

/// Microseconds on the trace's clock (CLOCK_MONOTONIC, shared by all processes).
std::int64_t traceClock();

namespace detail {
extern std::atomic<bool> g_tracing;
void writeHop(Hop hop, std::uint64_t trace_id, std::int64_t start_us, std::int64_t duration_us,
              std::uint32_t tid);
void writeMark(const char* name);
}  // namespace detail

/// @brief Records that request @p trace_id passed @p hop now, in this thread.
/// Call it BEFORE the step that lets another thread or process go on (a
/// write, a post): then the trace's order is the causal order.
/// Thread-safe, async-signal-unsafe; costs nothing measurable when tracing is off.
inline void traceHop(Hop hop, std::uint64_t trace_id) {
  if (trace_id != 0 && detail::g_tracing.load(std::memory_order_relaxed))
    detail::writeHop(hop, trace_id, traceClock(), 0, 0);
}

/// @brief Records a hop that began at @p start_us (from traceClock()) and
/// ends now, drawn as a slice with its duration (the service's work).
inline void traceSpan(Hop hop, std::uint64_t trace_id, std::int64_t start_us) {
  if (trace_id != 0 && detail::g_tracing.load(std::memory_order_relaxed))
    detail::writeHop(hop, trace_id, start_us, traceClock() - start_us, 0);
}

/// @brief Records a hop noticed only later, by another thread: it happened at
/// @p at_us in thread @p tid (a child's main thread woke on the doorbell, but
/// only the request's thread, after reading the pipe, knows which request).
inline void traceEarlierHop(Hop hop, std::uint64_t trace_id, std::int64_t at_us, std::uint32_t tid) {
  if (trace_id != 0 && detail::g_tracing.load(std::memory_order_relaxed))
    detail::writeHop(hop, trace_id, at_us, 0, tid);
}

/// @brief An event that belongs to no request yet (a new connection).
inline void traceMark(const char* name) {
  if (detail::g_tracing.load(std::memory_order_relaxed)) detail::writeMark(name);
}

/// @brief True while tracing (to skip taking a start time when off).
inline bool tracing() { return detail::g_tracing.load(std::memory_order_relaxed); }

}  // namespace mc
