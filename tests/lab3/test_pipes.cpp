/// @file test_pipes.cpp
/// @brief Lab 3: fork and pipes. A service child reads requests from its pipe
/// and answers on the other; it sees end of file as soon as the server closes
/// its end (so no other process may hold a copy); children are reaped; the
/// server keeps only its own pipe ends, and a write to a dead child's pipe
/// fails with EPIPE instead of killing the server (SIGPIPE ignored).
/// Runs in: the lab 3 test process, which forks service children itself.
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "await.hpp"
#include "child_process.hpp"
#include "pipe_dispatcher.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "server_process.hpp"
#include "service_child.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using namespace std::chrono_literals;

// Waits (bounded) for @p child to exit by itself; never kills it.
bool exitsWithin(ChildProcess& child, std::chrono::milliseconds timeout) {
  return pollUntil(timeout, 5ms, [&child] { return child.tryReap(); });
}

// Open pipe descriptors of this process (/proc/self/fd links "pipe:[...]").
// Only pipes are counted: a sanitizer's runtime may open files of its own.
int openPipeCount() {
  int count = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    char target[64] = {};
    const std::string link = std::string("/proc/self/fd/") + entry->d_name;
    if (::readlink(link.c_str(), target, sizeof target - 1) > 0 && std::string_view(target).starts_with("pipe:"))
      ++count;
  }
  ::closedir(dir);
  return count;
}

// readExactly on a pipe has no timeout (SO_RCVTIMEO is for sockets), so a
// child that never answers would hang the test: wait for the reply's first
// byte with poll, bounded, and only then read the whole record.
IoStatus readReplyWithin(const Fd& replies, ReplyRecord& record, std::chrono::milliseconds timeout) {
  pollfd ready{replies.get(), POLLIN, 0};
  if (::poll(&ready, 1, static_cast<int>(timeout.count())) != 1) return IoStatus::kTimedOut;
  return readExactly(replies, &record, sizeof record);
}

// Ignores SIGPIPE for one test, as cabinetd does (ignoreSigpipe), so that
// writing to a dead child's pipe is EPIPE, not the death of the test
// process, whatever ignoreSigpipe does: that test is about the pipe ends
// alone (SigpipeNoLongerKills checks ignoreSigpipe).
class ScopedIgnoreSigpipe {
 public:
  ScopedIgnoreSigpipe() { old_ = ::signal(SIGPIPE, SIG_IGN); }
  ~ScopedIgnoreSigpipe() { ::signal(SIGPIPE, old_); }
  ScopedIgnoreSigpipe(const ScopedIgnoreSigpipe&) = delete;
  ScopedIgnoreSigpipe& operator=(const ScopedIgnoreSigpipe&) = delete;

 private:
  sighandler_t old_;
};

/// A parcel child started the way PipeDispatcher starts one.
struct PipeChild {
  Fd requests;  // server's write end
  Fd replies;   // server's read end
  std::unique_ptr<ChildProcess> child;
};

PipeChild startParcelChild(const ServiceOptions& options) {
  Pipe requests = makePipe();
  Pipe replies = makePipe();
  PipeChild started;
  started.child = spawnServiceChild(Service::kParcel, {requests.read_end.get(), replies.write_end.get()}, [&] {
    auto state = openServiceState(Service::kParcel, options);
    return runPipeChild(*state, requests.read_end, replies.write_end);
  });
  started.requests = std::move(requests.write_end);
  started.replies = std::move(replies.read_end);
  return started;
}

class Lab3Pipes : public ::testing::Test {
 protected:
  TempDir data_{"lab3"};
  ServiceOptions options() const {
    ServiceOptions options;
    options.data_dir = data_.path();
    return options;
  }
};

// Sends @p request to @p child and waits (10 s at most) for its reply.
// @return the reply, or a note of what went wrong.
std::optional<Reply> askChild(const PipeChild& child, const RequestRecord& request, std::string& trouble) {
  if (!writeAll(child.requests, &request, sizeof request)) {
    trouble = "the request pipe is closed: writeAll of the request record failed, so no process holds "
              "its read end any more (did the child exit? runPipeChild must keep reading records until "
              "end of file)";
    return std::nullopt;
  }
  ReplyRecord record;
  if (const IoStatus got = readReplyWithin(child.replies, record, 10s); got != IoStatus::kOk) {
    trouble = std::string{"no reply from the child (reading the reply record: "} + ioStatusName(got) +
              "): runPipeChild must answer every record it reads with exactly one packed ReplyRecord, "
              "written whole with writeAll";
    return std::nullopt;
  }
  std::optional<Reply> reply = unpackReply(record);
  if (!reply) trouble = "a corrupt reply record: runPipeChild must write packReply(reply), the whole record";
  return reply;
}

// Why a child may not have exited at end of file, for the exit checks below.
constexpr const char* kExitAtEof =
    ": once the server closes its write end of the request pipe, runPipeChild's readExactly sees end "
    "of file between records (kClosed) and must return 0, and the child _exit with it. A child that "
    "never sees end of file still has a write end of that pipe open somewhere: keepOnlyDescriptors must "
    "close every descriptor it was not asked to keep. Known mistake: no keepOnlyDescriptors (or an "
    "off-by-one in a range); see labs/03-fork-pipes/README.md, 'Classic mistakes'";

TEST_F(Lab3Pipes, ChildAnswersARequestThroughThePipes) {
  PipeChild parcel = startParcelChild(options());
  std::string trouble;
  std::optional<Reply> reply = askChild(parcel, packRequest(depositParcel(), 0), trouble);
  ASSERT_TRUE(reply.has_value()) << "a parcel deposit sent to a fresh parcel child: " << trouble;
  EXPECT_EQ(reply->status, Status::kOk) << "the child's reply to a parcel deposit: " << *reply;
  EXPECT_EQ(reply->served_by.pid, static_cast<std::uint32_t>(parcel.child->pid()))
      << "the reply must come from the child process: the child runs the request on its ServiceState "
         "and answers it itself";
  parcel.requests.reset();
  EXPECT_TRUE(exitsWithin(*parcel.child, 5s)) << "the child did not exit within 5 s" << kExitAtEof;
}

// A record the child cannot unpack still gets exactly one reply, naming the
// request it answers, and the child goes on serving.
TEST_F(Lab3Pipes, CorruptRecordIsAnsweredBadRequestAndTheChildGoesOn) {
  PipeChild parcel = startParcelChild(options());
  RequestRecord corrupt = packRequest(depositParcel(), 0);
  corrupt.command = 0;  // no such command
  corrupt.request_id = 77;
  std::string trouble;
  std::optional<Reply> refused = askChild(parcel, corrupt, trouble);
  ASSERT_TRUE(refused.has_value())
      << "a corrupt record (command 0): " << trouble
      << ". A record that does not unpack still gets exactly one answer, refuseCorruptRequest's: the "
         "server is waiting for it. Known mistake: a corrupt record is dropped, not answered; see "
         "labs/03-fork-pipes/README.md, 'Classic mistakes'";
  EXPECT_EQ(refused->status, Status::kBadRequest)
      << "the answer to a corrupt record must be refuseCorruptRequest's BAD_REQUEST: " << *refused;
  EXPECT_EQ(refused->request_id, 77U) << "the refusal must keep the record's request id (refuseCorruptRequest)";

  std::optional<Reply> reply = askChild(parcel, packRequest(depositParcel(), 0), trouble);
  ASSERT_TRUE(reply.has_value())
      << "the next record, after a corrupt one: " << trouble
      << ". After answering a corrupt record, runPipeChild goes on reading records";
  EXPECT_EQ(reply->status, Status::kOk) << "the child's reply to a parcel deposit after a corrupt record: " << *reply;
  parcel.requests.reset();
  EXPECT_TRUE(exitsWithin(*parcel.child, 5s)) << "the child did not exit within 5 s" << kExitAtEof;
}

TEST_F(Lab3Pipes, ChildExitsAtEndOfFile) {
  PipeChild parcel = startParcelChild(options());
  parcel.requests.reset();  // the server's only copy of the write end
  ASSERT_TRUE(exitsWithin(*parcel.child, 5s))
      << "the child never saw end of file on its request pipe (not exited 5 s after the server closed "
         "its end)"
      << kExitAtEof;
  EXPECT_TRUE(WIFEXITED(parcel.child->waitStatus()))
      << "the child ended by a signal, not by _exit: " << describeWaitStatus(parcel.child->waitStatus());
  EXPECT_EQ(WEXITSTATUS(parcel.child->waitStatus()), 0)
      << "end of file between records is the normal way to stop: runPipeChild returns 0, and the child "
         "_exit(0)s (ChildProcess: _exit with the body's result)";
}

// The classic: the second child inherits the first child's pipe ends. If it
// does not close them, the first child never sees end of file.
TEST_F(Lab3Pipes, SiblingDoesNotKeepMyPipeOpen) {
  PipeChild first = startParcelChild(options());
  // Its own data directory: a service holds its database file exclusively,
  // so two parcel children on one file would wait for each other.
  ServiceOptions elsewhere = options();
  elsewhere.data_dir /= "second";
  std::filesystem::create_directories(elsewhere.data_dir);
  PipeChild second = startParcelChild(elsewhere);
  first.requests.reset();
  EXPECT_TRUE(exitsWithin(*first.child, 5s))
      << "the first child never saw end of file: the second child holds a copy of its pipe. fork() "
         "copies every descriptor, so the second child starts with the write end of the first child's "
         "request pipe; keepOnlyDescriptors (run first thing in every child) must close it"
      << kExitAtEof;
  second.requests.reset();
  EXPECT_TRUE(exitsWithin(*second.child, 5s)) << "the second child did not exit within 5 s" << kExitAtEof;
}

// The server's half of end of file: holding only its own pipe ends, the
// server finds a dead child as EPIPE on the request pipe (or end of file on
// the reply pipe), and the request ends UNAVAILABLE. A server that kept the
// child's ends would be a reader and a writer of those pipes itself, and
// would wait for the reply forever.
TEST_F(Lab3Pipes, RequestToADeadChildEndsUnavailable) {
  ScopedIgnoreSigpipe ignore;
  PipeDispatcher dispatcher(options());
  const Reply first = dispatcher.dispatch(Service::kParcel, depositParcel());
  ASSERT_EQ(first.status, Status::kOk) << "PipeDispatcher::dispatch of a parcel deposit to a live child: " << first;
  const auto child = static_cast<pid_t>(first.served_by.pid);
  ASSERT_EQ(::kill(child, SIGKILL), 0) << "the reply named pid " << child
                                       << " as its server, which is no process (served_by must be the child's)";
  ASSERT_TRUE(waitUntilDead(child, 5s)) << "the parcel child did not die";
  auto after = std::async(std::launch::async, [&] { return dispatcher.dispatch(Service::kParcel, depositParcel()); });
  awaitOrAbort(after, 10s, "a request to a dead child (does the server hold the child's pipe ends?)");
  const Reply refused = after.get();
  EXPECT_EQ(refused.status, Status::kUnavailable)
      << "a request to a dead child: with only its own pipe ends open, the server's write fails with "
         "EPIPE or its read sees end of file, and dispatch must answer UNAVAILABLE right away (never "
         "retry). Got: "
      << refused;
}

// ignoreSigpipe: afterwards, a write to a pipe that nobody reads any more
// (the request pipe of a dead child) fails with EPIPE, where SIGPIPE's
// default action would kill the writer, the whole server. Checked in a child
// of the test process (a raw fork: a ChildProcess with a mistake of its own
// cannot spoil it), which reports by its exit status, so the test process
// keeps its own SIGPIPE action either way.
TEST_F(Lab3Pipes, SigpipeNoLongerKills) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0) << "fork failed";
  if (child == 0) {
    // In the child: plain system calls, then _exit, never back into gtest.
    ::signal(SIGPIPE, SIG_DFL);  // as a shell starts cabinetd
    ignoreSigpipe();
    int ends[2];
    if (::pipe(ends) != 0) ::_exit(2);
    ::close(ends[0]);  // the only reader is gone
    const char byte = 'x';
    const bool epipe = ::write(ends[1], &byte, 1) < 0 && errno == EPIPE;
    ::_exit(epipe ? 0 : 3);
  }
  int status = 0;
  if (!pollUntil(5s, 5ms, [&] { return ::waitpid(child, &status, WNOHANG) == child; })) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    FAIL() << "the writing child did not end within 5 s";
  }
  const bool killed_by_sigpipe = WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE;
  const bool saw_epipe = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  EXPECT_FALSE(killed_by_sigpipe)
      << "after ignoreSigpipe(), a write to a pipe without a reader still killed the process with SIGPIPE";
  const bool other_error = WIFEXITED(status) && WEXITSTATUS(status) == 3;
  EXPECT_TRUE(saw_epipe || killed_by_sigpipe)
      << "the write should fail with EPIPE; the writing child reported " << describeWaitStatus(status)
      << (other_error ? ": the write did not fail with EPIPE" : "");
}

TEST_F(Lab3Pipes, DeadChildIsReapedNotLeftAZombie) {
  PipeChild parcel = startParcelChild(options());
  const pid_t pid = parcel.child->pid();
  ASSERT_EQ(::kill(pid, SIGKILL), 0) << "ChildProcess::pid() is " << pid << ", no process of ours";
  ASSERT_TRUE(exitsWithin(*parcel.child, 5s))
      << "tryReap did not report a child killed with SIGKILL within 5 s: it must call waitpid(pid, "
         "&status, WNOHANG) once and return true when that reaps the child";
  EXPECT_FALSE(processState(pid).has_value())
      << "child " << pid << " is still in the process table (state " << processState(pid).value_or('?')
      << ", Z: a zombie) after tryReap returned true: only waitpid removes it. Known mistake: no "
         "waitpid after a child exits; see labs/03-fork-pipes/README.md, 'Classic mistakes'";
}

// reapWithin's last resort. A child that never leaves by itself is given its
// whole grace, then killed with SIGKILL and waited for: when reapWithin
// returns, the status is the kill's and the pid is gone from the process
// table. SIGKILL only starts the child's death; a reaper that does not wait
// for it leaves a zombie and a status that is not the child's.
TEST_F(Lab3Pipes, ReapWithinKillsAChildThatOutstaysItsGraceAndWaitsForIt) {
  ChildProcess child("stuck", []() -> int {
    for (;;) ::pause();  // never returns: only a signal ends it
  });
  const pid_t pid = child.pid();
  const auto started = std::chrono::steady_clock::now();
  const int status = child.reapWithin(300ms);
  const auto took = std::chrono::steady_clock::now() - started;
  const std::optional<char> state = processState(pid);  // at once: the verdict is about this moment

  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "reapWithin reported " << describeWaitStatus(status)
      << ", not killed by signal 9: a child still running at the end of its grace gets SIGKILL, and the "
         "status reapWithin returns is the one the blocking waitpid after the kill reports";
  EXPECT_GE(took, 250ms) << "the child was not given its grace: reapWithin(300 ms) polls tryReap until the "
                            "deadline, and only then kills";
  EXPECT_FALSE(child.running()) << "reapWithin returned without reaping";
  EXPECT_FALSE(state.has_value()) << "child " << pid << " is still in the process table (state " << state.value_or('?')
                                  << "): reapWithin did not wait for it after the kill. SIGKILL only starts "
                                     "the child's death: follow it with a blocking waitpid (in an EINTR "
                                     "loop). Known mistake: SIGKILL without waitpid afterwards; see "
                                     "labs/03-fork-pipes/README.md, 'Classic mistakes'";
  if (state) childExitCodeWithin(pid, 2s);  // reap it ourselves: no zombie outlives this test
}

// The common case: a child that ends within its grace is reaped as soon as
// it ends (no kill, no waiting out the grace), with its own exit status.
TEST_F(Lab3Pipes, ReapWithinReturnsTheExitStatusOfAChildThatEndsInTime) {
  ChildProcess child("brief", [] {
    std::this_thread::sleep_for(100ms);
    return 3;
  });
  const pid_t pid = child.pid();
  const auto started = std::chrono::steady_clock::now();
  const int status = child.reapWithin(3s);
  const auto took = std::chrono::steady_clock::now() - started;

  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3)
      << "reapWithin reported " << describeWaitStatus(status) << ", not an exit with 3";
  EXPECT_LT(took, 2s) << "reapWithin waited out the grace of a child that had exited: it must poll "
                         "tryReap and return as soon as the child is reaped";
  EXPECT_FALSE(child.running()) << "reapWithin returned, but running() still says the child runs";
  EXPECT_FALSE(processState(pid).has_value())
      << "child " << pid << " is still in the process table: reapWithin returned without reaping it";
}

TEST_F(Lab3Pipes, ServerKeepsOnlyItsOwnPipeEnds) {
  const int before = openPipeCount();
  {
    PipeDispatcher dispatcher(options());
    // Two pipes per service, one end of each stays with the server.
    EXPECT_EQ(openPipeCount() - before, 6)
        << "the server should hold exactly 2 pipe ends per service: the write end of the request pipe "
           "and the read end of the reply pipe. It must close its copies of the child's ends "
           "(requests.read_end, replies.write_end) once the child is forked. Known mistake: the server "
           "keeps the child's ends; see labs/03-fork-pipes/README.md, 'Classic mistakes'";
    Reply reply = dispatcher.dispatch(Service::kVending, listProducts());
    EXPECT_EQ(reply.status, Status::kOk) << "PipeDispatcher::dispatch of a catalogue listing: " << reply;
  }
  EXPECT_EQ(openPipeCount(), before)
      << "pipe ends leaked after the dispatcher was destroyed: ~PipeDispatcher closes the request pipes "
         "(each child reads end of file and exits), reaps the children, and every Fd it holds closes";
}

TEST_F(Lab3Pipes, EachServiceIsItsOwnProcess) {
  PipeDispatcher dispatcher(options());
  const Reply parcel = dispatcher.dispatch(Service::kParcel, depositParcel());
  const Reply food = dispatcher.dispatch(Service::kFood, depositFood());
  const Reply vending = dispatcher.dispatch(Service::kVending, listProducts());
  EXPECT_EQ(parcel.served_by.service, Service::kParcel) << "a parcel deposit was answered by: " << parcel;
  EXPECT_EQ(food.served_by.service, Service::kFood) << "a food deposit was answered by: " << food;
  EXPECT_EQ(vending.served_by.service, Service::kVending) << "a catalogue listing was answered by: " << vending;
  const auto self = static_cast<std::uint32_t>(::getpid());
  const char* kOwnChild = ": PipeDispatcher starts one child per service (spawnServiceChild) and sends "
                          "each request down the pipe of its own service's child";
  EXPECT_NE(parcel.served_by.pid, self) << "the parcel deposit ran in the server process" << kOwnChild;
  EXPECT_NE(parcel.served_by.pid, food.served_by.pid) << "parcel and food were served by one process" << kOwnChild;
  EXPECT_NE(food.served_by.pid, vending.served_by.pid) << "food and vending were served by one process" << kOwnChild;
  EXPECT_NE(parcel.served_by.pid, vending.served_by.pid)
      << "parcel and vending were served by one process" << kOwnChild;
}

}  // namespace
}  // namespace mc::test
