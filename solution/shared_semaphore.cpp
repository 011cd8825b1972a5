/// @file shared_semaphore.cpp
/// @brief POSIX semaphores and shared anonymous memory.
/// Runs in: the server and the service children.
#include "shared_semaphore.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <ctime>

#include "fd.hpp"

namespace mc {

Semaphore::Semaphore(unsigned initial, Scope scope) {
  if (::sem_init(&sem_, scope == Scope::kProcesses ? 1 : 0, initial) != 0) throwErrno("sem_init");
}

Semaphore::~Semaphore() { ::sem_destroy(&sem_); }

void Semaphore::post() {
  // Fails only with EOVERFLOW (count at SEM_VALUE_MAX), which our bounded
  // counts never reach.
  ::sem_post(&sem_);
}

void Semaphore::wait() {
  while (::sem_wait(&sem_) != 0) {
    if (errno != EINTR) throwErrno("sem_wait");
    // EINTR: a signal handler ran while we slept; the count is unchanged.
  }
}

bool Semaphore::waitFor(std::chrono::milliseconds timeout) {
  // sem_timedwait wants an absolute CLOCK_REALTIME deadline. (glibc's
  // sem_clockwait could use the monotonic clock, but ThreadSanitizer does not
  // know it and would miss the ordering it gives.)
  timespec deadline{};
  ::clock_gettime(CLOCK_REALTIME, &deadline);
  const long long nanos = deadline.tv_nsec + static_cast<long long>(timeout.count()) * 1'000'000;
  deadline.tv_sec += static_cast<time_t>(nanos / 1'000'000'000);
  deadline.tv_nsec = static_cast<long>(nanos % 1'000'000'000);
  while (::sem_timedwait(&sem_, &deadline) != 0) {
    if (errno == ETIMEDOUT) return false;
    if (errno != EINTR) throwErrno("sem_timedwait");
  }
  return true;
}

bool Semaphore::tryWait() {
  while (::sem_trywait(&sem_) != 0) {
    if (errno == EAGAIN) return false;
    if (errno != EINTR) throwErrno("sem_trywait");
  }
  return true;
}

void* mapShared(std::size_t size) {
  void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (address == MAP_FAILED) throwErrno("mmap");
  return address;
}

void unmapShared(void* address, std::size_t size) noexcept { ::munmap(address, size); }

}  // namespace mc
