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
  // TODO(lab3): in the parent, returns with pid_ naming a new child that runs body();
  //   or throws std::system_error naming fork, and no child exists. The child never returns
  //   from here: its exit status is body()'s result (1, with the reason logged, if body()
  //   threw), and on the way out it runs none of the parent's code: no caller's loop, no
  //   destructor, no atexit handler, no flush of the parent's stdio buffers.
  // Hints: labs/03-fork-pipes/HINTS.md#childprocess-constructor
  notImplemented(3, "ChildProcess::ChildProcess in child_process.cpp");
}

ChildProcess::~ChildProcess() {
  if (running()) reapWithin(std::chrono::milliseconds(0));
}

bool ChildProcess::tryReap() {
  // TODO(lab3): one look, never blocking. true: the child is reaped, now or before, its
  //   wait status in status_ (kUnknownWaitStatus if someone else reaped it) and published
  //   so that a thread which sees !running() also sees that status. false: it still runs.
  //   A reaped pid is never waited for again: by then the number may belong to another
  //   process.
  // Hints: labs/03-fork-pipes/HINTS.md#childprocesstryreap
  notImplemented(3, "ChildProcess::tryReap in child_process.cpp");
}

int ChildProcess::reapWithin([[maybe_unused]] std::chrono::milliseconds grace) {
  // TODO(lab3): on return the child is reaped and its wait status is returned (and kept,
  //   as tryReap keeps it). It gets up to `grace` to exit by itself (its owner has already
  //   asked it to); one still there after that is killed in a way it can neither catch nor
  //   ignore. No zombie is left, however many signals interrupt the wait.
  // Hints: labs/03-fork-pipes/HINTS.md#childprocessreapwithin
  notImplemented(3, "ChildProcess::reapWithin in child_process.cpp");
}

}  // namespace mc
