/// @file fd.cpp
/// @brief Closing descriptors (one or a whole range) and making pipes.
/// Runs in: every process.
#include "fd.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace mc {

void Fd::reset(int raw) noexcept {
  // close() is not retried on EINTR: on Linux the descriptor is already gone,
  // and retrying could close a number another thread has just been given.
  if (raw_ >= 0) ::close(raw_);
  raw_ = raw;
}

Pipe makePipe() {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) throwErrno("pipe2");
  return Pipe{Fd{ends[0]}, Fd{ends[1]}};
}

void setNonBlocking(const Fd& fd) {
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) throwErrno("fcntl");
}

namespace {

// The highest descriptor number this process could hold, for the loops
// below. getrlimit is a plain system call, so safe after fork.
unsigned highestDescriptor() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 65535;
  return static_cast<unsigned>(std::min<rlim_t>(limit.rlim_cur, 1U << 20)) - 1;
}

}  // namespace

void closeDescriptors(unsigned first, unsigned last) noexcept {
  if (first > last || ::close_range(first, last, 0) == 0) return;
  // No close_range (ENOSYS): the slow way. EBADF for a number not open is fine.
  last = std::min(last, highestDescriptor());
  for (unsigned fd = first; fd <= last; ++fd) ::close(static_cast<int>(fd));
}

void closeOnExecFrom(unsigned first) noexcept {
  if (::close_range(first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  // Older kernels (ENOSYS, or EINVAL for the flag): one descriptor at a time.
  const unsigned last = highestDescriptor();
  for (unsigned fd = first; fd <= last; ++fd) ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
}

void throwErrno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace mc
