/// @file open_connections.hpp
/// @brief OpenConnections: the sockets being served right now, so that a
/// shutdown can end the read() each connection is blocked in.
/// Runs in: the server: listed by the accept loop (admitClient), checked by
/// serveConnection before each request, closed for reading by the
/// StopForwarder. Owns: the list (not the sockets: each ClientHandle does).
///
/// Why: a connection thread waits for its client's next request inside
/// read(), and a thread blocked in read() hears nothing else: no pipe, no
/// flag. shutdown(fd, SHUT_RD) on its socket does reach it: the read returns
/// 0, end of file, as if the client had left, and the thread finishes the
/// way it always does. (The alternative, a poll() on the socket and a stop
/// pipe before every request, costs a system call per request.)
///
/// Two rules keep it safe:
///  - a socket leaves the list before it is closed (Listing's destructor runs
///    first), so closeAllForReading never touches a descriptor number that
///    the kernel has already given to someone else;
///  - Linux still delivers the data queued on a socket shut for reading (up
///    to its receive window, which can grow to megabytes), so a client that
///    pipelines would be served all of that after the stop. closing() is the
///    flag serveConnection checks before each request.
#pragma once

#include <atomic>
#include <mutex>
#include <unordered_set>
#include <utility>

#include "fd.hpp"

namespace mc {

/// The list of sockets being served. Thread-safe.
class OpenConnections {
 public:
  /// One socket's place on the list, removed on destruction. Move-only; an
  /// empty Listing (default-constructed or moved from) holds nothing.
  class Listing {
   public:
    /// @brief An empty listing.
    Listing() noexcept = default;
    /// @brief Takes over @p other's place; @p other becomes empty.
    Listing(Listing&& other) noexcept
        : list_{std::exchange(other.list_, nullptr)}, fd_{std::exchange(other.fd_, -1)} {}
    /// @brief Leaves our place (if any) and takes over @p other's.
    Listing& operator=(Listing&& other) noexcept;
    Listing(const Listing&) = delete;
    Listing& operator=(const Listing&) = delete;
    /// @brief Takes the socket off the list. Call before closing it.
    ~Listing() { reset(); }

    /// @brief Takes the socket off the list now; the listing becomes empty.
    void reset() noexcept;

   private:
    friend class OpenConnections;
    Listing(OpenConnections* list, int fd) noexcept : list_{list}, fd_{fd} {}

    OpenConnections* list_ = nullptr;
    int fd_ = -1;
  };

  OpenConnections() = default;
  OpenConnections(const OpenConnections&) = delete;
  OpenConnections& operator=(const OpenConnections&) = delete;

  /// @brief Puts @p socket on the list until the returned Listing dies, which
  /// must happen before @p socket is closed. If closeAllForReading already
  /// ran, the socket is shut for reading at once (a client accepted just as
  /// the server stopped must not be served on and on).
  Listing add(const Fd& socket);

  /// @brief True once closeAllForReading ran. Cheap: one atomic load.
  bool closing() const noexcept { return closing_.load(std::memory_order_acquire); }

  /// @brief From now on closing() is true, and every listed socket (now and
  /// later) is shut for reading: a read blocked on it returns 0 at once.
  /// Writes still work, so a reply being sent still reaches its client.
  void closeAllForReading();

  /// @brief Sockets listed now.
  std::size_t size() const;

 private:
  void remove(int fd) noexcept;

  mutable std::mutex mutex_;
  std::unordered_set<int> fds_;  // guarded by mutex_
  std::atomic<bool> closing_{false};
};

}  // namespace mc
