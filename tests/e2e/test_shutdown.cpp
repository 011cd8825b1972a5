/// @file test_shutdown.cpp
/// @brief SIGTERM and SIGINT while 32 clients are busy: cabinetd exits 0
/// within 5 s, leaves no process and no /dev/shm file behind (and no
/// write-ahead log: every service stopped by itself), and every
/// request in flight gets its reply or a clean close, never a hang.
/// Runs in: the e2e test process: the main thread signals the server while
/// client threads keep it busy.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kClients = 32;
// A call must end this soon after the signal: a reply, or the connection closing.
constexpr auto kNoHangLimit = 6s;

std::set<std::string> sharedMemoryFiles() {
  std::set<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm", error)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

// /dev/shm is shared by every process on the machine: another server (a
// grader running elsewhere, a second test run) may create objects meanwhile.
// An object whose name carries a process id that is not our server's or one
// of its children's belongs to that other server, not to ours.
bool namesAnotherProcess(const std::string& name, pid_t server, const std::vector<pid_t>& children) {
  for (std::size_t at = 0; at < name.size();) {
    if (!std::isdigit(static_cast<unsigned char>(name[at]))) { ++at; continue; }
    std::size_t end = at;
    while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
    if (end - at >= 3 && end - at <= 9) {  // short numbers are slot or service numbers, not pids
      const long number = std::stol(name.substr(at, end - at));
      const bool ours = number == server || std::find(children.begin(), children.end(), number) != children.end();
      if (!ours) return true;
    }
    at = end;
  }
  return false;
}

/// What the clients saw, shared with the main thread.
struct LoadState {
  std::atomic<bool> stop{false};        ///< set by the main thread at the end
  std::atomic<int> replies{0};          ///< replies received, all clients
  std::atomic<bool> signalled{false};   ///< the server has been sent the signal
  std::atomic<Clock::rep> signal_time{0};

  std::mutex mutex;
  std::condition_variable changed;
  int finished = 0;                    // guarded by mutex
  std::vector<std::string> problems;   // guarded by mutex

  void problem(std::string what) {
    std::scoped_lock lock{mutex};
    if (problems.size() < 20) problems.push_back(std::move(what));
  }
};

// Commands that are fine to repeat under load, each with its acceptable outcomes.
Request loadRequest(int client, int step) {
  switch ((client + step) % 4) {
    case 0: return depositParcel(static_cast<std::uint32_t>(client));
    case 1: return buy("A2", static_cast<std::uint32_t>(client));
    case 2: return listProducts();
    default: return status();
  }
}

bool acceptableUnderShutdown(Status status) {
  // FULL and OUT_OF_STOCK are normal answers to this load; UNAVAILABLE and
  // BUSY are polite refusals from a server on its way out.
  return status == Status::kOk || status == Status::kFull || status == Status::kOutOfStock ||
         status == Status::kUnavailable || status == Status::kBusy;
}

// One client: calls until the server goes away (or the test says stop).
void runClient(int id, std::uint16_t port, LoadState& state) {
  try {
    JudgeSession session{"127.0.0.1", port, 10s};
    for (int step = 0; !state.stop; ++step) {
      Request request = loadRequest(id, step);
      Command command = request.command;
      JudgeSession::Result result = session.call(std::move(request));
      Clock::time_point ended = Clock::now();
      if (state.signalled) {
        Clock::time_point signalled{Clock::duration{state.signal_time.load()}};
        if (ended - signalled > kNoHangLimit) {
          state.problem("client " + std::to_string(id) + ": a call hung past the shutdown");
        }
      }
      if (!result.ok) {
        // Before the signal nothing may fail; after it, a clean close is the end.
        if (!state.signalled) state.problem("client " + std::to_string(id) + ": " + result.error);
        break;
      }
      if (result.reply.command != command || !acceptableUnderShutdown(result.reply.status)) {
        state.problem("client " + std::to_string(id) + ": " + describe(result));
      }
      ++state.replies;
    }
  } catch (const std::exception& e) {
    // connect() refused: the server already stopped listening. Fine after the signal.
    if (!state.signalled) state.problem("client " + std::to_string(id) + ": " + e.what());
  }
  std::scoped_lock lock{state.mutex};
  ++state.finished;
  state.changed.notify_all();
}

// After a clean exit: every service closed its database by itself. A service
// child that had to be SIGKILLed (it did not stop when asked, or was never
// asked) leaves its database's write-ahead log behind (walFilesIn).
void expectEveryServiceClosedItsDatabase(const ServerProcess& server) {
  EXPECT_EQ(walFilesIn(server.dataDir()), std::vector<std::string>{})
      << "a write-ahead log was left: a service was killed at shutdown instead of stopping by itself. "
         "Each child must be asked to stop (stage 3: end of file on its request pipe; stage 4: stopping "
         "set, THEN the doorbell rung) and given its grace by reapWithin; a child that is SIGKILLed closes "
         "no database. Known mistake: stage 4 doorbell rung without setting stopping (or before it); see "
         "labs/05-shutdown-recovery/README.md, 'Classic mistakes'";
}

class Shutdown : public ::testing::TestWithParam<int> {
 protected:
  void shutDownUnderLoad(int signal);
};

void Shutdown::shutDownUnderLoad(int signal) {
  const std::set<std::string> shm_before = sharedMemoryFiles();
  ServerOptions options;
  options.stage = GetParam();
  options.parcel_lockers = 100;
  ServerProcess server{options};
  ASSERT_TRUE(isServed(server.port()));
  std::vector<pid_t> children = server.childPids();
  const pid_t server_pid = server.pid();

  LoadState state;
  std::vector<std::thread> threads;
  for (int id = 0; id < kClients; ++id) {
    threads.emplace_back(runClient, id, server.port(), std::ref(state));
  }
  // Wait for real load: replies flowing (stage 1 serves one client at a time).
  Clock::time_point load_deadline = Clock::now() + 5s;
  while (state.replies < 200 && Clock::now() < load_deadline) std::this_thread::sleep_for(5ms);
  EXPECT_GT(state.replies.load(), 0) << "no client was served before the signal";

  state.signal_time = Clock::now().time_since_epoch().count();
  state.signalled = true;
  Clock::time_point signalled = Clock::now();
  std::optional<int> exit = server.stop(signal, 5s);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - signalled);
  EXPECT_TRUE(exitedCleanly(exit))
      << "after " << ::strsignal(signal) << ": " << describeWaitStatus(exit) << " (" << took.count()
      << " ms), where exit 0 within 5 s is asked. The handler writes the stop pipe; the accept loop and the "
         "stop forwarder both see it (nobody drains it); Server::shutDown closes the listener, waits for "
         "the connection threads (3 s at most), destroys the dispatcher (which stops and reaps the "
         "children) and returns 0. Known mistakes: a handler that reads the stop pipe, or a loop that "
         "drains it; waiting for connection threads without a bound; see "
         "labs/05-shutdown-recovery/README.md, 'Classic mistakes'";
  // A server deaf to the signal still answers, and its clients would go on
  // until the wait below gives up: end it, so they end and the test reports.
  if (!exit) server.stop(SIGKILL, 5s);

  // Clients end by themselves once the server is gone; bound that too.
  {
    std::unique_lock lock{state.mutex};
    bool done = state.changed.wait_for(lock, 20s, [&] { return state.finished == kClients; });
    if (!done) {
      // We cannot join a hung thread: fail at once instead of hanging.
      abortTest(std::to_string(kClients - state.finished) + " client threads hung after the server exited");
    }
  }
  state.stop = true;
  for (std::thread& thread : threads) thread.join();

  for (const std::string& problem : state.problems) ADD_FAILURE() << problem;
  const char* kReapAtExit = ": the dispatcher's destructor stops every child and reaps each with reapWithin. "
                            "Known mistake: children not reaped at exit; see "
                            "labs/05-shutdown-recovery/README.md, 'Classic mistakes'";
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "processes left behind" << kReapAtExit;
  for (pid_t child : children) {
    EXPECT_FALSE(processState(child).has_value()) << "service child " << child << " survived" << kReapAtExit;
  }
  std::set<std::string> shm_after = sharedMemoryFiles();
  for (const std::string& name : shm_after) {
    if (shm_before.contains(name) || namesAnotherProcess(name, server_pid, children)) continue;
    ADD_FAILURE() << "/dev/shm/" << name << " left behind: semaphores live in anonymous shared memory "
                  << "(mapShared), which has no name and leaves nothing behind; a named semaphore "
                  << "(sem_open) stays in /dev/shm unless unlinked";
  }
  if (exitedCleanly(exit)) expectEveryServiceClosedItsDatabase(server);
}

TEST_P(Shutdown, SigtermUnderLoad) { shutDownUnderLoad(SIGTERM); }

TEST_P(Shutdown, SigintUnderLoad) { shutDownUnderLoad(SIGINT); }

TEST_P(Shutdown, IdleServerStopsAtOnce) {
  ServerOptions options;
  options.stage = GetParam();
  ServerProcess server{options};
  JudgeSession idle = server.connect();  // an open, silent connection must not delay the exit
  Clock::time_point signalled = Clock::now();
  std::optional<int> exit = server.stop(SIGTERM, 5s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - signalled);
  // The one connection waits for a request in read(): only its socket, shut for reading, wakes it.
  const char* kWake = ". An open, silent connection waits in read() and hears no pipe: the stop forwarder "
                      "(given) shuts every socket on OpenConnections for reading, the read sees end of file "
                      "and serveConnection returns (lab 1)";
  EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit) << " after " << took.count() << " ms" << kWake;
  EXPECT_LT(took, 3s) << "an idle server took " << took.count() << " ms to stop after SIGTERM" << kWake;
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "processes left behind (are the children reaped at exit?)";
  if (exitedCleanly(exit)) expectEveryServiceClosedItsDatabase(server);
}

// A client that writes requests without ever waiting for a reply: its
// requests are always queued on the server's side of the socket, so the
// connection's read never waits and never sees the stop's end of file by
// waiting. The server must still stop in time and exit 0. (The loop's
// closing() check bounds this; and Linux, as measured here, takes in only
// about one receive buffer more on a socket shut for reading. Lab 1's
// NoRequestIsReadOnceTheServerIsClosing checks closing() itself.)
TEST_P(Shutdown, ClientThatNeverPausesCannotHoldTheServer) {
  ServerOptions options;
  options.stage = GetParam();
  ServerProcess server{options};
  const Fd socket = connectRaw(server.port(), 2s);  // every read and write of ours is bounded

  Bytes burst;
  for (int i = 0; i < 64; ++i) {
    Request request = listProducts();
    request.request_id = static_cast<std::uint32_t>(i + 1);
    const Bytes frame = judgeFrame(request);
    burst.insert(burst.end(), frame.begin(), frame.end());
  }
  std::atomic<bool> done{false};
  std::atomic<std::size_t> replied{0};
  std::thread writer{[&] {
    while (!done && sendBytes(socket, burst)) {
    }
  }};
  std::thread reader{[&] {
    char sink[4096];
    for (;;) {
      const ssize_t got = ::recv(socket.get(), sink, sizeof sink, 0);
      if (got <= 0 && !(got < 0 && errno == EINTR)) break;  // closed, reset or 2 s of silence
      if (got > 0) replied += static_cast<std::size_t>(got);
    }
  }};
  const Clock::time_point flowing = Clock::now() + 5s;
  while (replied < 64 * 1024 && Clock::now() < flowing) std::this_thread::sleep_for(5ms);
  EXPECT_GE(replied.load(), 64u * 1024) << "the flood was not being served (" << replied.load()
                                        << " bytes of replies in 5 s)";

  const Clock::time_point signalled = Clock::now();
  const std::optional<int> exit = server.stop(SIGTERM, 5s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - signalled);
  done = true;
  ::shutdown(socket.get(), SHUT_RDWR);  // wakes our own reader and writer, whatever happened
  writer.join();
  reader.join();
  EXPECT_TRUE(exitedCleanly(exit))
      << describeWaitStatus(exit) << " after " << took.count()
      << " ms: a connection that is always busy held the server. Linux still delivers the data queued on "
         "a socket shut for reading, so serveConnection must check connections.closing() before each "
         "request. Known mistake: serveConnection without its closing() check (lab 1); see "
         "labs/05-shutdown-recovery/README.md, 'Classic mistakes'";
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "processes left behind (are the children reaped at exit?)";
}

INSTANTIATE_TEST_SUITE_P(Stages, Shutdown, ::testing::ValuesIn(labStages()), stageName);

}  // namespace
}  // namespace mc::test
