/// @file robust_io.cpp
/// @brief readExactly and writeAll: whole buffers over sockets and pipes,
/// whatever short counts, signals and closed peers happen on the way.
/// Runs in: every process. Owns: nothing (borrows the caller's Fd).
///
/// Every request and reply, on a socket or a pipe, moves through here. (The
/// only other read and write calls move a single wake-up byte or one log
/// line, and say on the spot what they do about a short count.) The model
/// is CS:APP's rio_readn / rio_writen: keep a count of bytes left, advance a
/// cursor after every call, and treat these as normal rather than errors:
///   - a short count: the kernel moved what it had (a socket's receive queue,
///     a pipe's 64 KiB buffer); just call again for the rest;
///   - EINTR: a signal handler ran before any byte moved; just call again.
/// Each return path below carries a label saying what it means.
#include "robust_io.hpp"

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>

namespace mc {

IoStatus readExactly(const Fd& fd, void* buffer, std::size_t size) {
  auto* cursor = static_cast<char*>(buffer);
  std::size_t left = size;
  while (left > 0) {
    ssize_t got = ::read(fd.get(), cursor, left);
    if (got < 0) {
      if (errno == EINTR) continue;  // a signal interrupted us: read again
      if (errno == EAGAIN || errno == EWOULDBLOCK) return IoStatus::kTimedOut;  // SO_RCVTIMEO
      return IoStatus::kError;  // errno set by read()
    }
    if (got == 0) {
      // EOF: where it falls tells a clean close from a broken message.
      return left == size ? IoStatus::kClosed      // EOF before any byte
                          : IoStatus::kTruncated;  // EOF mid-buffer
    }
    cursor += got;
    left -= static_cast<std::size_t>(got);
  }
  return IoStatus::kOk;  // the whole buffer is filled
}

namespace {

// One write of at most @p size bytes. Sockets go through send(MSG_NOSIGNAL):
// a peer that has closed then gives EPIPE instead of a SIGPIPE that would
// kill the whole server. send() on a pipe fails with ENOTSOCK before moving
// any byte, so we then use write() for the rest of this buffer. Trying send()
// first costs sockets nothing and pipes one failed call per writeAll; an
// fstat() per call would cost both. (Pipes have no MSG_NOSIGNAL: our programs
// ignore SIGPIPE, so a pipe whose reader is gone also gives EPIPE.)
ssize_t writeSome(int fd, const char* data, std::size_t size, bool& is_socket) {
  if (is_socket) {
    ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
    if (sent >= 0 || errno != ENOTSOCK) return sent;
    is_socket = false;  // a pipe or file: fall through to write()
  }
  return ::write(fd, data, size);
}

}  // namespace

bool writeAll(const Fd& fd, const void* buffer, std::size_t size) {
  const auto* cursor = static_cast<const char*>(buffer);
  std::size_t left = size;
  bool is_socket = true;  // until send() tells us otherwise
  while (left > 0) {
    ssize_t put = writeSome(fd.get(), cursor, left, is_socket);
    if (put < 0) {
      if (errno == EINTR) continue;  // a signal interrupted us: write again
      return false;                  // errno set by send()/write(): EPIPE, EAGAIN, ...
    }
    cursor += put;
    left -= static_cast<std::size_t>(put);  // short write: send the rest
  }
  return true;  // every byte is in the kernel's hands
}

}  // namespace mc
