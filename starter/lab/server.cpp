/// @file server.cpp
/// @brief The server's main loop and its shutdown sequence.
/// Runs in: the server's main thread. Owns: the dispatcher (and through it
/// the service children), the listening socket, the connection threads.
///
/// Your version. Two functions are yours: the accept loop
/// (acceptUntilStopped: lab 1, and lab 2 for its connection threads) and the
/// shutdown sequence (shutDown: lab 5). Everything else is given.
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
#include "todo.hpp"

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

// Sleeps until the listening socket, the stop pipe or the child pipe is
// readable, and says which. Call it from acceptUntilStopped.
// ([[maybe_unused]] only keeps the compiler quiet until you do.)
[[maybe_unused]] Events waitForEvents(const Fd& listener, const ShutdownSignals& signals) {
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
  void acceptUntilStopped([[maybe_unused]] ConnectionThreads& threads) {
    // TODO(lab1): the main loop: wait, then act on what woke us, until told to stop.
    //   - First dispatcher_->reapChildren() once (a child may have died before the SIGCHLD
    //     handler was installed). Count the accepted clients in a std::uint64_t, from 1.
    //   - Loop: events = waitForEvents(listener_, signals_).
    //     events.stop: return (shutDown() does the rest).
    //     events.child_exited: signals_.drainChildEvents(), then dispatcher_->reapChildren()
    //       (this only fires once lab 5 installs the SIGCHLD handler).
    //     no events.connection: continue.
    //   - Accept: a std::make_unique<ClientHandle>(acceptConnection(listener_), ++accepted).
    //     An invalid socket (the client left before we accepted) is not fatal: continue.
    //   - Then if (!admit(*client)) continue; (given, below): over --max-connections the
    //     client got a BUSY reply and is closed.
    //   - Stage 1: serveConnection(client->socket, *dispatcher_, signals_.stopFd(),
    //     idle_timeout_) right here; the next client waits in the listen backlog.
    // TODO(lab2): stage >= 2: threads.start(std::move(client)) instead. The heap handle is
    //   the thread's from then on: never hand a thread a pointer into this stack frame.
    notImplemented(1, "Server::acceptUntilStopped in server.cpp");
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
  // request they hold; then the dispatcher stops and reaps the service children.
  int shutDown([[maybe_unused]] ConnectionThreads& threads) {
    // TODO(lab5): undo start-up in reverse order, then return 0.
    //   - logLine("main", "shutting down"); listener_.reset(): no new clients (a connect now
    //     is refused at once instead of waiting in a backlog nobody accepts).
    //   - threads.waitUntilAllEnded(kConnectionsGrace): each connection thread sees the stop
    //     pipe at its next wait, answers the request it holds and ends.
    //     If some did not end: logError how many (threads.active()), std::fflush(stdout),
    //     std::_Exit(1). They still use the dispatcher: destroying it under them would be
    //     a use-after-free; a quick exit is the lesser evil.
    //   - dispatcher_.reset(): its destructor stops and reaps the service children (labs 3, 4).
    //   - logLine("main", "stopped"); return 0: main returns it, the exit status of a clean stop.
    notImplemented(5, "Server::shutDown in server.cpp");
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
