/// @file shutdown_signals.cpp
/// @brief Signal handlers that write into pipes.
/// Runs in: the server (the handlers run in whichever thread the kernel picks).
#include "shutdown_signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace mc {

namespace {

// The handlers can only reach the pipes through globals. -1 when no
// ShutdownSignals exists.
std::atomic<int> g_stop_write{-1};
std::atomic<int> g_child_write{-1};

// write() is async-signal-safe; robust_io is not (it may log, it loops). A
// full pipe (EAGAIN, the end is non-blocking) is fine: it is readable already.
void poke(const std::atomic<int>& fd) {
  const int saved_errno = errno;  // the interrupted code may be about to read errno
  const int raw = fd.load();
  if (raw >= 0 && ::write(raw, "!", 1) < 0) {
    // EAGAIN: the pipe is full, so it is readable already. Nothing to do.
  }
  errno = saved_errno;
}

void onStopSignal(int) { poke(g_stop_write); }
void onChildSignal(int) { poke(g_child_write); }

void install(int signal_number, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: most slow calls (accept, a plain blocking read, sem_wait)
  // resume after our handler. Not all: poll, sem_timedwait and a read on a
  // socket with SO_RCVTIMEO still fail with EINTR (signal(7)), so every
  // caller of those retries itself (waitForEvents, Semaphore, robust_io).
  action.sa_flags = SA_RESTART | (signal_number == SIGCHLD ? SA_NOCLDSTOP : 0);
  if (::sigaction(signal_number, &action, nullptr) != 0) throwErrno("sigaction");
}

}  // namespace

ShutdownSignals::ShutdownSignals() : stop_{makePipe()}, child_{makePipe()} {
  setNonBlocking(stop_.write_end);
  setNonBlocking(child_.write_end);
  setNonBlocking(child_.read_end);  // drainChildEvents reads until empty
  g_stop_write.store(stop_.write_end.get());
  g_child_write.store(child_.write_end.get());
  // SIGPIPE is not ours: sockets are written with MSG_NOSIGNAL (lab 1), and
  // the server ignores it once it has a child's pipe to write to
  // (ignoreSigpipe, lab 3).
  install(SIGINT, onStopSignal);
  install(SIGTERM, onStopSignal);
  install(SIGCHLD, onChildSignal);
}

ShutdownSignals::~ShutdownSignals() {
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGCHLD, SIG_DFL);
  g_stop_write.store(-1);
  g_child_write.store(-1);
}

void ShutdownSignals::requestStop() { poke(g_stop_write); }

void ShutdownSignals::drainChildEvents() {
  // Raw read, like the handler's raw write: this pipe carries wake-ups, not
  // data, and is non-blocking (readExactly would report EAGAIN as a timeout).
  char buffer[64];
  while (::read(child_.read_end.get(), buffer, sizeof buffer) > 0) {
  }
}

}  // namespace mc
