/// @file service_child.hpp
/// @brief Starting a service's child process, and the stage 3 child's loop.
/// Runs in: the server (spawnServiceChild) and the service child (the rest).
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>

#include "child_process.hpp"
#include "fd.hpp"
#include "protocol.hpp"
#include "service_state.hpp"

namespace mc {

/// @brief Forks the child process of @p service. In the child, before @p body
/// runs: every inherited descriptor except 0, 1, 2 and @p keep_fds is closed
/// (the other services' pipes, the other ends of its own pipes), SIGINT and
/// SIGTERM are ignored (the server decides when its children stop) and the child is set to
/// receive SIGKILL if the server dies. @p body then opens the service's state
/// (after fork: an SQLite connection must not be shared by two processes) and
/// serves; its return value is the child's exit status.
/// @throws std::system_error naming fork on failure.
std::unique_ptr<ChildProcess> spawnServiceChild(Service service, std::initializer_list<int> keep_fds,
                                                const std::function<int()>& body);

/// @brief Stage 3, in the child: read one RequestRecord from @p requests, run
/// it, write the ReplyRecord to @p replies; repeat until @p requests reaches
/// end of file (the server closed its end: time to exit).
/// @return the child's exit status: 0 after end of file, 1 on a broken pipe.
int runPipeChild(ServiceState& state, const Fd& requests, const Fd& replies);

}  // namespace mc
