/// @file server_process.cpp
/// @brief Starting, watching and stopping cabinetd (and the cabinet client)
/// from a test: fork+exec, the first stdout line, /proc, bounded waits.
/// Runs in: the e2e test process, and in the child between fork() and exec().
/// Owns: see server_process.hpp.
#include "server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

#include "judge.hpp"
#include "test_client.hpp"

#ifndef MC_CABINETD
#error "MC_CABINETD must name the cabinetd binary under test"
#endif
#ifndef MC_CABINET
#error "MC_CABINET must name the cabinet binary under test"
#endif
#ifndef MC_LAB_SOURCES
#error "MC_LAB_SOURCES must list the tree's lab files, separated by |"
#endif
#ifndef MC_REBUILD_COMMAND
#error "MC_REBUILD_COMMAND must say how to rebuild a lab (the lab number is appended)"
#endif

namespace mc::test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Throws when @p program is older than a lab file it is built from: the e2e
// tests start the program as a separate process, so building only a unit
// test executable would leave them judging an old server, silently. A file
// dated in the future (a copy from a machine whose clock runs ahead) is left
// out: no rebuild could ever make the program newer than it.
void requireBuiltAfterLabFiles(const char* program) {
  std::error_code error;
  const auto built = fs::last_write_time(program, error);
  if (error) throw std::runtime_error(std::string{program} + " is not built: " + error.message());
  const auto now = fs::file_time_type::clock::now();
  std::string_view sources{MC_LAB_SOURCES};
  while (!sources.empty()) {
    const auto bar = sources.find('|');
    const fs::path source{std::string{sources.substr(0, bar)}};
    sources = bar == std::string_view::npos ? std::string_view{} : sources.substr(bar + 1);
    const auto changed = fs::last_write_time(source, error);
    if (error || changed <= built || changed > now) continue;
    throw std::runtime_error(source.filename().string() + " changed after " +
                             fs::path{program}.filename().string() +
                             " was built, so this test would judge the old program. rebuild: " +
                             MC_REBUILD_COMMAND + std::to_string(labNumber()));
  }
}

}  // namespace

const char* cabinetdPath() {
  requireBuiltAfterLabFiles(MC_CABINETD);
  return MC_CABINETD;
}

const char* cabinetPath() {
  requireBuiltAfterLabFiles(MC_CABINET);
  return MC_CABINET;
}

// ---------------------------------------------------------------------------
// Temporary directories
// ---------------------------------------------------------------------------

TempDir::TempDir(const std::string& tag) {
  std::string pattern = (fs::temp_directory_path() / ("mc-" + tag + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) throwErrno("mkdtemp");
  path_ = pattern;
}

TempDir::TempDir(TempDir&& other) noexcept : path_{std::exchange(other.path_, {})} {}

TempDir::~TempDir() {
  if (path_.empty()) return;  // moved from
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

// ---------------------------------------------------------------------------
// Processes: spawning, and the pids the harness itself started
// ---------------------------------------------------------------------------

namespace {

// Pids this harness forked and has not reaped yet. leftovers() reports every
// other child of the test process: those can only be adopted orphans.
std::mutex spawned_mutex;
std::set<pid_t> spawned;  // guarded by spawned_mutex

void forgetSpawned(pid_t pid) {
  std::scoped_lock lock{spawned_mutex};
  spawned.erase(pid);
}

// Orphans of a server we start must come to us, not to init, so that a test
// can see them and kill them. Set once per test process.
void becomeSubreaperOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) throwErrno("prctl(PR_SET_CHILD_SUBREAPER)");
  });
}

// DANGER: runs in the child between fork() and exec(). The test process may
// have other threads (holding malloc's lock, say), so only async-signal-safe
// calls are allowed here: no allocation, no iostreams, no exceptions.
[[noreturn]] void execInChild(char* const argv[], char* const envp[], int stdout_fd, int stderr_fd,
                              int max_open_files, int max_address_mib, int inherited_fd) {
  // A clean signal state: an ignored SIGPIPE would be inherited across exec
  // and hide exactly the bug the bad-input tests look for.
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGCHLD, SIGHUP}) ::signal(sig, SIG_DFL);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0) ::_exit(126);
  if (::dup2(stdout_fd, 1) < 0 || ::dup2(stderr_fd, 2) < 0) ::_exit(126);
  // Descriptors of the test (client sockets of other tests' threads, say)
  // must not leak into the server: they would keep connections open.
  ::syscall(SYS_close_range, 3U, ~0U, 0U);
  if (inherited_fd > 0) {  // pipe, dup2 and close are plain system calls: safe here
    int ends[2];
    if (::pipe(ends) != 0 || ::dup2(ends[0], inherited_fd) < 0) ::_exit(126);
    ::close(ends[0]);
    ::close(ends[1]);
  }
  if (max_open_files > 0) {  // setrlimit is a plain system call: safe here
    const rlimit limit{static_cast<rlim_t>(max_open_files), static_cast<rlim_t>(max_open_files)};
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(126);
  }
  if (max_address_mib > 0) {  // likewise
    const auto bytes = static_cast<rlim_t>(max_address_mib) << 20;
    const rlimit limit{bytes, bytes};
    if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(126);
  }
  ::execve(argv[0], argv, envp);
  ::_exit(127);  // exec failed
}

// The test process's environment minus GoogleTest's variables: GTEST_OUTPUT
// names the report the grader trusts, and the program we start (a student's
// server or client) has no business knowing where it is.
std::vector<std::string> environmentForPrograms() {
  std::vector<std::string> kept;
  for (char** entry = environ; *entry; ++entry) {
    if (std::strncmp(*entry, "GTEST_", 6) != 0) kept.emplace_back(*entry);
  }
  return kept;
}

// Forks and execs argv with the given stdout and stderr, and (if > 0) at most
// @p max_open_files descriptors and @p max_address_mib MiB of address space.
// The pid is remembered as ours until forgetSpawned.
pid_t spawnProgram(const std::vector<std::string>& args, int stdout_fd, int stderr_fd,
                   int max_open_files = 0, int max_address_mib = 0, int inherited_fd = 0) {
  std::vector<std::string> copy = args;  // execv wants char*, not const char*
  std::vector<char*> argv;
  for (std::string& arg : copy) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> environment = environmentForPrograms();
  std::vector<char*> envp;
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);

  std::scoped_lock lock{spawned_mutex};  // so leftovers() never sees it unregistered
  pid_t pid = ::fork();
  if (pid < 0) throwErrno("fork");
  if (pid == 0) execInChild(argv.data(), envp.data(), stdout_fd, stderr_fd, max_open_files, max_address_mib, inherited_fd);  // never returns
  spawned.insert(pid);
  return pid;
}

// waitpid without blocking. Returns the status once @p pid is reaped.
std::optional<int> tryReap(pid_t pid) {
  int status = 0;
  pid_t got = ::waitpid(pid, &status, WNOHANG);
  if (got == pid) return status;
  return std::nullopt;  // still running (or EINTR: try again later)
}

// Polls tryReap until @p deadline.
std::optional<int> reapBefore(pid_t pid, Clock::time_point deadline) {
  for (;;) {
    if (std::optional<int> status = tryReap(pid)) return status;
    if (Clock::now() >= deadline) return std::nullopt;  // timed out
    std::this_thread::sleep_for(5ms);
  }
}

// SIGKILL cannot be ignored, so this wait is bounded in practice.
int killAndReap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Fields of /proc/PID/stat after the "(comm)" part: state, ppid, ...
// comm may hold spaces and ')', so we cut at the last ')'.
std::optional<std::string> statAfterComm(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(file, text)) return std::nullopt;  // gone
  std::size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) return std::nullopt;
  return text.substr(close + 2);
}

std::optional<pid_t> parentOf(pid_t pid) {
  std::optional<std::string> rest = statAfterComm(pid);
  if (!rest) return std::nullopt;
  std::istringstream fields{*rest};
  char state = 0;
  pid_t ppid = 0;
  if (!(fields >> state >> ppid)) return std::nullopt;
  return ppid;
}

std::optional<pid_t> parsePid(const std::string& name) {
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc{} || end != name.data() + name.size()) return std::nullopt;
  return pid;
}

}  // namespace

std::string readFile(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<pid_t> childrenOf(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
    std::optional<pid_t> pid = parsePid(entry.path().filename().string());
    if (!pid) continue;  // not a process directory
    if (parentOf(*pid) == parent) children.push_back(*pid);
  }
  std::sort(children.begin(), children.end());
  return children;
}

std::optional<char> processState(pid_t pid) {
  std::optional<std::string> rest = statAfterComm(pid);
  if (!rest || rest->empty()) return std::nullopt;  // gone
  return (*rest)[0];
}

bool waitUntilAsleep(pid_t tid, std::chrono::milliseconds timeout) {
  return pollUntil(timeout, 1ms, [tid] { return processState(tid) == 'S'; });
}

namespace {

bool everyThreadStopped(pid_t pid) {
  std::error_code error;
  fs::directory_iterator tasks(fs::path("/proc") / std::to_string(pid) / "task", error);
  if (error) return false;
  for (const fs::directory_entry& task : tasks) {
    pid_t tid = 0;
    const std::string name = task.path().filename().string();
    std::from_chars(name.data(), name.data() + name.size(), tid);
    if (processState(tid).value_or('?') != 'T') return false;
  }
  return true;
}

// Bytes queued in the pipes @p pid holds open for reading. Each such pipe is
// opened again through /proc (a pipe opens like a FIFO) and asked FIONREAD;
// the extra read end is closed at once and never read from.
std::size_t bytesQueuedInPipesReadBy(pid_t pid) {
  std::size_t total = 0;
  const fs::path fds = fs::path("/proc") / std::to_string(pid) / "fd";
  std::error_code ignored;
  for (const fs::directory_entry& entry : fs::directory_iterator(fds, ignored)) {
    const std::string target = fs::read_symlink(entry.path(), ignored).string();
    if (target.rfind("pipe:", 0) != 0) continue;
    std::ifstream info(fds.parent_path() / "fdinfo" / entry.path().filename());
    std::string key;
    std::string flags;
    while (info >> key >> flags && key != "flags:") {}
    if (key != "flags:" || (std::stoi(flags, nullptr, 8) & O_ACCMODE) != O_RDONLY) continue;
    Fd reader{::open(entry.path().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
    int queued = 0;
    if (reader && ::ioctl(reader.get(), FIONREAD, &queued) == 0 && queued > 0) total += static_cast<std::size_t>(queued);
  }
  return total;
}

}  // namespace

bool waitUntilStopped(pid_t pid, std::chrono::milliseconds timeout) {
  return pollUntil(timeout, 1ms, [pid] { return everyThreadStopped(pid); });
}

bool waitUntilPipeHasBytesFor(pid_t pid, std::chrono::milliseconds timeout) {
  return pollUntil(timeout, 1ms, [pid] { return bytesQueuedInPipesReadBy(pid) > 0; });
}

bool waitProcessGone(pid_t pid, std::chrono::milliseconds timeout) {
  return pollUntil(timeout, 5ms, [pid] { return !processState(pid).has_value(); });
}

bool waitUntilDead(pid_t pid, std::chrono::milliseconds timeout) {
  return pollUntil(timeout, 5ms, [pid] { return processState(pid).value_or('Z') == 'Z'; });
}

std::optional<int> childExitCodeWithin(pid_t child, std::chrono::milliseconds timeout) {
  int status = 0;
  if (!pollUntil(timeout, 5ms, [&] { return ::waitpid(child, &status, WNOHANG) != 0; })) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    return std::nullopt;
  }
  return WIFEXITED(status) ? std::optional<int>{WEXITSTATUS(status)} : std::nullopt;
}

std::string describeWaitStatus(std::optional<int> status) {
  if (!status) return "did not exit in time";
  if (WIFEXITED(*status)) return "exit " + std::to_string(WEXITSTATUS(*status));
  if (WIFSIGNALED(*status)) {
    return "killed by signal " + std::to_string(WTERMSIG(*status)) + " (" +
           ::strsignal(WTERMSIG(*status)) + ")";
  }
  return "wait status " + std::to_string(*status);
}

bool exitedCleanly(std::optional<int> status) {
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

// ---------------------------------------------------------------------------
// ServerProcess
// ---------------------------------------------------------------------------

ServerProcess::ServerProcess(ServerOptions options)
    : options_{std::move(options)}, work_dir_{"cabinetd"} {
  becomeSubreaperOnce();
  data_dir_ = options_.data_dir.empty() ? work_dir_.path() / "data" : options_.data_dir;
  fs::create_directories(data_dir_);
  log_path_ = work_dir_.path() / "cabinetd.log";
  spawnServer();
  try {
    readListeningLine();
  } catch (const std::exception& e) {
    // The destructor does not run for a half-built object: clean up here.
    if (!reaped_) wait_status_ = killAndReap(pid_);
    reaped_ = true;
    forgetSpawned(pid_);
    throw std::runtime_error(std::string{e.what()} + " (" + describeWaitStatus(wait_status_) +
                             ")\n--- cabinetd log ---\n" + log());
  }
}

ServerProcess::~ServerProcess() {
  if (!reaped_) {
    wait_status_ = killAndReap(pid_);
    reaped_ = true;
    forgetSpawned(pid_);
  }
  for (pid_t stray : leftovers()) killAndReap(stray);
  if (::testing::Test::HasFailure()) {
    std::cerr << "--- cabinetd (pid " << pid_ << ", stage " << options_.stage << ", "
              << describeWaitStatus(wait_status_) << ") log ---\n"
              << log() << "--- end of log ---\n";
  }
}

void ServerProcess::spawnServer() {
  if (!options_.program.empty()) {  // another server: it gets only a port and the extra arguments
    std::vector<std::string> args = {options_.program.string(), "--port", "0"};
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    spawnWithLog(args);
    return;
  }
  std::vector<std::string> args = {cabinetdPath(), "--port", "0", "--data-dir", data_dir_.string(),
                                   "--stage", std::to_string(options_.stage)};
  auto addNumber = [&args](const char* flag, int value) {
    if (value <= 0) return;  // keep the server's default
    args.push_back(flag);
    args.push_back(std::to_string(value));
  };
  addNumber("--parcel-lockers", options_.parcel_lockers);
  addNumber("--food-slots", options_.food_slots);
  addNumber("--idle-timeout", options_.idle_timeout_s);
  if (options_.quiet) args.push_back("--quiet");
  if (!options_.staff_pin.empty()) {
    args.push_back("--staff-pin");
    args.push_back(options_.staff_pin);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  spawnWithLog(args);
}

// Starts @p args with stdout on a pipe to us (for "listening on") and stderr
// into the log file.
void ServerProcess::spawnWithLog(const std::vector<std::string>& args) {
  Pipe out = makePipe();
  Fd log_file{::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  if (!log_file) throwErrno("open(cabinetd.log)");
  pid_ = spawnProgram(args, out.write_end.get(), log_file.get(), options_.max_open_files,
                      options_.max_address_mib, options_.inherited_fd);
  stdout_pipe_ = std::move(out.read_end);
  // Our copy of the write end closes here, so a dead server reads as EOF.
}

void ServerProcess::readListeningLine() {
  Clock::time_point deadline = Clock::now() + 10s;
  std::string line;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) throw std::runtime_error("cabinetd printed no 'listening on' line in 10 s");
    pollfd waiting{stdout_pipe_.get(), POLLIN, 0};
    int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) throwErrno("poll");
    if (ready <= 0) continue;  // EINTR or timeout: the loop re-checks the deadline
    char c = 0;
    if (receiveBytes(stdout_pipe_, &c, 1) != IoStatus::kOk) {
      throw std::runtime_error("cabinetd closed stdout before 'listening on': '" + line + "'");
    }
    if (c == '\n') break;
    line += c;
  }
  static const std::regex kListening{R"(^listening on [0-9.]+:([0-9]+)\s*$)"};
  std::smatch match;
  if (!std::regex_match(line, match, kListening)) {
    throw std::runtime_error("unexpected first stdout line from cabinetd: '" + line + "'");
  }
  int port = std::stoi(match[1].str());
  if (port <= 0 || port > 65535) throw std::runtime_error("bad port in '" + line + "'");
  port_ = static_cast<std::uint16_t>(port);
}

std::string ServerProcess::stdoutAfterListening() {
  std::string rest;
  char buffer[512];
  for (;;) {  // bounded: a process still holding the pipe open cannot hang the test
    pollfd readable{stdout_pipe_.get(), POLLIN, 0};
    if (::poll(&readable, 1, 2000) <= 0) return rest + "<stdout still open after 2 s>";
    const ssize_t got = ::read(stdout_pipe_.get(), buffer, sizeof buffer);
    if (got <= 0) return rest;
    rest.append(buffer, static_cast<std::size_t>(got));
  }
}

JudgeSession ServerProcess::connect(std::chrono::milliseconds timeout) const {
  return JudgeSession{"127.0.0.1", port_, timeout};
}

std::vector<pid_t> ServerProcess::childPids() const {
  return childrenOf(pid_);
}

int ServerProcess::openFdCount() const {
  int count = 0;
  std::error_code error;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid_) + "/fd", error);
       !error && it != fs::directory_iterator{}; it.increment(error)) {
    ++count;
  }
  return error ? -1 : count;
}

bool ServerProcess::running() {
  if (!reaped_) waitExit(0ms);
  return !reaped_;
}

std::optional<int> ServerProcess::waitExit(std::chrono::milliseconds timeout) {
  if (reaped_) return wait_status_;
  std::optional<int> status = reapBefore(pid_, Clock::now() + timeout);
  if (!status) return std::nullopt;  // still running
  reaped_ = true;
  wait_status_ = status;
  forgetSpawned(pid_);
  return status;
}

std::optional<int> ServerProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (!reaped_) ::kill(pid_, signal);
  return waitExit(timeout);
}

std::vector<pid_t> ServerProcess::leftovers() {
  std::vector<pid_t> strays;
  std::scoped_lock lock{spawned_mutex};
  for (pid_t child : childrenOf(::getpid())) {
    if (!spawned.contains(child)) strays.push_back(child);
  }
  return strays;
}

void abortTest(const std::string& why) {
  std::fprintf(stderr, "FATAL: %s\n", why.c_str());
  std::vector<pid_t> ours;
  {
    std::scoped_lock lock{spawned_mutex};
    ours.assign(spawned.begin(), spawned.end());
    spawned.clear();
  }
  for (pid_t pid : ours) killAndReap(pid);
  // A dying server's children come to us (the subreaper), and theirs when
  // they die: take turns until none is left, for a bounded time.
  const Clock::time_point deadline = Clock::now() + 2s;
  for (std::vector<pid_t> strays = childrenOf(::getpid()); !strays.empty() && Clock::now() < deadline;
       strays = childrenOf(::getpid())) {
    for (pid_t stray : strays) killAndReap(stray);
  }
  std::abort();
}

std::string ServerProcess::log() const {
  return readFile(log_path_);
}

// ---------------------------------------------------------------------------
// runProgram
// ---------------------------------------------------------------------------

ProgramResult runProgram(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  Pipe out = makePipe();
  Pipe err = makePipe();
  pid_t pid = spawnProgram(argv, out.write_end.get(), err.write_end.get());
  out.write_end.reset();  // only the child writes now: EOF when it exits
  err.write_end.reset();

  ProgramResult result;
  Fd* streams[] = {&out.read_end, &err.read_end};
  std::string* sinks[] = {&result.out, &result.err};
  while ((streams[0]->valid() || streams[1]->valid()) && Clock::now() < deadline) {
    pollfd waiting[2];
    for (int i = 0; i < 2; ++i) waiting[i] = {streams[i]->get(), POLLIN, 0};  // -1 is skipped
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (::poll(waiting, 2, static_cast<int>(std::max(left, 1ms).count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (waiting[i].revents == 0) continue;
      char c = 0;  // one byte at a time: small outputs, and never blocks
      if (receiveBytes(*streams[i], &c, 1) == IoStatus::kOk) {
        *sinks[i] += c;
      } else {
        streams[i]->reset();  // EOF
      }
    }
  }
  std::optional<int> status = reapBefore(pid, deadline);
  if (!status) {
    result.timed_out = true;
    killAndReap(pid);
  } else if (WIFEXITED(*status)) {
    result.exit_code = WEXITSTATUS(*status);
  }
  forgetSpawned(pid);
  return result;
}

std::vector<pid_t> waitForChildren(const ServerProcess& server, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  std::vector<pid_t> children = server.childPids();
  while (children.size() < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
    children = server.childPids();
  }
  return children;
}

std::vector<std::string> walFilesIn(const fs::path& dir) {
  std::vector<std::string> logs;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".db-wal")) logs.push_back(name);
  }
  std::sort(logs.begin(), logs.end());
  return logs;
}

}  // namespace mc::test
