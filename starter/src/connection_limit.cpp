/// @file connection_limit.cpp
/// @brief Connection places: a counting semaphore, permits that give their
/// place back when destroyed, and the BUSY reply for a client over the limit.
/// Runs in: the server (accept loop and connection threads).
/// Owns: nothing beyond the semaphore inside ConnectionLimit.
#include "connection_limit.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace mc {

ConnectionPermit& ConnectionPermit::operator=(ConnectionPermit&& other) noexcept {
  if (this != &other) {
    reset();
    limit_ = std::exchange(other.limit_, nullptr);
  }
  return *this;
}

void ConnectionPermit::reset() noexcept {
  if (limit_ != nullptr) std::exchange(limit_, nullptr)->release();
}

ConnectionLimit::ConnectionLimit(int max_connections)
    : max_{max_connections}, free_{std::clamp(max_connections, 0, kMaxLimit)} {
  if (max_connections < 1 || max_connections > kMaxLimit)
    throw std::invalid_argument("connection limit must be 1.." + std::to_string(kMaxLimit));
}

ConnectionPermit ConnectionLimit::tryAcquire() {
  if (!free_.try_acquire()) return ConnectionPermit{};  // every place is taken
  return ConnectionPermit{this};
}

void ConnectionLimit::release() noexcept { free_.release(); }

namespace {

Reply busyBeforeAnyRequest(const std::string& message) {
  Request none;  // no request was read: command byte 0, request id 0
  none.command = static_cast<Command>(0);
  return makeReply(none, Status::kBusy, message);
}

}  // namespace

Reply busyReply(int max_connections) {
  return busyBeforeAnyRequest("server busy: " + std::to_string(max_connections) + " connections");
}

Reply noThreadReply() { return busyBeforeAnyRequest("server busy: no thread for a new connection"); }

int connectionsWithinFileLimit(int wanted, int reserved) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return wanted;
  const auto room = static_cast<long long>(limit.rlim_cur) - reserved;
  return static_cast<int>(std::clamp<long long>(room, 1, std::max(wanted, 1)));
}

}  // namespace mc
