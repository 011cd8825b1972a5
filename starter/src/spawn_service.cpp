/// @file spawn_service.cpp
/// @brief spawnServiceChild: fork a service's child, and its first steps.
/// Runs in: the server (until the fork) and then in the new service child.
/// The two steps it calls, keepOnlyDescriptors and dieWithParent, are lab 3's
/// (service_child.cpp); this file shows the order they go in.
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
    ::signal(SIGPIPE, SIG_IGN);  // a write to a closed pipe fails with EPIPE instead
    logLine(name, "service child started");
    return body();
  });
}

}  // namespace mc
