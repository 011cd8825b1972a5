/// @file service_exec.hpp
/// @brief Starting a service child once the server already runs threads:
/// fork(), then at once exec() our own program in "service mode"; and that
/// service mode, on the child's side.
/// Runs in: the server (setServerArgv, spawnServiceProcess) and the new
/// service child (isServiceProcessCommand, runServiceProcess).
/// Owns: a copy of the server's command line (set once, at start).
///
/// The first children are forked by the dispatcher before any thread exists
/// (child_process.cpp says why that matters). A child restarted later is made
/// by a server full of threads, so the forked copy only lives long enough to
/// call execv() on /proc/self/exe: a fresh cabinetd, started as
///
///   cabinetd --service-child NAME --channel-fd N --request-fd M --parent-pid P
///            -- <the server's own arguments>
///
/// It parses the server's arguments with parseServerArgs, exactly as the
/// server did, so every option reaches it without a second format to keep in
/// step; maps its channel from the memfd N (SharedMemory::attach); reads
/// requests from pipe M; and serves like a forked stage 4 child.
#pragma once

#include <memory>

#include "child_process.hpp"
#include "fd.hpp"
#include "protocol.hpp"

namespace mc {

/// @brief Remembers the server's command line, for the children it may
/// restart later. Call once, first thing in main. Not thread-safe.
void setServerArgv(int argc, char** argv);

/// @brief Starts a stage 4 child for @p service with fork + exec: it maps the
/// ServiceChannel in memfd @p channel and reads requests from @p requests
/// (the read end of its pipe; the caller closes its own copy afterwards).
/// Safe in a multi-threaded process: between fork and exec the child makes
/// async-signal-safe calls only.
/// @return the child's handle (its exec may still fail: then it exits 127).
/// @throws std::system_error (fork), std::logic_error if setServerArgv was
/// never called. Thread safety: call from one thread at a time.
std::unique_ptr<ChildProcess> spawnServiceProcess(Service service, const Fd& channel, const Fd& requests);

/// @brief True when this process was started by spawnServiceProcess
/// (argv[1] is --service-child). Thread-safe (pure).
bool isServiceProcessCommand(int argc, char** argv);

/// @brief The service mode's main: parses the command line above, checks the
/// server is still our parent, then serves until the server stops it.
/// @return the process exit status (2 on a usage error, 1 on failure).
int runServiceProcess(int argc, char** argv);

}  // namespace mc
