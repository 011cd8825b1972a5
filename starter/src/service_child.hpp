/// @file service_child.hpp
/// @brief Starting a service's child process, and the stage 3 child's loop.
/// Runs in: the server (spawnServiceChild, spawn_service.cpp, and
/// ignoreSigpipe) and the service child (the rest). ignoreSigpipe,
/// keepOnlyDescriptors, dieWithParent and runPipeChild are lab 3's
/// (service_child.cpp).
#pragma once

#include <sys/types.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

#include "child_process.hpp"
#include "fd.hpp"
#include "protocol.hpp"
#include "service_state.hpp"

namespace mc {

/// @brief Forks the child process of @p service. Before the fork, the server
/// ignores SIGPIPE (ignoreSigpipe): it is about to write into this child's
/// pipe, and the child may die. In the child, before @p body
/// runs: every inherited descriptor except 0, 1, 2 and @p keep_fds is closed
/// (the other services' pipes, the other ends of its own pipes), SIGINT and
/// SIGTERM are ignored (the server decides when its children stop) and the child is set to
/// receive SIGKILL if the server dies. @p body then opens the service's state
/// (after fork: an SQLite connection must not be shared by two processes) and
/// serves; its return value is the child's exit status.
/// @throws std::system_error naming fork on failure.
std::unique_ptr<ChildProcess> spawnServiceChild(Service service, std::initializer_list<int> keep_fds,
                                                const std::function<int()>& body);

/// @brief In the server, before it forks a service child: from now on, a
/// write by this process to a pipe that nobody reads any more (the request
/// pipe of a child that died) fails with EPIPE instead of killing the process
/// with SIGPIPE. Process-wide, lasts for the rest of the process, and may be
/// called again; the children forked afterwards inherit it. Thread-safe.
/// (service_child.cpp, lab 3; spawnServiceChild calls it.)
void ignoreSigpipe();

/// @brief In a new child: closes every descriptor from 3 up except those in
/// @p keep (numbers below 3, and -1, are ignored). fork() copies every open
/// descriptor, and each stray copy of a pipe's write end hides end of file
/// from that pipe's reader. (service_child.cpp, lab 3; spawnServiceChild calls it.)
void keepOnlyDescriptors(std::vector<int> keep);

/// @brief In a new child: asks the kernel to SIGKILL us when the server dies,
/// and exits at once if @p parent (the server's pid) has died already.
/// (service_child.cpp, lab 3; spawnServiceChild calls it.)
void dieWithParent(pid_t parent);

/// @brief Stage 3, in the child: read one RequestRecord from @p requests, run
/// it, write the ReplyRecord to @p replies; repeat until @p requests reaches
/// end of file (the server closed its end: time to exit).
/// @return the child's exit status: 0 after end of file, 1 on a broken pipe.
int runPipeChild(ServiceState& state, const Fd& requests, const Fd& replies);

}  // namespace mc
