/// @file server_core.cpp
/// @brief The given parts of the server: start-up, the event wait, admission.
/// Runs in: the server's main thread. See server_core.hpp for the order of
/// start-up; server.cpp holds the main loop and the shutdown (the labs').
#include "server_core.hpp"

#include <poll.h>
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "frame_io.hpp"
#include "inline_dispatcher.hpp"
#include "listen_socket.hpp"
#include "log.hpp"
#include "pipe_dispatcher.hpp"
#include "semaphore_dispatcher.hpp"
#include "server.hpp"

namespace mc {

namespace {

// Descriptors kept out of --max-connections: the listener, the signal and
// service pipes, the trace file, a database opened at start, the sanitizers'.
constexpr int kReservedFds = 64;

// The stage's way of reaching the services.
std::unique_ptr<Dispatcher> makeDispatcher(const ServerConfig& config) {
  switch (config.stage) {
    case 1:
    case 2: return std::make_unique<InlineDispatcher>(config.services);
    case 3: return std::make_unique<PipeDispatcher>(config.services);
    default: return std::make_unique<SemaphoreDispatcher>(config.services, config.pool);
  }
}

// Opens each service's database once, here, so that a bad --data-dir stops the
// server at start with a clear error instead of leaving a child that died.
void checkDataDir(const ServiceOptions& options) {
  std::filesystem::create_directories(options.data_dir);
  for (Service service : kServices) openServiceState(service, options);
}

// Each connection holds a socket, and the default soft limit on open files
// (often 1024) would refuse clients long before memory runs out. The hard
// limit is what the administrator allows; the soft one is ours to raise.
void raiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);  // failing leaves the old limit: not fatal
}

void announce(const ServerConfig& config, const Fd& listener) {
  std::printf("listening on %s:%u\n", config.host.c_str(), static_cast<unsigned>(boundPort(listener)));
  std::fflush(stdout);
  logLine("main", "stage " + std::to_string(config.stage) + ", data in " + config.services.data_dir.string());
}

}  // namespace

Events waitForEvents(const Fd& listener, const ShutdownSignals& signals) {
  pollfd fds[3] = {{listener.get(), POLLIN, 0}, {signals.stopFd().get(), POLLIN, 0},
                   {signals.childFd().get(), POLLIN, 0}};
  while (::poll(fds, 3, -1) < 0) {
    if (errno != EINTR) throwErrno("poll");
  }
  return Events{fds[1].revents != 0, fds[2].revents != 0, fds[0].revents != 0};
}

bool admitClient(ClientHandle& client, ConnectionLimit& limit, OpenConnections& connections) {
  client.permit = limit.tryAcquire();
  if (client.permit) {
    client.listing = connections.add(client.socket);
    return true;
  }
  writeReply(client.socket, busyReply(limit.max()));  // a client already gone: nothing to do
  logLine("main", "client " + std::to_string(client.number) + " turned away: busy");
  return false;
}

void turnAwayWithoutThread(const ClientHandle& client) {
  writeReply(client.socket, noThreadReply());  // a client already gone: nothing to do
  logError("main", "client " + std::to_string(client.number) + " turned away: no thread for it");
}

Server::Server(const ServerConfig& config)
    : config_{config},
      idle_timeout_{config.idle_timeout_ms},
      frame_timeout_{config.frame_timeout_ms},
      dispatcher_{makeDispatcher(config)},
      listener_{openListenSocket(config.host, config.port, config.backlog)},
      limit_{connectionsWithinFileLimit(config.max_connections, kReservedFds)} {}

int Server::run() {
  announce(config_, listener_);
  ConnectionThreads threads(*dispatcher_, connections_, idle_timeout_, frame_timeout_);
  acceptUntilStopped(threads);
  return shutDown(threads);
}

int runServer(const ServerConfig& config) {
  checkDataDir(config.services);
  raiseOpenFileLimit();
  Server server(config);
  return server.run();
}

}  // namespace mc
