/// @file service_child.cpp
/// @brief Starting a service child: the server's step before fork(), the
/// child's first steps after it; and the stage 3 child's loop.
/// Runs in: the server (ignoreSigpipe) and a service child (the rest).
/// spawnServiceChild (spawn_service.cpp) calls ignoreSigpipe before it forks
/// and the next two functions here in the child.
/// Owns: nothing past the fork; the child owns the descriptors it keeps.
///
/// Your version (lab 3). spawnServiceChild is given (starter/src/spawn_service.cpp):
/// it shows the order of the steps. You write the three steps it calls and
/// the child's loop.
#include "service_child.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "log.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "todo.hpp"

namespace mc {

// The server writes each request into its child's pipe, and a child can die
// at any moment (kill -9, a crash). Sockets are written with MSG_NOSIGNAL
// (lab 1); pipes have no such flag.
void ignoreSigpipe() {
  // TODO(lab3): from this call on, for the rest of the process, a write to a pipe whose
  //   reader is gone must fail with EPIPE (so writeAll returns false and the request ends
  //   UNAVAILABLE) instead of killing the whole server. Calling it again must do no harm.
  // Hints: labs/03-fork-pipes/HINTS.md#ignoresigpipe
  notImplemented(3, "ignoreSigpipe in service_child.cpp");
}

// Closes every descriptor from 3 up except those in @p keep.
//
// Why: fork() copies every open descriptor. If the parcel child kept a copy
// of the food child's request pipe write end, the food child would never see
// end of file on that pipe, even after the server closed its own copy.
void keepOnlyDescriptors([[maybe_unused]] std::vector<int> keep) {
  // TODO(lab3): on return this process has open only 0, 1, 2 and the descriptors in
  //   `keep` (in any order), however many others it inherited and whatever their numbers,
  //   the ones above the highest kept included. Close whole ranges (closeDescriptors,
  //   fd.hpp), never one number at a time up to a guessed maximum: one stray copy of a
  //   pipe's write end hides end of file from its reader.
  // Hints: labs/03-fork-pipes/HINTS.md#keeponlydescriptors
  notImplemented(3, "keepOnlyDescriptors in service_child.cpp");
}

// The child should not outlive the server.
void dieWithParent([[maybe_unused]] pid_t parent) {
  // TODO(lab3): from now on the kernel kills this child when `parent` dies, even by
  //   SIGKILL; and if `parent` is gone already, the child leaves now (status 1) instead of
  //   returning. Mind the race: the parent may die before your request takes effect.
  // Hints: labs/03-fork-pipes/HINTS.md#diewithparent
  notImplemented(3, "dieWithParent in service_child.cpp");
}

int runPipeChild([[maybe_unused]] ServiceState& state, [[maybe_unused]] const Fd& requests,
                 [[maybe_unused]] const Fd& replies) {
  // TODO(lab3): the stage 3 child: one ReplyRecord written for every RequestRecord read, in
  //   order. Returns 0 when the server closes its end of the request pipe between records;
  //   1, with the reason logged, when that pipe breaks mid-record or fails, or when a reply
  //   cannot be written (the server is gone). A record that does not unpack still gets an
  //   answer (refuseCorruptRequest): the server is waiting for one. No lock: this process
  //   has one thread, and the server sends the next request only after reading this reply.
  // Hints: labs/03-fork-pipes/HINTS.md#runpipechild
  notImplemented(3, "runPipeChild in service_child.cpp");
}

}  // namespace mc
