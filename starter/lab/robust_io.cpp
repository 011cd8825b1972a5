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
  // TODO(lab1): loop until `size` bytes have arrived (size 0 is done at once: kOk).
  //   - Keep a char* cursor into buffer and a count `left`; call ::read(fd.get(), cursor, left).
  //   - got > 0: advance the cursor, subtract from left. A short count is NOT an error.
  //   - got < 0 and errno == EINTR: a signal arrived; read again.
  //   - got < 0 and errno == EAGAIN/EWOULDBLOCK: SO_RCVTIMEO expired: kTimedOut.
  //   - got < 0 otherwise: kError (leave errno as read() set it).
  //   - got == 0 is EOF. Where it falls matters: before the first byte it is a clean
  //     close (kClosed); after some bytes the peer broke off a message (kTruncated).
  notImplemented(1, "readExactly in robust_io.cpp");
}

bool writeAll([[maybe_unused]] const Fd& fd, [[maybe_unused]] const void* buffer,
              [[maybe_unused]] std::size_t size) {
  // TODO(lab1): loop until all `size` bytes are written, like readExactly.
  //   - Write with ::send(fd, cursor, left, MSG_NOSIGNAL): on a socket whose peer has
  //     closed, plain write() raises SIGPIPE, whose default action kills the whole server.
  //     With MSG_NOSIGNAL you get -1 / EPIPE instead.
  //   - send() works only on sockets: on a pipe it fails with ENOTSOCK (having moved
  //     nothing). Then use ::write() for this and every later chunk of the buffer.
  //     (A small helper "write some bytes, send() or write()" keeps the loop short.)
  //   - -1 with EINTR: write again. Any other -1: return false, errno says why.
  //   - A short write is not an error: advance the cursor and send the rest.
  //   - Return true only when every byte has been handed to the kernel.
  notImplemented(1, "writeAll in robust_io.cpp");
}

}  // namespace mc
