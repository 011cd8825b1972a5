/// @file service_restart.cpp
/// @brief Stage 4: a service whose child died gets a new one, started with
/// fork + exec on a fresh Link, within a restart budget.
/// Runs in: the server's main thread (reapChildren calls it after SIGCHLD).
/// Owns: nothing of its own; the new Link goes to links_ (replaceLink, semaphore_links.cpp).
///
/// Your version (lab 5).
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
#include "todo.hpp"

namespace mc {

void SemaphoreDispatcher::restartService([[maybe_unused]] Service service) {
  // TODO(lab5): give the service a new child on a brand-new Link.
  //   - takeRestart(service) false: logError that the service is left down, and return (a
  //     child that dies at start must not make the server fork forever).
  //   - A new Link whose channel is SharedMemory<ServiceChannel>::inMemfd("cabinet-channel"):
  //     the exec'd child cannot see anonymous memory, but it can map a memfd. Never reuse the
  //     dead child's channel: it may have died in the middle of a sem_post.
  //   - makePipe(); link->child = spawnServiceProcess(service, link->channel.file(), read end)
  //     (fork + exec: this process runs threads now, so fork alone is unsafe); keep the
  //     write end in link->requests and let the read end close here.
  //   - replaceLink(service, link): from now on dispatch() finds the new child. Log the new pid.
  //   - Catch std::exception (fork or memfd failing): logError, and the service stays down.
  notImplemented(5, "SemaphoreDispatcher::restartService in service_restart.cpp");
}

}  // namespace mc
