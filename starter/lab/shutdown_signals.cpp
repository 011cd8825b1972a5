/// @file shutdown_signals.cpp
/// @brief Signal handlers that write into pipes.
/// Runs in: the server (the handlers run in whichever thread the kernel picks).
/// Owns: two pipes and the process's handlers for SIGINT, SIGTERM and SIGCHLD.
///
/// Your version (lab 5). The pipes are made for you (and their write ends are
/// non-blocking, so a handler can never block on a full pipe). Until you
/// install the handlers, SIGTERM and SIGINT simply kill the server (their
/// default action), SIGCHLD is never noticed, and SIGPIPE kills the server the
/// first time it writes to the pipe of a child that has died.
///
/// A signal handler interrupts a thread anywhere, possibly in the middle of
/// malloc or while it holds the logger's mutex. So a handler may call only
/// async-signal-safe functions (signal-safety(7)): write(2) is one; malloc,
/// std::string, printf, mutexes and our logger are not.
#include "shutdown_signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "todo.hpp"

namespace mc {

namespace {

// The handlers can only reach the pipes through globals. -1 when no
// ShutdownSignals exists.
std::atomic<int> g_stop_write{-1};
std::atomic<int> g_child_write{-1};

// TODO(lab5): write here, in this anonymous namespace:
//   - poke(const std::atomic<int>& fd): save errno, load fd; if >= 0, ::write ONE byte to it
//     (raw write, not writeAll: robust_io may log); ignore a failure (EAGAIN: the pipe is full,
//     so it is readable already); restore errno. (The code the signal interrupted may be just
//     about to look at errno.)
//   - onStopSignal(int) pokes g_stop_write; onChildSignal(int) pokes g_child_write.
//   - install(signal_number, handler): ::sigaction with sa_handler = handler, an empty
//     sa_mask, and sa_flags = SA_RESTART (slow calls such as accept, read or sem_wait resume
//     after the handler instead of failing with EINTR where nobody expects it), plus
//     SA_NOCLDSTOP for SIGCHLD (stopped children are not our business). Failure: throwErrno.

}  // namespace

ShutdownSignals::ShutdownSignals() : stop_{makePipe()}, child_{makePipe()} {
  setNonBlocking(stop_.write_end);
  setNonBlocking(child_.write_end);
  setNonBlocking(child_.read_end);  // drainChildEvents reads until empty
  g_stop_write.store(stop_.write_end.get());
  g_child_write.store(child_.write_end.get());
  // TODO(lab5): now that the globals point at the pipes, install the handlers:
  //   - ::signal(SIGPIPE, SIG_IGN): a write to a pipe (or socket) whose reader is gone must
  //     fail with EPIPE, not kill the server. MSG_NOSIGNAL (lab 1) covers sockets only;
  //     the pipe of a dead service child has no such flag.
  //   - install(SIGINT, onStopSignal), install(SIGTERM, onStopSignal),
  //     install(SIGCHLD, onChildSignal).
  //   This runs after the service children were forked (they must not inherit the handlers)
  //   and before "listening on" is printed (a SIGTERM sent right then must find them).
}

ShutdownSignals::~ShutdownSignals() {
  // TODO(lab5): restore the default action (::signal(..., SIG_DFL)) of SIGINT, SIGTERM and
  //   SIGCHLD BEFORE the globals go back to -1 and the pipes close: a handler must never
  //   write to a descriptor number that may already belong to something else.
  g_stop_write.store(-1);
  g_child_write.store(-1);
}

void ShutdownSignals::requestStop() {
  // TODO(lab5): do exactly what a SIGTERM would: poke the stop pipe. Nobody ever reads
  //   that byte, so the pipe stays readable for every thread that polls it, now and later.
  notImplemented(5, "ShutdownSignals::requestStop in shutdown_signals.cpp");
}

void ShutdownSignals::drainChildEvents() {
  // TODO(lab5): ::read the child pipe's read end into a small buffer until read returns
  //   <= 0 (the read end is non-blocking: -1 with EAGAIN means "empty"). One byte may stand
  //   for several exited children (signals of one kind do not queue), so the caller then
  //   reaps EVERY child that has exited, not just one. Forget to drain and the pipe stays
  //   readable: poll returns at once, again and again, and the main loop spins.
  notImplemented(5, "ShutdownSignals::drainChildEvents in shutdown_signals.cpp");
}

}  // namespace mc
