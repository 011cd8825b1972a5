/// @file semaphore_links.cpp
/// @brief The given parts of SemaphoreDispatcher: the table of current
/// Links, the reaping of dead children and the restart budget.
/// Runs in: the server. The round trip itself is the labs'
/// (semaphore_dispatcher.cpp, lab 4), and so is restartService
/// (service_restart.cpp, lab 5).
#include <algorithm>
#include <string>
#include <utility>

#include "log.hpp"
#include "semaphore_dispatcher.hpp"

namespace mc {

namespace {

std::size_t indexOf(Service service) { return static_cast<std::size_t>(service) - 1; }

}  // namespace

std::shared_ptr<SemaphoreDispatcher::Link> SemaphoreDispatcher::currentLink(Service service) const {
  std::scoped_lock lock(links_mutex_);
  return links_[indexOf(service)];
}

std::shared_ptr<SemaphoreDispatcher::Link> SemaphoreDispatcher::replaceLink(Service service, std::shared_ptr<Link> link) {
  std::scoped_lock lock(links_mutex_);
  return std::exchange(links_[indexOf(service)], std::move(link));
}

void SemaphoreDispatcher::reapChildren() {
  for (Service service : kServices) {
    const std::shared_ptr<Link> link = currentLink(service);
    if (!link->child->running()) continue;  // reaped before: the service was left down
    if (!link->child->tryReap()) continue;  // still running
    logError(link->child->name(), "service child " + std::to_string(link->child->pid()) + " " +
                                      describeWaitStatus(link->child->waitStatus()));
    restartService(service);
  }
}

// A child that dies as soon as it starts would otherwise be forked again and
// again: each restart is counted, and old ones leave the window.
bool SemaphoreDispatcher::takeRestart(Service service) {
  const auto now = std::chrono::steady_clock::now();
  auto& recent = restarts_[indexOf(service)];
  std::erase_if(recent, [&](auto at) { return now - at > kRestartWindow; });
  if (recent.size() >= static_cast<std::size_t>(kMaxRestarts)) return false;
  recent.push_back(now);
  return true;
}

}  // namespace mc
