/// @file open_connections.cpp
/// @brief The list of sockets being served (see open_connections.hpp).
/// Runs in: the server: any thread.
#include "open_connections.hpp"

#include <sys/socket.h>

namespace mc {

OpenConnections::Listing& OpenConnections::Listing::operator=(Listing&& other) noexcept {
  if (this != &other) {
    reset();
    list_ = std::exchange(other.list_, nullptr);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void OpenConnections::Listing::reset() noexcept {
  if (list_ != nullptr) list_->remove(fd_);
  list_ = nullptr;
  fd_ = -1;
}

OpenConnections::Listing OpenConnections::add(const Fd& socket) {
  std::scoped_lock lock{mutex_};
  fds_.insert(socket.get());
  // Checked under the lock that closeAllForReading holds while it sets the
  // flag: either it sees this socket in the list, or we see the flag here.
  if (closing()) ::shutdown(socket.get(), SHUT_RD);
  return Listing{this, socket.get()};
}

void OpenConnections::closeAllForReading() {
  std::scoped_lock lock{mutex_};
  closing_.store(true, std::memory_order_release);
  // Under the lock: no socket can leave the list (and be closed, and its
  // number be reused) while we shut it. A socket whose client already left
  // fails with ENOTCONN: nothing to do.
  for (int fd : fds_) ::shutdown(fd, SHUT_RD);
}

std::size_t OpenConnections::size() const {
  std::scoped_lock lock{mutex_};
  return fds_.size();
}

void OpenConnections::remove(int fd) noexcept {
  std::scoped_lock lock{mutex_};
  fds_.erase(fd);
}

}  // namespace mc
