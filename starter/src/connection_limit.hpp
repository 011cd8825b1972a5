/// @file connection_limit.hpp
/// @brief ConnectionLimit: at most N clients are served at once; the next one
/// is told BUSY and closed instead of being left to stall.
/// Runs in: the server: the accept loop takes permits, connection threads
/// give them back. Owns: a counting semaphore of free connection places.
///
/// Usage (admitClient in server_core.cpp, called by the accept loop):
///   client.permit = limit.tryAcquire();
///   if (!client.permit) { writeReply(client.socket, busyReply(limit.max())); return false; }
///   // the permit goes back when the client's handle dies
///
/// Why a limit at all: every connection costs a descriptor, a thread and its
/// stack. Without one, a burst of clients runs the server out of descriptors,
/// and accept() then fails for everyone, the polite clients included. A BUSY
/// reply tells the client at once what happened and that it may retry.
#pragma once

#include <cstddef>
#include <semaphore>
#include <utility>

#include "protocol.hpp"

namespace mc {

class ConnectionLimit;

/// One place under a ConnectionLimit, given back on destruction. Move-only.
/// An empty permit (default-constructed, moved from, or refused) holds nothing.
class ConnectionPermit {
 public:
  /// @brief An empty permit.
  ConnectionPermit() noexcept = default;
  /// @brief Takes over @p other's place; @p other becomes empty.
  ConnectionPermit(ConnectionPermit&& other) noexcept
      : limit_{std::exchange(other.limit_, nullptr)} {}
  /// @brief Gives back our place (if any) and takes over @p other's.
  ConnectionPermit& operator=(ConnectionPermit&& other) noexcept;
  ConnectionPermit(const ConnectionPermit&) = delete;
  ConnectionPermit& operator=(const ConnectionPermit&) = delete;
  /// @brief Gives the place back. Thread-safe (any thread may drop a permit).
  ~ConnectionPermit() { reset(); }

  /// @brief True when this permit holds a place.
  explicit operator bool() const noexcept { return limit_ != nullptr; }
  /// @brief Gives the place back now; the permit becomes empty.
  void reset() noexcept;

 private:
  friend class ConnectionLimit;
  explicit ConnectionPermit(ConnectionLimit* limit) noexcept : limit_{limit} {}

  ConnectionLimit* limit_ = nullptr;  // the limit to give our place back to
};

/// A counting semaphore of connection places. Thread-safe. Must outlive
/// every permit it gave out (the server keeps it until all connection
/// threads have ended).
class ConnectionLimit {
 public:
  /// Largest limit: far more than one process has descriptors for.
  static constexpr int kMaxLimit = 1 << 20;

  /// @brief A limit of @p max_connections places, all free.
  /// @throws std::invalid_argument unless 1 <= max_connections <= kMaxLimit.
  explicit ConnectionLimit(int max_connections);
  ConnectionLimit(const ConnectionLimit&) = delete;
  ConnectionLimit& operator=(const ConnectionLimit&) = delete;

  /// @brief Takes a place if one is free; never blocks (the accept loop
  /// must not wait for a connection to end).
  /// @return a permit holding the place, or an empty one if all are taken.
  ConnectionPermit tryAcquire();

  /// @brief The number of places.
  int max() const noexcept { return max_; }

 private:
  friend class ConnectionPermit;
  void release() noexcept;

  const int max_;
  std::counting_semaphore<kMaxLimit> free_;  // places not held by any permit
};

/// @brief The reply a client over the limit gets before its connection is
/// closed: status BUSY, served by the server, message "server busy: N
/// connections". It answers no request (none was read), so its command byte
/// and request id are 0. Thread safety: pure.
Reply busyReply(int max_connections);

/// @brief The reply a client gets when no thread could be started for it:
/// status BUSY, message "server busy: no thread for a new connection", and
/// like busyReply() command byte and request id 0. Thread safety: pure.
Reply noThreadReply();

/// @brief @p wanted, lowered so that the connections fit in the process's
/// open-file limit (RLIMIT_NOFILE) with @p reserved descriptors to spare for
/// the listener, pipes, databases and logs. At least 1.
/// Thread safety: reads the limit; safe from any thread.
int connectionsWithinFileLimit(int wanted, int reserved);

}  // namespace mc
