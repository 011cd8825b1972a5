/// @file shared_semaphore.hpp
/// @brief Semaphore: a POSIX counting semaphore (sem_t), usable between the
/// threads of one process or between processes; SharedMemory: an anonymous
/// mapping that parent and children share after fork (or a memfd mapping that
/// a child started with exec can map too: shared_mapping.hpp).
/// Runs in: the server and the service children.
///
/// A semaphore is a counter that never goes below zero. post() adds one and
/// wakes a waiter; wait() takes one, sleeping while it is zero. Used here as
///   - a doorbell: the server posts once per request it has put in a pipe,
///     the child waits; a count of 0 means "nothing to do", so it starts at 0
///     (the seed started it at 1, so its children ran before any request);
///   - feedback: the child posts when a reply is ready, the server waits;
///   - a slot counter: starts at N, so at most N requests are in flight.
#pragma once

#include <semaphore.h>

#include <chrono>
#include <cstddef>
#include <new>
#include <utility>

#include "fd.hpp"
#include "shared_mapping.hpp"

namespace mc {

/// A sem_t in place. Not copyable or movable: other threads, or other
/// processes, know it by its address.
class Semaphore {
 public:
  /// Who may use it: threads of this process only, or several processes (then
  /// it must live in memory they share, such as a SharedMemory mapping).
  enum class Scope { kThreads, kProcesses };

  /// @brief sem_init with count @p initial. @throws std::system_error.
  Semaphore(unsigned initial, Scope scope);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  /// @brief sem_destroy. Nobody may be waiting on it any more.
  ~Semaphore();

  /// @brief Adds one; wakes a waiter if any. Thread-safe, async-signal-safe.
  void post();
  /// @brief Takes one, sleeping while the count is 0; retries after signals.
  void wait();
  /// @brief Like wait(), giving up after @p timeout. @return true if taken.
  bool waitFor(std::chrono::milliseconds timeout);
  /// @brief Takes one if the count is above 0, without sleeping.
  bool tryWait();

 private:
  sem_t sem_;
};

/// @brief mmap of @p size shared anonymous bytes. @throws std::system_error.
void* mapShared(std::size_t size);
/// @brief munmap of what mapShared returned.
void unmapShared(void* address, std::size_t size) noexcept;

/// Memory that the process and its future children share: mapped with
/// MAP_SHARED | MAP_ANONYMOUS before fork(), it is the same physical memory on
/// both sides afterwards (ordinary memory is copied on write instead). Nothing
/// appears in /dev/shm, so nothing can be left behind there.
/// Holds one T, constructed in place. Move-only; the owner unmaps it.
///
/// A child started with exec() (a restarted service, service_exec.hpp) cannot
/// see an anonymous mapping. For it the maker uses inMemfd(): the T lives in
/// a memfd whose descriptor, file(), the new program maps with attach().
template <typename T>
class SharedMemory {
 public:
  /// @brief Maps the memory and constructs T there with @p args.
  /// @throws std::system_error naming mmap.
  template <typename... Args>
  explicit SharedMemory(Args&&... args) : object_{new (mapShared(sizeof(T))) T(std::forward<Args>(args)...)} {}

  /// @brief Like the constructor, but T lives in a new memfd (its name
  /// @p name shows in /proc/PID/fd), so a process started by exec can map it.
  /// @throws std::system_error naming the failing call.
  template <typename... Args>
  static SharedMemory inMemfd(const char* name, Args&&... args) {
    MemfdMapping mapping = createMemfd(name, sizeof(T));
    T* object = nullptr;
    try {
      object = new (mapping.address) T(std::forward<Args>(args)...);
    } catch (...) {
      unmapMemfd(mapping.address, sizeof(T));
      throw;
    }
    return SharedMemory(Adopt{}, object, std::move(mapping.file), true);
  }

  /// @brief Maps the T that another process constructed with inMemfd() and
  /// handed on as @p file. This side never destroys T: its maker does.
  /// @throws std::system_error naming fstat or mmap.
  static SharedMemory attach(Fd file) {
    T* object = static_cast<T*>(mapMemfd(file, sizeof(T)));
    return SharedMemory(Adopt{}, object, std::move(file), false);
  }

  /// @brief Takes over @p other's mapping; @p other is left empty.
  SharedMemory(SharedMemory&& other) noexcept
      : object_{std::exchange(other.object_, nullptr)},
        file_{std::move(other.file_)},
        owns_object_{other.owns_object_} {}
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  SharedMemory& operator=(SharedMemory&&) = delete;
  /// @brief Destroys T (if this side made it) and unmaps (in this process
  /// only); closes the memfd, if any.
  ~SharedMemory() {
    if (object_ == nullptr) return;
    if (owns_object_) object_->~T();
    if (file_) {
      unmapMemfd(object_, sizeof(T));
    } else {
      unmapShared(object_, sizeof(T));
    }
  }

  /// @brief The shared object.
  T& operator*() const { return *object_; }
  /// @brief The shared object's members.
  T* operator->() const { return object_; }
  /// @brief The memfd behind the mapping (inMemfd, attach); empty for an
  /// anonymous mapping. Close-on-exec: whoever hands it on says so.
  const Fd& file() const { return file_; }

 private:
  struct Adopt {};  // marks the private constructor apart from the variadic one
  SharedMemory(Adopt, T* object, Fd file, bool owns_object)
      : object_{object}, file_{std::move(file)}, owns_object_{owns_object} {}

  T* object_;
  Fd file_;                  // the memfd, or none for an anonymous mapping
  bool owns_object_ = true;  // false after attach(): the maker destroys T
};

}  // namespace mc
