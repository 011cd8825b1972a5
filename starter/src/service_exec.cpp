/// @file service_exec.cpp
/// @brief fork + exec of a service child from a threaded server, and the
/// service mode the new program runs.
/// Runs in: the server (up to the fork), the child between fork and exec
/// (marked DANGER), and the exec'd service child (runServiceProcess).
/// Owns: the saved copy of the server's command line.
///
/// Why exec, and not fork alone as at start-up: fork() copies the whole
/// memory of a threaded process but only the calling thread. Every lock that
/// another thread held at that instant (malloc's arenas, stdio, our logger,
/// SQLite's) is copied *locked*, with no thread left to unlock it; the child's
/// first malloc can hang forever. exec() replaces that memory with a fresh
/// program, so until it the child may only make async-signal-safe calls
/// (signal-safety(7)): no allocation, no logging, no C++ library.
#include "service_exec.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fd.hpp"
#include "log.hpp"
#include "reply_slots.hpp"
#include "semaphore_child.hpp"
#include "server_config.hpp"
#include "service_state.hpp"
#include "shared_semaphore.hpp"
#include "worker_pool.hpp"

namespace mc {

namespace {

constexpr std::string_view kServiceFlag = "--service-child";

// This very program, even if its file was replaced or deleted since it started.
constexpr const char* kOwnProgram = "/proc/self/exe";

// The server's argv[0 .. argc-1], saved by setServerArgv.
std::vector<std::string>& savedServerArgs() {
  static std::vector<std::string> args;
  return args;
}

// The child's whole command line (see service_exec.hpp), built in the server
// BEFORE fork: building strings allocates, which the forked child must not.
std::vector<std::string> serviceCommand(Service service, int channel_fd, int request_fd) {
  const std::vector<std::string>& server = savedServerArgs();
  std::vector<std::string> words = {server.front(),
                                    std::string(kServiceFlag), std::string(serviceName(service)),
                                    "--channel-fd", std::to_string(channel_fd),
                                    "--request-fd", std::to_string(request_fd),
                                    "--parent-pid", std::to_string(::getpid()),
                                    "--"};
  words.insert(words.end(), server.begin() + 1, server.end());
  return words;
}

// execv wants char* const[], ending in nullptr; points into @p words.
std::vector<char*> argvOf(const std::vector<std::string>& words) {
  std::vector<char*> argv;
  for (const std::string& word : words) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  return argv;
}

// Blocks every signal in the calling thread for its lifetime. Around fork:
// until exec resets them, the child still has the server's handlers, and a
// SIGTERM to it (`pkill cabinetd`) would run the server's handler and poke the
// server's stop pipe. Blocked, the signal waits for the new program, which
// ignores it (runServiceProcess).
class BlockedSignals {
 public:
  BlockedSignals() {
    sigset_t all;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, &saved_);
  }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;
  ~BlockedSignals() { ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

 private:
  sigset_t saved_;
};

// DANGER: runs in the forked child of a threaded process. Async-signal-safe
// calls only (close_range, fcntl, execv, _exit are system calls; so is
// everything closeOnExecFrom calls).
[[noreturn]] void execServiceChild(char* const* argv, int channel_fd, int request_fd) {
  // Everything the server has open (client sockets, other services' pipes,
  // the listening socket) closes at exec, whoever forgot O_CLOEXEC; then the
  // two descriptors this child is for are exempted again.
  closeOnExecFrom(3);
  ::fcntl(channel_fd, F_SETFD, 0);
  ::fcntl(request_fd, F_SETFD, 0);
  ::execv(kOwnProgram, argv);
  ::_exit(127);  // exec failed: the server reaps us and counts a failed restart
}

/// The service mode's command line, parsed.
struct ServiceCommand {
  Service service = Service::kServer;
  int channel_fd = -1;
  int request_fd = -1;
  pid_t parent = -1;
  std::vector<char*> server_argv;  // argv[0], then everything after "--"
};

std::optional<int> parseNumber(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::optional<Service> serviceNamed(std::string_view name) {
  for (Service service : kServices)
    if (serviceName(service) == name) return service;
  return std::nullopt;
}

// Stores @p value of @p flag in @p command. @return false if either is bad.
bool applyServiceFlag(ServiceCommand& command, std::string_view flag, std::string_view value) {
  if (flag == kServiceFlag) {
    const auto service = serviceNamed(value);
    if (service) command.service = *service;
    return service.has_value();
  }
  const auto number = parseNumber(value);
  if (!number) return false;
  if (flag == "--channel-fd") command.channel_fd = *number;
  else if (flag == "--request-fd") command.request_fd = *number;
  else if (flag == "--parent-pid") command.parent = static_cast<pid_t>(*number);
  else return false;
  return true;
}

std::optional<ServiceCommand> parseServiceCommand(int argc, char** argv) {
  ServiceCommand command;
  int i = 1;
  for (; i < argc && std::string_view(argv[i]) != "--"; i += 2) {
    if (i + 1 >= argc || !applyServiceFlag(command, argv[i], argv[i + 1])) return std::nullopt;
  }
  if (i >= argc || command.service == Service::kServer || command.channel_fd < 0 ||
      command.request_fd < 0 || command.parent <= 0)
    return std::nullopt;  // no "--", or a flag missing
  command.server_argv.push_back(argv[0]);
  for (++i; i < argc; ++i) command.server_argv.push_back(argv[i]);
  return command;
}

// Same rule as a forked child (service_child.cpp): die with the server. The
// signal comes when the server's *thread* that forked us ends; that is its
// main thread, which lives as long as the server. If the server died before
// the prctl, we are already someone else's child: leave.
bool stayWithParent(pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  return ::getppid() == parent;
}

// The server decides when we stop (as in spawnServiceChild); then the signals
// blocked since before the fork may come in.
void takeServiceSignals() {
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// Maps the channel, opens the state, serves. @return the exit status.
int serveService(const ServiceCommand& command, const ServerConfig& config) {
  auto channel = SharedMemory<ServiceChannel>::attach(Fd{command.channel_fd});
  const Fd requests{command.request_fd};
  auto state = openServiceState(command.service, config.services);  // SQLite recovers its WAL here
  logLine(serviceName(command.service), "service child restarted (exec)");
  if (config.pool > 0) return runWorkerPool(*state, *channel, requests, config.pool);
  return runSemaphoreChild(*state, *channel, requests);
}

}  // namespace

void setServerArgv(int argc, char** argv) { savedServerArgs().assign(argv, argv + argc); }

std::unique_ptr<ChildProcess> spawnServiceProcess(Service service, const Fd& channel, const Fd& requests) {
  if (savedServerArgs().empty()) throw std::logic_error("spawnServiceProcess: setServerArgv was never called");
  const int channel_fd = channel.get();
  const int request_fd = requests.get();
  const std::vector<std::string> words = serviceCommand(service, channel_fd, request_fd);
  const std::vector<char*> argv = argvOf(words);
  const BlockedSignals blocked;
  return std::make_unique<ChildProcess>(std::string(serviceName(service)), [&]() -> int {
    execServiceChild(argv.data(), channel_fd, request_fd);  // in the child; never returns
  });
}

bool isServiceProcessCommand(int argc, char** argv) { return argc > 1 && argv[1] == kServiceFlag; }

int runServiceProcess(int argc, char** argv) {
  const auto command = parseServiceCommand(argc, argv);
  if (!command) {
    std::fputs("cabinetd: bad --service-child command line (only the server starts this mode)\n", stderr);
    return 2;
  }
  if (!stayWithParent(command->parent)) return 1;
  const auto parsed = parseServerArgs(static_cast<int>(command->server_argv.size()),
                                      const_cast<char**>(command->server_argv.data()));
  const auto* config = std::get_if<ServerConfig>(&parsed);
  if (config == nullptr) {
    std::fputs(std::get<ArgsExit>(parsed).message.c_str(), stderr);
    return 2;
  }
  setLogQuiet(config->quiet);
  takeServiceSignals();
  // (--trace is not followed here: the trace file belongs to the server.)
  try {
    return serveService(*command, *config);
  } catch (const std::exception& error) {
    logError(serviceName(command->service), std::string("restarted child failed: ") + error.what());
    return 1;
  }
}

}  // namespace mc
