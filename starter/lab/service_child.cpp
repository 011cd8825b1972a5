/// @file service_child.cpp
/// @brief A service child's first steps after fork(), and its stage 3 loop.
/// Runs in: a service child (spawnServiceChild, spawn_service.cpp, forks it
/// and calls the first two functions here, in the child).
/// Owns: nothing past the fork; the child owns the descriptors it keeps.
///
/// Your version (lab 3). spawnServiceChild is given (starter/src/spawn_service.cpp):
/// it shows the order of a child's first steps. You write the two steps it
/// calls and the child's loop.
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

// Closes every descriptor from 3 up except those in @p keep.
//
// Why: fork() copies every open descriptor. If the parcel child kept a copy
// of the food child's request pipe write end, the food child would never see
// end of file on that pipe, even after the server closed its own copy.
void keepOnlyDescriptors([[maybe_unused]] std::vector<int> keep) {
  // TODO(lab3): close everything from 3 up that is not in `keep`, a range at a time.
  //   - Sort `keep`. Walk it with `first` = the lowest number not yet dealt with (start: 3).
  //   - For each kept fd above `first`: closeDescriptors(first, fd - 1) (fd.hpp: close_range(2),
  //     with a fallback for old kernels) closes the gap below it; then first = fd + 1.
  //     (Skip kept numbers below 3: 0, 1, 2 always stay.)
  //   - Finally closeDescriptors(first, ~0U): everything above the last kept fd.
  //   - Do not close descriptors one by one from a guessed maximum, and do not forget any:
  //     each stray copy of a pipe's write end hides end of file from its reader.
  notImplemented(3, "keepOnlyDescriptors in service_child.cpp");
}

// The child should not outlive the server.
void dieWithParent([[maybe_unused]] pid_t parent) {
  // TODO(lab3): ask the kernel to SIGKILL this child when its parent dies.
  //   - ::prctl(PR_SET_PDEATHSIG, SIGKILL).
  //   - The race: the server may have died BEFORE the prctl call took effect; then the
  //     signal never comes. So check afterwards: if ::getppid() != parent, ::_exit(1).
  notImplemented(3, "dieWithParent in service_child.cpp");
}

int runPipeChild([[maybe_unused]] ServiceState& state, [[maybe_unused]] const Fd& requests,
                 [[maybe_unused]] const Fd& replies) {
  // TODO(lab3): the stage 3 child's loop: one record in, one record out, until end of file.
  //   - readExactly(requests, &record, sizeof record) into a RequestRecord.
  //     kClosed: the server closed its write end, time to stop: return 0.
  //     Anything else but kOk: logError (ioStatusName says what) and return 1.
  //   - unpackRequest(record); a record that does not unpack still gets an answer:
  //     refuseCorruptRequest(record, state.service()).
  //     Otherwise the reply is state.handle(*request).
  //   - packReply, then writeAll(replies, ...). false means the server is gone: return 1.
  //   - No lock is needed: this process has a single thread, and the server sends the next
  //     request only after it has read this reply.
  notImplemented(3, "runPipeChild in service_child.cpp");
}

}  // namespace mc
