/// @file server.cpp
/// @brief The server's main loop and its shutdown sequence.
/// Runs in: the server's main thread. Owns: the dispatcher (and through it
/// the service children), the listening socket, the connection threads.
///
/// Start-up order matters:
///  1. the dispatcher forks the service children (stages 3, 4) while this is
///     still the only thread, and before the listening socket exists, so no
///     child inherits it;
///  2. the signal handlers, after the fork (the children must not inherit
///     them) and before anyone can know we are up (a SIGTERM sent the moment
///     "listening on" appears must find them installed);
///  3. the listening socket and "listening on ...", then the accept loop.
/// Shutdown is the same steps backwards; see shutDown().
#include "server.hpp"

#include <poll.h>
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "connection.hpp"
#include "connection_limit.hpp"
#include "connection_threads.hpp"
#include "frame_io.hpp"
#include "inline_dispatcher.hpp"
#include "listen_socket.hpp"
#include "log.hpp"
#include "pipe_dispatcher.hpp"
#include "semaphore_dispatcher.hpp"
#include "shutdown_signals.hpp"

namespace mc {

namespace {

constexpr std::chrono::seconds kConnectionsGrace{3};
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

// What the main loop woke up for.
struct Events {
  bool stop = false;
  bool child_exited = false;
  bool connection = false;
};

Events waitForEvents(const Fd& listener, const ShutdownSignals& signals) {
  pollfd fds[3] = {{listener.get(), POLLIN, 0}, {signals.stopFd().get(), POLLIN, 0},
                   {signals.childFd().get(), POLLIN, 0}};
  while (::poll(fds, 3, -1) < 0) {
    if (errno != EINTR) throwErrno("poll");
  }
  return Events{fds[1].revents != 0, fds[2].revents != 0, fds[0].revents != 0};
}

class Server {
 public:
  explicit Server(const ServerConfig& config)
      : config_{config},
        idle_timeout_{config.idle_timeout_ms},
        dispatcher_{makeDispatcher(config)},
        listener_{openListenSocket(config.host, config.port, config.backlog)},
        limit_{connectionsWithinFileLimit(config.max_connections, kReservedFds)} {}

  int run() {
    announce(config_, listener_);
    ConnectionThreads threads(*dispatcher_, signals_.stopFd(), idle_timeout_);
    acceptUntilStopped(threads);
    return shutDown(threads);
  }

 private:
  void acceptUntilStopped(ConnectionThreads& threads) {
    std::uint64_t accepted = 0;
    dispatcher_->reapChildren();  // a child may have died before our handler existed
    for (;;) {
      const Events events = waitForEvents(listener_, signals_);
      if (events.stop) return;
      if (events.child_exited) {
        signals_.drainChildEvents();
        dispatcher_->reapChildren();
      }
      if (!events.connection) continue;
      auto client = std::make_unique<ClientHandle>(acceptConnection(listener_), ++accepted);
      if (!client->socket) continue;
      if (!admit(*client)) continue;  // over --max-connections: answered BUSY and closed
      if (config_.stage == 1) {
        // Iterative: this client has the whole server until it leaves.
        serveConnection(client->socket, *dispatcher_, signals_.stopFd(), idle_timeout_);
      } else {
        threads.start(std::move(client));
      }
    }
  }

  // Gives @p client a place under --max-connections. Over the limit it
  // answers BUSY (one frame, on a fresh socket whose send buffer is empty,
  // so the write cannot block) and closes the connection.
  // @return true if the client may be served.
  bool admit(ClientHandle& client) {
    client.permit = limit_.tryAcquire();
    if (client.permit) return true;
    writeReply(client.socket, busyReply(limit_.max()));  // a client already gone: nothing to do
    logLine("main", "client " + std::to_string(client.number) + " turned away: busy");
    return false;
  }

  // Backwards through start-up: no new clients; connections finish the
  // request they hold (each sees the stop descriptor at its next wait); then
  // the dispatcher stops and reaps the service children.
  int shutDown(ConnectionThreads& threads) {
    logLine("main", "shutting down");
    listener_.reset();
    if (!threads.waitUntilAllEnded(kConnectionsGrace)) {
      // A thread is stuck (a client that never reads its reply?). It still
      // uses the dispatcher, so we cannot tear it down under it: leave now.
      logError("main", std::to_string(threads.active()) + " connection threads did not finish");
      std::fflush(stdout);
      std::_Exit(1);
    }
    dispatcher_.reset();
    logLine("main", "stopped");
    return 0;
  }

  const ServerConfig& config_;
  const std::chrono::milliseconds idle_timeout_;
  std::unique_ptr<Dispatcher> dispatcher_;
  ShutdownSignals signals_;
  Fd listener_;
  ConnectionLimit limit_;  // outlives the connection threads: shutDown waits for them first
};

}  // namespace

int runServer(const ServerConfig& config) {
  checkDataDir(config.services);
  raiseOpenFileLimit();
  Server server(config);
  return server.run();
}

}  // namespace mc
