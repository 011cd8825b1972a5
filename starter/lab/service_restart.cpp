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
  // TODO(lab5): the service has a new child on a brand-new Link (channel, semaphores, slots
  //   and pipe all new: the dead child may have died in the middle of a sem_post), current
  //   from now on, with the new pid logged. Only within takeRestart's budget: past it, or
  //   if anything throws, the service stays down (UNAVAILABLE) and the log says so; never
  //   a fork loop. This process runs threads now, so the child must be a fresh program
  //   (exec), not a bare fork; and an exec'd child cannot see anonymous shared memory.
  // Hints: labs/05-shutdown-recovery/HINTS.md#semaphoredispatcherrestartservice
  notImplemented(5, "SemaphoreDispatcher::restartService in service_restart.cpp");
}

}  // namespace mc
