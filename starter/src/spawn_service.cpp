/// @file spawn_service.cpp
/// @brief spawnServiceChild: fork a service's child, and its first steps.
/// Runs in: the server (until the fork) and then in the new service child.
/// The three steps it calls, ignoreSigpipe (in the server), keepOnlyDescriptors
/// and dieWithParent (in the child), are lab 3's (service_child.cpp); this file
/// shows the order they go in.
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "log.hpp"
#include "service_child.hpp"
#include "trace.hpp"

namespace mc {

std::unique_ptr<ChildProcess> spawnServiceChild(Service service, std::initializer_list<int> keep_fds,
                                                const std::function<int()>& body) {
  const pid_t server = ::getpid();
  const std::string name{serviceName(service)};
  // Still in the server, which is about to write requests into this child's
  // pipe. The child may die at any moment (kill -9, a crash); the server's
  // next write into its pipe must then fail with EPIPE (the request ends
  // UNAVAILABLE), not kill the server. Here rather than in each dispatcher:
  // every stage that writes to a child's pipe (3 and 4) gets its children
  // from this function, and stages 1 and 2 write to sockets only, with
  // MSG_NOSIGNAL (robust_io), so they never need it.
  ignoreSigpipe();
  return std::make_unique<ChildProcess>(name, [&] {
    // In the child from here on.
    std::vector<int> keep(keep_fds);
    keep.push_back(traceDescriptor());  // -1 unless --trace
    keepOnlyDescriptors(keep);
    dieWithParent(server);
    // Ctrl-C reaches the whole process group, and `pkill cabinetd` every
    // process of that name; either way the server decides when we stop, after
    // the requests in flight are answered.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    // Inherited from ignoreSigpipe already; said again so that the child's
    // reply to a server that is gone is EPIPE whatever the server's code did.
    ::signal(SIGPIPE, SIG_IGN);
    logLine(name, "service child started");
    return body();
  });
}

}  // namespace mc
