/// @file child_process.cpp
/// @brief fork(), and the waitpid() that must follow it.
/// Runs in: the server, and (the body) in the child after fork.
/// Owns: one child process, from fork() until it is reaped.
///
/// Your version (lab 3). Read child_process.hpp first: the class promises
/// that no child is forgotten. Every fork() is matched by exactly one
/// successful waitpid(): until then a child that has exited stays in the
/// process table as a zombie, and a child whose parent dies first becomes an
/// orphan that nobody stops.
///
/// Fork in a process that already runs threads is a trap: the child gets a
/// copy of every mutex, but only the thread that called fork. A mutex another
/// thread held at that moment (in malloc, in stdio, in our logger) stays locked
/// forever in the child. So the server forks its children first, before it
/// starts any thread.
#include "child_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <thread>

#include "fd.hpp"
#include "log.hpp"
#include "todo.hpp"

namespace mc {

ChildProcess::ChildProcess(std::string name, [[maybe_unused]] const std::function<int()>& body)
    : name_{std::move(name)} {
  // TODO(lab3): fork, and send each process its own way.
  //   - pid_ = ::fork(); below 0: throwErrno("fork") (nothing was created).
  //   - In the parent (pid_ > 0) there is nothing more to do: return.
  //   - In the child (pid_ == 0): run body() inside try/catch. Catch std::exception and
  //     logError(name_, ...) it; the exit status is then 1.
  //   - Then leave with ::_exit(result). NEVER return and never call exit(): returning would
  //     run the parent's code (its loops, its destructors) a second time in the child, and
  //     exit() would flush stdio buffers and run atexit handlers that belong to the parent.
  notImplemented(3, "ChildProcess::ChildProcess in child_process.cpp");
}

ChildProcess::~ChildProcess() {
  if (running()) reapWithin(std::chrono::milliseconds(0));
}

bool ChildProcess::tryReap() {
  // TODO(lab3): look once, without blocking, whether the child has exited.
  //   - Already reaped (!running())? Return true: never waitpid a pid twice (the number
  //     may belong to a new process by now).
  //   - ::waitpid(pid_, &status, WNOHANG): 0 means "still running": return false.
  //   - It returned pid_: keep the status in status_, then set reaped_ (a store with
  //     std::memory_order_release, so that a thread that sees !running() also sees status_).
  //   - It returned -1 (ECHILD: someone else reaped it): nothing is left to wait for either;
  //     treat it as reaped.
  notImplemented(3, "ChildProcess::tryReap in child_process.cpp");
}

int ChildProcess::reapWithin([[maybe_unused]] std::chrono::milliseconds grace) {
  // TODO(lab3): give the child `grace` to exit by itself, then make sure it does.
  //   - Until a deadline (std::chrono::steady_clock::now() + grace): tryReap(), and if it
  //     returns false sleep a couple of milliseconds and try again.
  //   - Reaped in time? Return status_.
  //   - Otherwise ::kill(pid_, SIGKILL) (it cannot be caught or ignored), then a BLOCKING
  //     ::waitpid(pid_, &status, 0), repeated while it fails with EINTR. SIGKILL always
  //     works, so this wait is short.
  //   - Record the status and reaped_ as in tryReap, and return the status.
  notImplemented(3, "ChildProcess::reapWithin in child_process.cpp");
}

}  // namespace mc
