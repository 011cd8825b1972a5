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
  // TODO(lab4): ::sem_init(&sem_, pshared, initial); non-zero: throwErrno("sem_init").
  //   - pshared is 1 for Scope::kProcesses, 0 for Scope::kThreads. With 0 a post in one
  //     process may never wake a waiter in another, even in shared memory.
  //   - pshared alone is not enough: the sem_t itself must lie in memory both processes
  //     share (a SharedMemory mapping made before fork), or each has its own copy.
  notImplemented(4, "Semaphore::Semaphore in shared_semaphore.cpp");
}

Semaphore::~Semaphore() { ::sem_destroy(&sem_); }

void Semaphore::post() {
  // TODO(lab4): ::sem_post(&sem_). It fails only with EOVERFLOW (the count at SEM_VALUE_MAX),
  //   which our bounded counts never reach. sem_post is async-signal-safe, sem_wait is not.
  notImplemented(4, "Semaphore::post in shared_semaphore.cpp");
}

void Semaphore::wait() {
  // TODO(lab4): ::sem_wait(&sem_) in a loop: while it returns non-zero, errno EINTR means
  //   "a signal handler ran, call again"; any other errno: throwErrno("sem_wait").
  notImplemented(4, "Semaphore::wait in shared_semaphore.cpp");
}

bool Semaphore::waitFor([[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO(lab4): ::sem_timedwait, whose deadline is ABSOLUTE and on CLOCK_REALTIME.
  //   - ::clock_gettime(CLOCK_REALTIME, &deadline), then add the timeout. Carry the
  //     nanoseconds into seconds: tv_nsec must stay below 1'000'000'000 or the call fails
  //     with EINVAL.
  //   - Compute the deadline ONCE, before the loop: after an EINTR, wait again with the same
  //     deadline (a fresh one per try could wait forever under a stream of signals).
  //   - ETIMEDOUT: return false. EINTR: loop. Other errors: throwErrno("sem_timedwait").
  notImplemented(4, "Semaphore::waitFor in shared_semaphore.cpp");
}

bool Semaphore::tryWait() {
  // TODO(lab4): ::sem_trywait(&sem_) never sleeps. Success: true. EAGAIN (the count is 0):
  //   false. EINTR: try again. Anything else: throwErrno("sem_trywait").
  notImplemented(4, "Semaphore::tryWait in shared_semaphore.cpp");
}

void* mapShared([[maybe_unused]] std::size_t size) {
  // TODO(lab4): ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0).
  //   - MAP_SHARED: after fork parent and child see the SAME pages (MAP_PRIVATE, like all
  //     ordinary memory, would be copied on the first write and the two would drift apart).
  //   - MAP_ANONYMOUS: no file behind it, so nothing appears in /dev/shm and nothing is left
  //     there if we crash (the seed's named semaphores were).
  //   - The error value is MAP_FAILED, not nullptr: throwErrno("mmap").
  notImplemented(4, "mapShared in shared_semaphore.cpp");
}

void unmapShared(void* address, std::size_t size) noexcept { ::munmap(address, size); }

}  // namespace mc
