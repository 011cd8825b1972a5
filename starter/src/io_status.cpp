/// @file io_status.cpp
/// @brief ioStatusName: what an IoStatus means, for logs and test messages.
/// Runs in: every process. (readExactly and writeAll are lab 1's, robust_io.cpp.)
#include <ostream>

#include "robust_io.hpp"

namespace mc {

const char* ioStatusName(IoStatus status) {
  switch (status) {
    case IoStatus::kOk: return "ok";
    case IoStatus::kClosed: return "closed";
    case IoStatus::kTruncated: return "truncated";
    case IoStatus::kTimedOut: return "timed out";
    case IoStatus::kError: return "error";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, IoStatus status) { return out << ioStatusName(status); }

}  // namespace mc
