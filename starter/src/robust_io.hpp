/// @file robust_io.hpp
/// @brief The one place that loops read(2) and write(2) until a whole
/// request or reply has moved, on sockets and pipes.
/// Runs in: every process. Owns: nothing (borrows the caller's Fd).
///
/// A read or write may move fewer bytes than asked (a short count) or be cut
/// off by a signal (EINTR). Both are normal, not errors; these two functions
/// loop until the whole buffer has moved, so no other code has to.
#pragma once

#include <cstddef>
#include <iosfwd>

#include "fd.hpp"

namespace mc {

/// What readExactly saw.
enum class IoStatus {
  kOk,         ///< the whole buffer was filled
  kClosed,     ///< end of file before the first byte: the peer closed cleanly
  kTruncated,  ///< end of file after some bytes: the peer closed mid-message
  kTimedOut,   ///< SO_RCVTIMEO expired (EAGAIN) before the buffer was filled
  kError,      ///< any other failure; errno says which
};

/// @brief Reads exactly @p size bytes into @p buffer, retrying short reads and EINTR.
/// @return kOk, or why the buffer could not be filled. Never throws.
/// Thread safety: safe on distinct fds; two threads reading one fd must lock.
IoStatus readExactly(const Fd& fd, void* buffer, std::size_t size);

/// @brief Writes all @p size bytes of @p buffer, retrying short writes and EINTR.
/// @return true when every byte was written; false on error with errno set
/// (EPIPE when the reader is gone: SIGPIPE is ignored by our programs).
/// Sockets are written with MSG_NOSIGNAL, so a closed peer never raises SIGPIPE.
bool writeAll(const Fd& fd, const void* buffer, std::size_t size);

/// @brief Human name of @p status ("ok", "closed", ...) for logs.
const char* ioStatusName(IoStatus status);

/// @brief Writes ioStatusName(@p status): how a failed test shows it
/// ("truncated", where it would otherwise print "4-byte object <02-00 00-00>").
std::ostream& operator<<(std::ostream& out, IoStatus status);

}  // namespace mc
