/// @file service_restart.cpp
/// @brief Stage 4: a service whose child died gets a new one, started with
/// fork + exec on a fresh Link, within a restart budget.
/// Runs in: the server's main thread (reapChildren calls it after SIGCHLD).
/// Owns: nothing of its own; the new Link goes to links_ (replaceLink, semaphore_links.cpp).
///
///   main thread                                   connection threads
///   SIGCHLD -> reapChildren: tryReap, then        dispatch() copied the old
///   restartService:                               link: its child is !running(),
///     new Link: channel in a memfd, fresh         so UNAVAILABLE (never a hang)
///     semaphores and slots, a new pipe
///     spawnServiceProcess: fork + exec            ...
///     replaceLink: the new link is current        the next dispatch() copies
///   the old link goes when its last user does     the new link
///
/// The new child recovers the service's state from its SQLite file: a reply
/// was sent only after its transaction committed, so everything that was
/// acknowledged is there.
#include <exception>
#include <string>

#include "log.hpp"
#include "semaphore_dispatcher.hpp"
#include "service_exec.hpp"

namespace mc {

void SemaphoreDispatcher::restartService(Service service) {
  const std::string name{serviceName(service)};
  if (!takeRestart(service)) {
    logError(name, "died " + std::to_string(kMaxRestarts) + " times within " +
                       std::to_string(kRestartWindow.count()) + " s: left down");
    return;
  }
  try {
    // Everything new: the dead child may have died in the middle of a
    // sem_post or of a record, so nothing of its channel is trusted again.
    auto link = std::make_shared<Link>(SharedMemory<ServiceChannel>::inMemfd("cabinet-channel"));
    Pipe requests = makePipe();
    // The server runs threads by now: fork alone would be unsafe, so the
    // child execs a fresh cabinetd in service mode (service_exec.cpp).
    link->child = spawnServiceProcess(service, link->channel.file(), requests.read_end);
    link->requests = std::move(requests.write_end);  // the child has its own read end
    const std::string started = "service child " + std::to_string(link->child->pid()) + " started";
    const std::shared_ptr<Link> old = replaceLink(service, std::move(link));
    logLine(name, started + ", replacing " + std::to_string(old->child->pid()));
  } catch (const std::exception& error) {
    logError(name, std::string("restart failed, service left down: ") + error.what());
  }
}

}  // namespace mc
