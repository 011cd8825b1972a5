/// @file child_process.cpp
/// @brief fork(), and the waitpid() that must follow it.
/// Runs in: the server, and (the body) in the child after fork.
///
/// Fork in a process that already runs threads is a trap: the child gets a
/// copy of every mutex, but only the thread that called fork. A mutex another
/// thread held at that moment (in malloc, in stdio, in our logger) stays locked
/// forever in the child. So the server forks its children first, before it
/// starts any thread. A child forked later, by the threaded server (a
/// restart, service_exec.cpp), calls only async-signal-safe functions until
/// it execs a fresh program.
#include "child_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <thread>

#include "fd.hpp"
#include "log.hpp"

namespace mc {

ChildProcess::ChildProcess(std::string name, const std::function<int()>& body) : name_{std::move(name)} {
  pid_ = ::fork();
  if (pid_ < 0) throwErrno("fork");
  if (pid_ == 0) {
    // DANGER: in the child. Never return into the parent's code: its stack
    // frames and destructors belong to the parent. _exit skips them (and the
    // parent's atexit handlers and stdio buffers, which are not ours to flush).
    int result = 1;
    try {
      result = body();
    } catch (const std::exception& error) {
      logError(name_, std::string("child failed: ") + error.what());
    }
    ::_exit(result);
  }
}

ChildProcess::~ChildProcess() {
  if (running()) reapWithin(std::chrono::milliseconds(0));
}

bool ChildProcess::tryReap() {
  if (!running()) return true;
  int status = 0;
  const pid_t result = ::waitpid(pid_, &status, WNOHANG);
  if (result == 0) return false;  // still running
  // result == pid: reaped now. result < 0 (ECHILD): someone else reaped it;
  // either way there is nothing left to wait for.
  status_ = result == pid_ ? status : kUnknownWaitStatus;
  reaped_.store(true, std::memory_order_release);
  return true;
}

int ChildProcess::reapWithin(std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!tryReap() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (!running()) return status_;
  ::kill(pid_, SIGKILL);  // it had its chance
  int status = 0;
  pid_t result = 0;
  while ((result = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  status_ = result == pid_ ? status : kUnknownWaitStatus;
  reaped_.store(true, std::memory_order_release);
  return status_;
}

}  // namespace mc
