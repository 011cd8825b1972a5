/// @file trace.cpp
/// @brief Writing trace events, one write(2) per event.
/// Runs in: the server and the service children.
///
/// The file is a JSON array: "[\n", then one event per line, each ending in
/// ",\n", and at the end a last event and "]". Each hop becomes two events at
/// the same instant: a slice ("ph":"X") that names the hop, and a flow event
/// ("s" for the first hop, "t" for the middle ones, "f" for the reply) with the
/// request's trace id, which the viewer joins into arrows.
#include "trace.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "fd.hpp"
#include "protocol.hpp"

namespace mc {

namespace detail {
std::atomic<bool> g_tracing{false};
}  // namespace detail

namespace {

std::atomic<int> g_trace_fd{-1};
std::atomic<std::uint64_t> g_next_trace_id{1};

// The raw write is deliberate: robust_io is lab code and may be unfinished in
// a student's tree; an O_APPEND write of one short line is whole or nothing.
void appendLine(const char* text, std::size_t length) {
  const int fd = g_trace_fd.load(std::memory_order_relaxed);
  if (fd >= 0 && ::write(fd, text, length) < 0) {
    // A trace that cannot be written must not break the server: drop it.
  }
}

const char* flowPhase(Hop hop) {
  if (hop == Hop::kRead) return "s";
  if (hop == Hop::kReply) return "f";
  return "t";
}

}  // namespace

const char* hopName(Hop hop) {
  switch (hop) {
    case Hop::kRead: return "read";
    case Hop::kRoute: return "route";
    case Hop::kSlot: return "slot";
    case Hop::kPipeWrite: return "pipe write";
    case Hop::kDoorbell: return "sem_post doorbell";
    case Hop::kChildWake: return "child wake";
    case Hop::kThreadStart: return "thread start";
    case Hop::kWork: return "work";
    case Hop::kFeedback: return "feedback";
    case Hop::kFeedbackWake: return "feedback wake";
    case Hop::kReply: return "reply";
  }
  return "?";
}

void startTrace(const std::string& path) {
  Fd file{::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644)};
  if (!file) throwErrno("open trace file");
  g_trace_fd.store(file.release());
  appendLine("[\n", 2);
  detail::g_tracing.store(true);
}

void stopTrace() {
  if (!detail::g_tracing.exchange(false)) return;
  char line[160];
  const int length = std::snprintf(line, sizeof line,
                                   "{\"name\":\"stopped\",\"ph\":\"i\",\"s\":\"p\",\"ts\":%lld,\"pid\":%d,\"tid\":%u}\n]\n",
                                   static_cast<long long>(traceClock()), static_cast<int>(::getpid()), currentTid());
  appendLine(line, static_cast<std::size_t>(length));
  ::close(g_trace_fd.exchange(-1));
}

int traceDescriptor() { return g_trace_fd.load(); }

std::uint64_t newTraceId() { return g_next_trace_id.fetch_add(1, std::memory_order_relaxed); }

std::int64_t traceClock() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1'000;
}

namespace detail {

void writeHop(Hop hop, std::uint64_t trace_id, std::int64_t start_us, std::int64_t duration_us,
              std::uint32_t tid_or_0) {
  char line[512];
  const int pid = static_cast<int>(::getpid());
  const unsigned tid = tid_or_0 != 0 ? tid_or_0 : currentTid();
  const long long ts = static_cast<long long>(start_us);
  // The flow event sits at the slice's start so the viewer binds it to it.
  const int length = std::snprintf(
      line, sizeof line,
      "{\"name\":\"%s\",\"cat\":\"hop\",\"ph\":\"X\",\"ts\":%lld,\"dur\":%lld,\"pid\":%d,\"tid\":%u,"
      "\"args\":{\"request\":%llu}},\n"
      "{\"name\":\"request\",\"cat\":\"request\",\"ph\":\"%s\",\"bp\":\"e\",\"id\":%llu,\"ts\":%lld,"
      "\"pid\":%d,\"tid\":%u},\n",
      hopName(hop), ts, static_cast<long long>(duration_us > 0 ? duration_us : 1), pid, tid,
      static_cast<unsigned long long>(trace_id), flowPhase(hop), static_cast<unsigned long long>(trace_id), ts, pid,
      tid);
  if (length > 0) appendLine(line, static_cast<std::size_t>(length));
}

void writeMark(const char* name) {
  char line[200];
  const int length = std::snprintf(line, sizeof line,
                                   "{\"name\":\"%s\",\"cat\":\"connection\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%lld,"
                                   "\"pid\":%d,\"tid\":%u},\n",
                                   name, static_cast<long long>(traceClock()), static_cast<int>(::getpid()),
                                   currentTid());
  if (length > 0) appendLine(line, static_cast<std::size_t>(length));
}

}  // namespace detail

}  // namespace mc
