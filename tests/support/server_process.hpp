/// @file server_process.hpp
/// @brief ServerProcess: a real cabinetd started for one test, on a free port,
/// with a temporary data directory; plus the /proc helpers the tests use to
/// look at its processes.
/// Runs in: the e2e test process. Owns: the server's pid until reaped, the
/// read end of its stdout pipe, and a temporary work directory (log, data).
///
/// Usage:
///   mc::test::ServerProcess server({.stage = 3});
///   mc::test::JudgeSession session = server.connect();
///   ...
///   EXPECT_EQ(server.stop(SIGTERM), 0);   // exit status 0 within 5 s
///
/// Every wait here has a deadline: a server that hangs fails the test, it
/// never hangs ctest. The destructor SIGKILLs and reaps whatever is still
/// running, and prints the server's log when the current test has failed.
///
/// The test process makes itself a "child subreaper" (prctl): a service child
/// the server forgot to stop is re-parented to the test instead of to init, so
/// leftovers() can see it (and the destructor can kill it) deterministically.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "judge.hpp"
#include "fd.hpp"

namespace mc::test {

using namespace std::chrono_literals;

/// The staff PIN every test server gets (--staff-pin) unless a test says
/// otherwise; test_client.hpp's status() and restock() send it.
inline constexpr const char* kTestStaffPin = "4242";

/// @brief Path of the cabinetd under test (the MC_CABINETD compile definition).
const char* cabinetdPath();
/// @brief Path of the cabinet client under test (MC_CABINET).
const char* cabinetPath();

/// A directory made with mkdtemp and removed, with its contents, on destruction.
class TempDir {
 public:
  /// @brief Creates /tmp/mc-<tag>-XXXXXX. @throws std::system_error (mkdtemp).
  explicit TempDir(const std::string& tag = "test");
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  /// @brief The directory's path.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;  // empty once moved from
};

/// How to start cabinetd. Zero means "leave the server's default".
struct ServerOptions {
  int stage = 4;             ///< --stage 1..4
  int parcel_lockers = 0;    ///< --parcel-lockers N
  int food_slots = 0;        ///< --food-slots N
  int idle_timeout_s = 0;    ///< --idle-timeout S
  bool quiet = true;         ///< --quiet: keeps logs of load tests short
  std::filesystem::path data_dir;  ///< empty: a fresh directory of our own
  std::string staff_pin = kTestStaffPin;  ///< --staff-pin PIN; empty: none (staff commands FORBIDDEN)
  /// RLIMIT_NOFILE (soft and hard) of the server, set between fork and exec,
  /// so a test can run it out of descriptors; 0 = inherit the test's limit.
  int max_open_files = 0;
  /// RLIMIT_AS of the server in MiB, set the same way, so a test can run it
  /// out of memory for thread stacks; 0 = inherit. (Not under a sanitizer:
  /// its shadow memory alone is terabytes of address space.)
  int max_address_mib = 0;
  /// > 0: the server starts with this descriptor open, not close-on-exec (the
  /// read end of a pipe of its own), as a shell or a test harness may leave
  /// one. Lab 3: no service child may keep it.
  int inherited_fd = 0;
  std::vector<std::string> extra_args;  ///< appended to the command line as they are
  /// Empty: cabinetd. Otherwise another server of our protocol (cabinet-echo, cabinetd-floor):
  /// it is started with `--port 0` and extra_args only, and must print the same
  /// "listening on" line; of the options above only max_open_files applies.
  std::filesystem::path program;
};

/// One running cabinetd (or, with ServerOptions::program, another server of
/// our protocol). Neither copyable nor movable,
/// because the destructor must reap exactly once. Not thread-safe: use it
/// from the test's main thread (clients on other threads only need port()).
class ServerProcess {
 public:
  /// @brief Starts cabinetd and waits (10 s at most) for its first stdout
  /// line, "listening on 127.0.0.1:PORT".
  /// @throws std::runtime_error, with the server's log, if it does not start.
  explicit ServerProcess(ServerOptions options = {});
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  /// @brief SIGKILLs and reaps the server if still running, kills any stray
  /// re-parented child, prints the log if the test failed, removes the work dir.
  ~ServerProcess();

  /// @brief The server's pid (still valid as a number after it is reaped).
  pid_t pid() const { return pid_; }
  /// @brief The TCP port the server reported.
  std::uint16_t port() const { return port_; }
  /// @brief The --data-dir the server was given.
  const std::filesystem::path& dataDir() const { return data_dir_; }
  /// @brief The options it was started with.
  const ServerOptions& options() const { return options_; }

  /// @brief A new client connection to this server.
  /// @throws std::system_error if connecting fails.
  JudgeSession connect(std::chrono::milliseconds timeout = 10s) const;

  /// @brief Pids of the server's child processes right now (zombies included).
  std::vector<pid_t> childPids() const;
  /// @brief Number of open descriptors of the server (/proc/PID/fd).
  int openFdCount() const;

  /// @brief True until the server has been reaped (by waitExit or stop).
  bool running();
  /// @brief Waits up to @p timeout for the server to exit, and reaps it.
  /// @return its wait status (as from waitpid), or nullopt on timeout.
  std::optional<int> waitExit(std::chrono::milliseconds timeout);
  /// @brief Sends @p signal and waits for the exit like waitExit.
  std::optional<int> stop(int signal = SIGTERM, std::chrono::milliseconds timeout = 5s);

  /// @brief Processes re-parented to the test process (the server's orphans):
  /// empty when the server stopped and reaped all its children. Zombies count.
  static std::vector<pid_t> leftovers();

  /// @brief Everything the server wrote to stderr so far.
  std::string log() const;
  /// @brief What the server wrote to stdout after its "listening on" line,
  /// read to the end: call once it has exited (waitExit or stop).
  std::string stdoutAfterListening();

 private:
  void spawnServer();
  void spawnWithLog(const std::vector<std::string>& args);
  void readListeningLine();

  ServerOptions options_;
  TempDir work_dir_;                 // holds the log and (by default) the data
  std::filesystem::path data_dir_;
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::optional<int> wait_status_;  // set once reaped
  Fd stdout_pipe_;                   // read end of the server's stdout
  std::uint16_t port_ = 0;
};

/// @brief Ends the test process now, for a wait that ran out on a thread the
/// test can neither join nor walk away from (a hung client thread; a
/// std::async whose future would wait for it in its destructor, await.hpp).
/// Prints "FATAL: @p why", SIGKILLs and reaps every process the harness
/// started and the orphans they leave to us, then aborts. A plain abort would
/// leave a student's server and its children running under init, listening.
[[noreturn]] void abortTest(const std::string& why);

/// @brief The whole content of @p path ("" if it cannot be read).
std::string readFile(const std::filesystem::path& path);

/// @brief "exit 0", "killed by signal 9", ... for failure messages.
std::string describeWaitStatus(std::optional<int> status);
/// @brief True when @p status is a normal exit with code 0.
bool exitedCleanly(std::optional<int> status);

/// @brief Pids whose parent is @p parent, from /proc/*/stat (zombies included).
std::vector<pid_t> childrenOf(pid_t parent);
/// @brief The state letter of @p pid ('R', 'S', 'Z', ...), nullopt if gone.
std::optional<char> processState(pid_t pid);

/// @brief Asks @p done every @p every until it says true, for at most
/// @p limit: the one polling loop of the tests' waits.
/// @return true once it did, false if the time ran out.
template <typename Done>
bool pollUntil(std::chrono::milliseconds limit, std::chrono::milliseconds every, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
  return true;
}

/// @brief Waits up to @p timeout until @p tid (a process, or a thread of
/// ours: /proc/TID works for both) is asleep, state 'S': blocked in a system
/// call. How a test knows a signal or a post will find it waiting, not on its
/// way there. @return true once it sleeps.
bool waitUntilAsleep(pid_t tid, std::chrono::milliseconds timeout);
/// @brief Waits up to @p timeout until every thread of @p pid is stopped
/// (state 'T', after SIGSTOP). kill() only queues the signal: a thread woken
/// by it may still take data that arrives before it stops.
/// @return true once all are.
bool waitUntilStopped(pid_t pid, std::chrono::milliseconds timeout);
/// @brief Waits up to @p timeout until bytes are queued in a pipe that
/// @p pid holds open for reading: how a test knows a request was written to a
/// (stopped) service child and is waiting there, not still on its way.
/// @return true once some are.
bool waitUntilPipeHasBytesFor(pid_t pid, std::chrono::milliseconds timeout);
/// @brief Waits up to @p timeout until @p pid has no /proc entry at all
/// (exited and reaped). @return true if it is gone.
bool waitProcessGone(pid_t pid, std::chrono::milliseconds timeout);
/// @brief Waits up to @p timeout until @p pid is dead: a zombie not reaped
/// yet (a killed server's children become the test's, as subreaper, and
/// stay zombies until reaped), or gone. @return true if it is.
bool waitUntilDead(pid_t pid, std::chrono::milliseconds timeout);
/// @brief Waits up to @p timeout for @p child, a process the test forked
/// itself, to exit, and reaps it. @return its exit code; nullopt if a signal
/// killed it or it did not exit in time (it is then killed and reaped too:
/// no test leaves a child behind).
std::optional<int> childExitCodeWithin(pid_t child, std::chrono::milliseconds timeout);

/// @brief The server's children once there are @p count of them (they may
/// still be starting when "listening on" is printed), or what there is after
/// 3 s.
std::vector<pid_t> waitForChildren(const ServerProcess& server, std::size_t count);

/// @brief Names of the SQLite write-ahead logs (`*.db-wal`) in @p dir, a
/// server's data directory. A database in WAL mode deletes its log when its
/// process closes it; a process killed with the database open (a service
/// child SIGKILLed at shutdown) leaves the log behind. So after a clean stop
/// the list is empty: every service closed its database by itself.
std::vector<std::string> walFilesIn(const std::filesystem::path& dir);

/// Outcome of runProgram.
struct ProgramResult {
  std::optional<int> exit_code;  ///< nullopt if killed or timed out
  bool timed_out = false;
  std::string out;  ///< all of its stdout
  std::string err;  ///< all of its stderr
};

/// @brief Runs @p argv (argv[0] is a path) with stdin from /dev/null,
/// collects its output, kills it after @p timeout.
ProgramResult runProgram(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = 10s);

/// A test suite run once per server stage: GetParam() is the stage (see
/// labStages() in test_client.hpp), options() a server of that stage.
/// Each suite derives its own fixture from it, e.g.
/// `class Functional : public StageTest {};`
class StageTest : public ::testing::TestWithParam<int> {
 protected:
  /// @brief Default options for a server of this test's stage.
  ServerOptions options() const {
    ServerOptions options;
    options.stage = GetParam();
    return options;
  }
};

}  // namespace mc::test
