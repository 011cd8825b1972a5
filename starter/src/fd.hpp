/// @file fd.hpp
/// @brief Fd: the one owner of a file descriptor; Pipe: a pair of them.
/// Runs in: every process. Owns: exactly one descriptor per Fd.
///
/// Raw descriptor numbers appear only inside Fd. Whoever holds the Fd owns the
/// descriptor and the destructor is the one place it is closed. Fd is move-only:
/// copying would mean two owners and a double close, and a double close is how a
/// descriptor number gets reused under someone's feet (the seed server closed a
/// pipe end the next accepted socket then inherited).
#pragma once

#include <utility>

namespace mc {

/// Move-only owner of one file descriptor. Thread safety: like an int; do not
/// share one Fd between threads without a lock.
class Fd {
 public:
  Fd() noexcept = default;
  /// @brief Takes ownership of @p raw (may be -1 for "none").
  explicit Fd(int raw) noexcept : raw_{raw} {}
  /// @brief Takes over @p other's descriptor; @p other is left empty.
  Fd(Fd&& other) noexcept : raw_{std::exchange(other.raw_, -1)} {}
  /// @brief Closes the descriptor held, then takes over @p other's.
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.raw_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  /// @brief The descriptor number, for system calls. Still owned by this Fd.
  int get() const noexcept { return raw_; }
  /// @brief True when this Fd holds a descriptor.
  bool valid() const noexcept { return raw_ >= 0; }
  /// @brief Same as valid().
  explicit operator bool() const noexcept { return valid(); }
  /// @brief Closes the held descriptor (if any) and takes @p raw instead.
  void reset(int raw = -1) noexcept;
  /// @brief Gives up ownership without closing; the caller now owns it.
  int release() noexcept { return std::exchange(raw_, -1); }

 private:
  int raw_ = -1;
};

/// The two ends of a pipe(2), created with O_CLOEXEC.
struct Pipe {
  Fd read_end;   ///< bytes come out here
  Fd write_end;  ///< bytes go in here
};

/// @brief Creates a pipe whose ends close on exec.
/// @throws std::system_error naming pipe2 on failure.
Pipe makePipe();

/// @brief Sets O_NONBLOCK on @p fd: a read or write that would block fails
/// with EAGAIN instead. @throws std::system_error naming fcntl on failure.
void setNonBlocking(const Fd& fd);

/// @brief Closes every descriptor from @p first to @p last (close_range).
/// A kernel without close_range (before Linux 5.9) gets one close() per
/// number up to the descriptor limit instead. Async-signal-safe: fit for a
/// child forked from a threaded process.
void closeDescriptors(unsigned first, unsigned last) noexcept;

/// @brief Marks every descriptor from @p first up close-on-exec, with the
/// same fallback (one fcntl per number) before Linux 5.11. Async-signal-safe.
void closeOnExecFrom(unsigned first) noexcept;

/// @brief Throws std::system_error for @p what with the current errno.
[[noreturn]] void throwErrno(const char* what);

}  // namespace mc
