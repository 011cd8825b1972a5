/// @file shared_semaphore.cpp
/// @brief POSIX semaphores and shared anonymous memory.
/// Runs in: the server and the service children.
/// Owns: nothing beyond the sem_t it is (and the mappings mapShared hands out).
///
/// Your version (lab 4). Read shared_semaphore.hpp first: it says what each
/// semaphore of stage 4 counts and why the doorbell starts at 0.
///
/// Every sem_* call may fail with EINTR when a signal handler runs while the
/// thread sleeps (our SIGCHLD handler, for one). EINTR changes nothing: the
/// count was not taken, so the call is simply made again. Any other error is a
/// bug and throws std::system_error (throwErrno, fd.hpp).
#include "shared_semaphore.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <ctime>

#include "fd.hpp"
#include "todo.hpp"

namespace mc {

Semaphore::Semaphore([[maybe_unused]] unsigned initial, [[maybe_unused]] Scope scope) {
  // TODO(lab4): sem_ ready with the count `initial`, usable across processes for
  //   Scope::kProcesses (a post in one wakes a waiter in another) and among this process's
  //   threads for Scope::kThreads. Failure throws std::system_error naming sem_init.
  //   (Across processes the sem_t must also lie in memory both share: the caller's job.)
  // Hints: labs/04-semaphores/HINTS.md#semaphore-constructor
  notImplemented(4, "Semaphore::Semaphore in shared_semaphore.cpp");
}

Semaphore::~Semaphore() { ::sem_destroy(&sem_); }

void Semaphore::post() {
  // TODO(lab4): the count is one higher, and one waiter, if any, wakes. Async-signal-safe.
  //   It can fail only at SEM_VALUE_MAX, which our bounded counts never reach.
  // Hints: labs/04-semaphores/HINTS.md#semaphorepost
  notImplemented(4, "Semaphore::post in shared_semaphore.cpp");
}

void Semaphore::wait() {
  // TODO(lab4): returns having taken one count, however long that takes and however many
  //   signal handlers run meanwhile (an interrupted wait took nothing). Any other failure
  //   is a bug: throw.
  // Hints: labs/04-semaphores/HINTS.md#semaphorewait
  notImplemented(4, "Semaphore::wait in shared_semaphore.cpp");
}

bool Semaphore::waitFor([[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO(lab4): true having taken one count; false if none could be taken within `timeout`
  //   of the call: not before, and not much after, however many signals arrive meanwhile.
  //   sem_timedwait takes an absolute CLOCK_REALTIME time, and refuses (EINVAL) one whose
  //   nanoseconds are not below a second. Other failures throw.
  // Hints: labs/04-semaphores/HINTS.md#semaphorewaitfor
  notImplemented(4, "Semaphore::waitFor in shared_semaphore.cpp");
}

bool Semaphore::tryWait() {
  // TODO(lab4): never sleeps: true having taken a count, false if the count was 0. An
  //   interrupted call is no answer; other failures throw.
  // Hints: labs/04-semaphores/HINTS.md#semaphoretrywait
  notImplemented(4, "Semaphore::tryWait in shared_semaphore.cpp");
}

void* mapShared([[maybe_unused]] std::size_t size) {
  // TODO(lab4): `size` bytes of zeroed, writable memory that this process and every child
  //   it forks later share (a write by one is seen by the others, not copied away), with no
  //   file or name behind it: nothing in /dev/shm, nothing left after a crash. Failure
  //   throws std::system_error naming mmap (whose failure value is not nullptr).
  // Hints: labs/04-semaphores/HINTS.md#mapshared
  notImplemented(4, "mapShared in shared_semaphore.cpp");
}

void unmapShared(void* address, std::size_t size) noexcept { ::munmap(address, size); }

}  // namespace mc
