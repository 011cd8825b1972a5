/// @file fd.cpp
/// @brief Closing descriptors and making pipes.
/// Runs in: every process.
#include "fd.hpp"

#include <fcntl.h>
#include <unistd.h>

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

void throwErrno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace mc
