/// @file shutdown_signals.cpp
/// @brief Signal handlers that write into pipes.
/// Runs in: the server (the handlers run in whichever thread the kernel picks).
/// Owns: two pipes and the process's handlers for SIGINT, SIGTERM and SIGCHLD.
///
/// Your version (lab 5). The pipes are made for you (and their write ends are
/// non-blocking, so a handler can never block on a full pipe). Until you
/// install the handlers, SIGTERM and SIGINT simply kill the server (their
/// default action) and SIGCHLD is never noticed. (SIGPIPE is not ours: lab 3's
/// ignoreSigpipe deals with it.)
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

// TODO(lab5): write here, in this anonymous namespace, the handlers (SIGINT and SIGTERM
//   poke the stop pipe, SIGCHLD the child pipe) and a helper that installs one. A handler
//   calls only async-signal-safe functions: it writes one byte to its pipe, if its global
//   is not -1, and nothing more; a full pipe is fine (it is readable already); and errno
//   is as it found it, since the code it interrupted may be about to read errno. Installed
//   handlers let interrupted slow calls restart, and stopped children raise no SIGCHLD.
//   An installation that fails throws.
// Hints: labs/05-shutdown-recovery/HINTS.md#the-signal-handlers

}  // namespace

ShutdownSignals::ShutdownSignals() : stop_{makePipe()}, child_{makePipe()} {
  setNonBlocking(stop_.write_end);
  setNonBlocking(child_.write_end);
  setNonBlocking(child_.read_end);  // drainChildEvents reads until empty
  g_stop_write.store(stop_.write_end.get());
  g_child_write.store(child_.write_end.get());
  // TODO(lab5): on return SIGINT and SIGTERM poke the stop pipe and SIGCHLD the child
  //   pipe (the globals point at them by now). This runs after the service children were
  //   forked (they must not inherit the handlers) and before "listening on" is printed
  //   (a SIGTERM sent right then must find them).
  // Hints: labs/05-shutdown-recovery/HINTS.md#shutdownsignals-constructor
}

ShutdownSignals::~ShutdownSignals() {
  // TODO(lab5): SIGINT, SIGTERM and SIGCHLD back at their default action BEFORE the
  //   globals go back to -1 and the pipes close: a handler must never write to a
  //   descriptor number that may already belong to something else.
  // Hints: labs/05-shutdown-recovery/HINTS.md#shutdownsignals-destructor
  g_stop_write.store(-1);
  g_child_write.store(-1);
}

void ShutdownSignals::requestStop() {
  // TODO(lab5): exactly what a SIGTERM does. Nobody ever reads the stop pipe's byte, so
  //   the stop stays visible to every thread that polls it, now and later.
  // Hints: labs/05-shutdown-recovery/HINTS.md#shutdownsignalsrequeststop
  notImplemented(5, "ShutdownSignals::requestStop in shutdown_signals.cpp");
}

void ShutdownSignals::drainChildEvents() {
  // TODO(lab5): on return the child pipe is empty, without ever blocking (its read end is
  //   non-blocking); left readable, it would make the main loop's poll return at once, again
  //   and again. One byte may stand for several exited children (signals of one kind do not
  //   queue): the caller reaps every child that has exited, not one per byte.
  // Hints: labs/05-shutdown-recovery/HINTS.md#shutdownsignalsdrainchildevents
  notImplemented(5, "ShutdownSignals::drainChildEvents in shutdown_signals.cpp");
}

}  // namespace mc
