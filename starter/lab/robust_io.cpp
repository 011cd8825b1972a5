/// @file robust_io.cpp
/// @brief readExactly and writeAll: whole buffers over sockets and pipes,
/// whatever short counts, signals and closed peers happen on the way.
/// Runs in: every process. Owns: nothing (borrows the caller's Fd).
///
/// Your version (lab 1). This is the only file that calls read(2), write(2)
/// and send(2). The model is CS:APP's rio_readn / rio_writen: keep a count of
/// bytes left, advance a cursor after every call, and treat these as normal
/// rather than errors:
///   - a short count: the kernel moved what it had (a socket's receive queue,
///     a pipe's 64 KiB buffer); just call again for the rest;
///   - EINTR: a signal handler ran before any byte moved; just call again.
/// Give each return path a short comment saying what it means.
#include "robust_io.hpp"

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>

#include "todo.hpp"

namespace mc {

IoStatus readExactly([[maybe_unused]] const Fd& fd, [[maybe_unused]] void* buffer,
                     [[maybe_unused]] std::size_t size) {
  // TODO(lab1): all `size` bytes of buffer filled from fd (kOk; at once for size 0), or
  //   why not: kClosed (end of file before the first byte), kTruncated (end of file after
  //   some), kTimedOut (the socket's receive timeout expired), kError (errno as read(2)
  //   left it). read(2) may return fewer bytes than asked, or fail with EINTR when a
  //   signal handler ran: neither is an outcome.
  // Hints: labs/01-sockets/HINTS.md#readexactly
  notImplemented(1, "readExactly in robust_io.cpp");
}

bool writeAll([[maybe_unused]] const Fd& fd, [[maybe_unused]] const void* buffer,
              [[maybe_unused]] std::size_t size) {
  // TODO(lab1): every one of the `size` bytes handed to the kernel (true), on a socket or
  //   a pipe alike; or false, with errno saying why (EPIPE: the reader is gone; EAGAIN:
  //   the socket's send timeout expired). Short writes and EINTR are not failures. A
  //   peer that has closed must cost a false return, never a SIGPIPE: that signal's
  //   default action kills the whole server.
  // Hints: labs/01-sockets/HINTS.md#writeall
  notImplemented(1, "writeAll in robust_io.cpp");
}

}  // namespace mc
