/// @file service_child.cpp
/// @brief Starting a service child: the server's step before fork(), the
/// child's first steps after it; and the stage 3 child's loop.
/// Runs in: the server (ignoreSigpipe) and a service child (the rest).
/// spawnServiceChild (spawn_service.cpp) calls ignoreSigpipe before it forks
/// and the next two functions here in the child.
#include "service_child.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fd.hpp"
#include "log.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "trace.hpp"

namespace mc {

// A write to a pipe that nobody reads any more raises SIGPIPE, whose default
// action kills the writer. The server writes each request into its child's
// pipe, and a child can die at any moment (kill -9, a crash): ignored, the
// signal becomes EPIPE from write, writeAll returns false, and the dispatcher
// answers UNAVAILABLE. Sockets need no such help: robust_io sends with
// MSG_NOSIGNAL, a flag that pipes do not have.
void ignoreSigpipe() { ::signal(SIGPIPE, SIG_IGN); }

// Closes every descriptor from 3 up except those in @p keep.
//
// Why: fork() copies every open descriptor. If the parcel child kept a copy
// of the food child's request pipe write end, the food child would never see
// end of file on that pipe, even after the server closed its own copy. Every
// unneeded copy is a pipe that cannot be closed and a socket that stays open.
void keepOnlyDescriptors(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned first = 3;
  for (int fd : keep) {
    if (fd < 3) continue;
    if (static_cast<unsigned>(fd) > first) closeDescriptors(first, static_cast<unsigned>(fd) - 1);
    first = static_cast<unsigned>(fd) + 1;
  }
  closeDescriptors(first, ~0U);
}

// The child should not outlive the server. If the server is killed, the kernel
// sends us SIGKILL. Checked once more afterwards, in case the server died
// before the prctl call took effect.
void dieWithParent(pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);
}

int runPipeChild(ServiceState& state, const Fd& requests, const Fd& replies) {
  const std::string who{serviceName(state.service())};
  for (;;) {
    RequestRecord record;
    const IoStatus io = readExactly(requests, &record, sizeof record);
    if (io == IoStatus::kClosed) return 0;  // the server closed its end: stop
    if (io != IoStatus::kOk) {
      logError(who, std::string("request pipe: ") + ioStatusName(io));
      return 1;
    }
    traceHop(Hop::kChildWake, record.trace_id);
    const std::int64_t started = tracing() ? traceClock() : 0;
    const std::optional<Request> request = unpackRequest(record);
    const Reply reply = request ? state.handle(*request)
                                : refuseCorruptRequest(record, state.service());
    traceSpan(Hop::kWork, record.trace_id, started);
    const ReplyRecord packed = packReply(reply);
    traceHop(Hop::kFeedback, record.trace_id);
    if (!writeAll(replies, &packed, sizeof packed)) return 1;  // the server is gone
  }
}

}  // namespace mc
