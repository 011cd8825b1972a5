/// @file bench_server.cpp
/// @brief Starting, watching and stopping the server under test.
/// Runs in: cabinet-bench's main thread (residentKib also in its progress loop).
/// Owns: the BenchServer's process and data directory.
///
/// The server's stdout comes back through a pipe, read with poll() and a
/// deadline, so a server that never prints "listening on" cannot hang the
/// bench. After that line the pipe is closed: cabinetd prints nothing more
/// on stdout. Its log (stderr) goes to /dev/null, so a line per connection
/// cannot flood the terminal or slow the server down on a full pipe.
#include "bench_server.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mc::bench {

namespace {

using Clock = std::chrono::steady_clock;

std::filesystem::path makeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cabinet-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
  return pattern;
}

// DANGER: runs in the child between fork() and exec(); only async-signal-safe calls.
[[noreturn]] void execServer(const std::vector<std::string>& words, int stdout_fd) {
  ::dup2(stdout_fd, STDOUT_FILENO);
  const int null_fd = ::open("/dev/null", O_WRONLY);
  if (null_fd >= 0) ::dup2(null_fd, STDERR_FILENO);
  std::vector<char*> argv;
  for (const std::string& word : words) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);  // exec failed
}

// Reads stdout until a line "listening on HOST:PORT" or the deadline.
// @return the port, or 0.
std::uint16_t awaitListeningLine(int fd, Clock::time_point deadline) {
  std::string seen;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return 0;  // timed out
    pollfd pfd{fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return 0;
    char buffer[256];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;  // the server closed stdout: it died
    seen.append(buffer, static_cast<std::size_t>(n));
    const auto at = seen.find("listening on ");
    const auto end = seen.find('\n', at);
    if (at == std::string::npos || end == std::string::npos) continue;
    const std::string line = seen.substr(at, end - at);
    const auto colon = line.rfind(':');
    return static_cast<std::uint16_t>(std::atoi(line.c_str() + colon + 1));
  }
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// waitpid without blocking, polled until @p deadline. @return true if reaped.
bool reapBefore(pid_t pid, Clock::time_point deadline, int& status) {
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR) return true;  // not our child any more
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

long vmRssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;  // gone, or a zombie
}

// Every process's parent, from /proc/*/stat (field 4).
std::multimap<pid_t, pid_t> childrenByParent() {
  std::multimap<pid_t, pid_t> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return children;
  while (const dirent* entry = ::readdir(proc)) {
    const pid_t pid = std::atoi(entry->d_name);
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');  // the name may hold spaces and parentheses
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    char state = 0;
    pid_t parent = 0;
    rest >> state >> parent;
    children.emplace(parent, pid);
  }
  ::closedir(proc);
  return children;
}

long residentTree(pid_t pid, const std::multimap<pid_t, pid_t>& children) {
  long total = vmRssKib(pid);
  const auto [first, last] = children.equal_range(pid);
  for (auto it = first; it != last; ++it) total += residentTree(it->second, children);
  return total;
}

}  // namespace

BenchServer::BenchServer(const std::filesystem::path& program, std::vector<std::string> args, bool with_data_dir,
                         std::chrono::milliseconds timeout) {
  std::vector<std::string> words{program.string()};
  words.insert(words.end(), args.begin(), args.end());
  words.insert(words.end(), {"--port", "0"});
  if (with_data_dir) {
    data_dir_ = makeTempDir();
    words.insert(words.end(), {"--data-dir", data_dir_.string()});
  }
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  if (pid_ == 0) execServer(words, out[1]);
  ::close(out[1]);
  port_ = awaitListeningLine(out[0], Clock::now() + timeout);
  ::close(out[0]);  // the server prints nothing more on stdout
  if (port_ == 0) {
    const std::string how = stop(std::chrono::seconds(1));
    std::error_code ignored;
    std::filesystem::remove_all(data_dir_, ignored);
    throw std::runtime_error(program.string() + " did not start listening (" + how + ")");
  }
}

BenchServer::~BenchServer() {
  stop();
  std::error_code ignored;
  if (!data_dir_.empty()) std::filesystem::remove_all(data_dir_, ignored);
}

std::string BenchServer::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return "not running";
  int status = 0;
  ::kill(pid_, SIGTERM);
  if (!reapBefore(pid_, Clock::now() + grace, status)) {
    ::kill(pid_, SIGKILL);  // it ignored SIGTERM for too long
    reapBefore(pid_, Clock::now() + std::chrono::seconds(5), status);
  }
  pid_ = -1;
  return describe(status);
}

long residentKib(pid_t pid) { return pid > 0 ? residentTree(pid, childrenByParent()) : 0; }

long raiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return static_cast<long>(limit.rlim_cur);
}

}  // namespace mc::bench
