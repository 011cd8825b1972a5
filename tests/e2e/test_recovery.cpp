/// @file test_recovery.cpp
/// @brief Stages 3 and 4: a service child killed with SIGKILL is reaped and
/// its clients never hang. Stage 3: the service answers UNAVAILABLE from then
/// on, the others carry on. Stage 4: the service is restarted (fork + exec)
/// and serves again from a new pid with its state intact; a child that keeps
/// dying is left down. Either stage: a shutdown waits (up to its grace) for
/// a request in flight before it stops the children, and reaps every child.
/// Runs in: the e2e test process; starts one cabinetd per test.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "semaphore_dispatcher.hpp"
#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using Clock = std::chrono::steady_clock;

// Where a failure message sends the student.
constexpr const char* kMistakes = "see labs/05-shutdown-recovery/README.md, 'Classic mistakes'";
// How a dead child is noticed, in the handout's words.
constexpr const char* kReaped =
    ": SIGCHLD -> the child pipe -> the main loop drains it and calls dispatcher_->reapChildren(), whose "
    "tryReap collects the zombie. Known mistake: reapChildren not called after SIGCHLD; ";

class ChildDeath : public StageTest {};

// Stage 3 only: no restart, the service stays down.
class DeadChildStaysDown : public ChildDeath {};
// Stage 4: the dispatcher restarts a dead child.
class DeadChildIsRestarted : public ChildDeath {};

// Kills @p pid with SIGKILL and waits (3 s at most) until it is dead: a
// zombie, or already reaped by the server.
::testing::AssertionResult killAndWaitDead(pid_t pid) {
  if (::kill(pid, SIGKILL) != 0) return ::testing::AssertionFailure() << "kill " << pid << " failed";
  if (!waitUntilDead(pid, 3s)) return ::testing::AssertionFailure() << "SIGKILL did not kill " << pid;
  return ::testing::AssertionSuccess();
}

// Asks @p request on fresh connections until a reply is OK and served by a
// pid other than @p old_pid, for at most @p patience. Every call must get an
// answer (OK or UNAVAILABLE) within 3 s: a restart never makes a client hang
// (a failure is recorded otherwise). @return the first such reply, nullopt if
// none came in time.
std::optional<Reply> tryServedByNewChild(const ServerProcess& server, const Request& request, pid_t old_pid,
                                         std::chrono::milliseconds patience) {
  const Clock::time_point deadline = Clock::now() + patience;
  while (Clock::now() < deadline) {
    JudgeSession session = server.connect(5s);
    const Clock::time_point asked = Clock::now();
    JudgeSession::Result result = session.call(request);
    EXPECT_LT(Clock::now() - asked, 3s) << "a request during the restart took too long";
    if (!result.ok) {
      ADD_FAILURE() << "no reply while the child was being restarted: " << describe(result);
      return std::nullopt;
    }
    const Status status = result.reply.status;
    EXPECT_TRUE(status == Status::kOk || status == Status::kUnavailable) << describe(result);
    if (status == Status::kOk && static_cast<pid_t>(result.reply.served_by.pid) != old_pid) return result.reply;
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

// Like tryServedByNewChild, with 5 s of patience, recording a failure if the
// service did not come back.
std::optional<Reply> waitServedByNewChild(const ServerProcess& server, const Request& request, pid_t old_pid) {
  std::optional<Reply> reply = tryServedByNewChild(server, request, old_pid, 5s);
  if (!reply) {
    ADD_FAILURE() << "the service was not served by a new child within 5 s: reapChildren (given) calls your "
                     "restartService for each child it reaps, which within takeRestart's budget makes a new "
                     "Link (a new channel in a memfd, a new pipe, spawnServiceProcess: fork + exec) and "
                     "replaceLink()s it. Known mistake: restarted child made with fork alone, no exec; "
                  << kMistakes;
  }
  return reply;
}

// The stages of a suite, among those this executable checks.
std::vector<int> stagesAmong(std::vector<int> wanted) {
  std::vector<int> stages;
  for (int stage : labStages())
    if (std::find(wanted.begin(), wanted.end(), stage) != wanted.end()) stages.push_back(stage);
  return stages;
}

TEST_P(DeadChildStaysDown, KilledVendingChildAnswersUnavailable) {
  ServerProcess server{options()};
  JudgeSession session = server.connect(5s);
  Reply bought = callExpecting(session, buy("A1"), Status::kOk);
  auto vending_pid = static_cast<pid_t>(bought.served_by.pid);
  ASSERT_NE(vending_pid, server.pid()) << "at stage 3 the vending service runs in a child, not the server";
  ASSERT_TRUE(killAndWaitDead(vending_pid));

  Clock::time_point asked = Clock::now();
  JudgeSession::Result after = session.call(buy("A1"));
  auto took = Clock::now() - asked;
  ASSERT_TRUE(after.ok) << "a buy after the vending child died got no reply: " << describe(after)
                        << (server.running() ? ""
                                             : ". The server died (" + describeWaitStatus(server.waitExit(0ms)) +
                                                   "): a write to a dead child's pipe raises SIGPIPE unless it "
                                                   "is ignored (ignoreSigpipe, lab 3); with it ignored the "
                                                   "write fails with EPIPE");
  EXPECT_EQ(after.reply.status, Status::kUnavailable)
      << describe(after) << ". With the child dead, the write to its pipe fails with EPIPE (or the read of "
      << "its reply sees end of file), and PipeDispatcher::dispatch answers UNAVAILABLE";
  EXPECT_LT(took, 3s) << "UNAVAILABLE should come at once, not after a timeout";

  // The other services do not depend on the dead one, on this connection or a new one.
  callExpecting(session, depositParcel(), Status::kOk);
  JudgeSession fresh = server.connect(5s);
  callExpecting(fresh, depositFood(), Status::kOk);
  JudgeSession::Result summary = fresh.call(status());  // may say UNAVAILABLE: vending is gone
  EXPECT_TRUE(summary.ok) << "status got no reply: " << describe(summary);
  EXPECT_TRUE(waitProcessGone(vending_pid, 3s)) << "the dead child was never reaped (zombie)" << kReaped
                                                << kMistakes;

  std::optional<int> exit = server.stop(SIGTERM);
  EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit);
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "processes left behind";
}

TEST_P(DeadChildIsRestarted, KilledVendingChildIsReplacedStockIntact) {
  ServerProcess server{options()};
  JudgeSession session = server.connect(5s);
  Reply bought = callExpecting(session, buy("A1"), Status::kOk);
  const auto vending_pid = static_cast<pid_t>(bought.served_by.pid);
  ASSERT_NE(vending_pid, server.pid()) << "the vending service should run in a child of its own";
  const std::optional<long> stock_before = intFieldOf(bought, "stock");
  ASSERT_TRUE(stock_before.has_value()) << "a buy reply should carry the stock left";
  ASSERT_TRUE(killAndWaitDead(vending_pid));

  // Right after the kill: an answer at once, OK (already restarted) or UNAVAILABLE.
  const Clock::time_point asked = Clock::now();
  JudgeSession::Result after = session.call(listProducts());
  EXPECT_LT(Clock::now() - asked, 3s) << "a request right after the kill took too long";
  ASSERT_TRUE(after.ok) << "a request after the vending child died got no reply: " << describe(after);
  EXPECT_TRUE(after.reply.status == Status::kOk || after.reply.status == Status::kUnavailable) << describe(after);

  // The other services carry on meanwhile.
  callExpecting(session, depositParcel(), Status::kOk);

  std::optional<Reply> served = waitServedByNewChild(server, buy("A1"), vending_pid);
  ASSERT_TRUE(served.has_value()) << "the vending service never came back (see above)";
  const auto new_pid = static_cast<pid_t>(served->served_by.pid);
  EXPECT_NE(new_pid, server.pid()) << "the vending service should run in a child again";
  EXPECT_EQ(served->served_by.service, Service::kVending) << "a buy must be served by vending: " << *served;
  // The list above bought nothing, and UNAVAILABLE buys never reached a child:
  // the new child continues from the stock the dead one committed.
  EXPECT_EQ(intFieldOf(*served, "stock"), *stock_before - 1)
      << "the restarted child lost or invented a sale: the new child reopens <data-dir>/vending.db, where "
         "the dead one committed every sale it answered. Reply: "
      << *served;
  EXPECT_TRUE(waitProcessGone(vending_pid, 3s)) << "the dead child was never reaped (zombie)" << kReaped
                                                << kMistakes;
  const std::vector<pid_t> children = childrenOf(server.pid());
  EXPECT_EQ(children.size(), 3u) << "three service children, the new one included";
  EXPECT_NE(std::find(children.begin(), children.end(), new_pid), children.end()) << "the new child is the server's";

  std::optional<int> exit = server.stop(SIGTERM);
  EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit);
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "processes left behind (the restarted child?)";
  EXPECT_FALSE(processState(new_pid).has_value()) << "the restarted child outlived the server";
}

TEST_P(DeadChildIsRestarted, DepositSurvivesTheParcelChildsDeath) {
  ServerProcess server{options()};
  JudgeSession session = server.connect(5s);
  Reply stored = callExpecting(session, depositParcel(), Status::kOk);
  const std::string code = fieldOf(stored, "code");
  ASSERT_TRUE(looksLikeCode(code)) << code;
  const auto parcel_pid = static_cast<pid_t>(stored.served_by.pid);
  ASSERT_TRUE(killAndWaitDead(parcel_pid));

  // A wrong code never opens anything, so it is a safe probe for "served again?".
  std::optional<Reply> probe = std::nullopt;
  {
    const Clock::time_point deadline = Clock::now() + 5s;
    while (!probe && Clock::now() < deadline) {
      JudgeSession fresh = server.connect(5s);
      JudgeSession::Result result = fresh.call(pickupParcel(code));
      ASSERT_TRUE(result.ok) << "no reply while the parcel child was being restarted: " << describe(result);
      if (result.reply.status == Status::kOk) probe = result.reply;
      else if (result.reply.status != Status::kUnavailable) FAIL() << describe(result);
      else std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(probe.has_value()) << "the parcel service never came back within 5 s: reapChildren (given) calls "
                                    "your restartService for each child it reaps; "
                                 << kMistakes;
  EXPECT_NE(static_cast<pid_t>(probe->served_by.pid), parcel_pid)
      << "the pickup was served by the killed child's pid: " << *probe;
  EXPECT_EQ(fieldOf(*probe, "locker"), fieldOf(stored, "locker")) << "the parcel came out of another locker";
  JudgeSession again = server.connect(5s);
  callExpecting(again, pickupParcel(code), Status::kWrongCode);  // exactly once

  std::optional<int> exit = server.stop(SIGTERM);
  EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit);
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "processes left behind";
}

// The restart budget: a child that keeps dying is left down (UNAVAILABLE),
// rather than forked again and again; the server and the others carry on.
TEST_P(DeadChildIsRestarted, ChildThatKeepsDyingIsLeftDown) {
  ServerProcess server{options()};
  pid_t vending_pid = -1;
  int kills = 0;
  // The first child, then one per restart, each killed as soon as it serves.
  while (kills <= SemaphoreDispatcher::kMaxRestarts + 1) {
    std::optional<Reply> served = tryServedByNewChild(server, listProducts(), vending_pid, 2s);
    if (!served) break;  // not restarted: the budget is spent
    vending_pid = static_cast<pid_t>(served->served_by.pid);
    ASSERT_TRUE(killAndWaitDead(vending_pid));
    ++kills;
  }
  EXPECT_EQ(kills, SemaphoreDispatcher::kMaxRestarts + 1)
      << "expected the first child and " << SemaphoreDispatcher::kMaxRestarts << " restarts, then none: "
      << kills << " children were killed. restartService must ask takeRestart (given: "
      << SemaphoreDispatcher::kMaxRestarts << " restarts within 10 s per service) before each restart, and "
      << "leave the service down (UNAVAILABLE) once it says no. Known mistake: no restart budget; "
      << kMistakes;

  // Down, but answering at once; the other services and a shutdown are unaffected.
  JudgeSession session = server.connect(5s);
  const Clock::time_point asked = Clock::now();
  callExpecting(session, buy("A1"), Status::kUnavailable);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - asked);
  EXPECT_LT(took, 3s) << "a buy from the service left down took " << took.count()
                      << " ms: a dead link answers UNAVAILABLE at once";
  callExpecting(session, depositParcel(), Status::kOk);
  EXPECT_TRUE(waitProcessGone(vending_pid, 3s)) << "the last dead child was never reaped (zombie)" << kReaped
                                                << kMistakes;
  EXPECT_EQ(childrenOf(server.pid()).size(), 2u) << "only parcel and food should still run";
  std::optional<int> exit = server.stop(SIGTERM);
  EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit);
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "processes left behind";
}

// The buy in flight when its child died was answered, UNAVAILABLE; @p why
// says what the server must do for that.
void expectAnsweredUnavailable(const JudgeSession::Result& waiting, const char* why) {
  ASSERT_TRUE(waiting.ok) << "the buy in flight got no reply when its child died: " << describe(waiting) << why;
  EXPECT_EQ(waiting.reply.status, Status::kUnavailable) << describe(waiting) << why;
}

// The hard case: the child dies while a request is waiting for its reply.
// SIGSTOP holds the vending child still (every thread of it stopped before
// the buy is sent), and the test waits until the buy's record is queued in
// the child's pipe, so the buy is surely waiting (on its feedback semaphore)
// when SIGKILL comes. A dispatcher that waits for the
// reply without ever looking whether the child lives hangs here.
TEST_P(ChildDeath, RequestInFlightWhenTheChildDiesIsAnswered) {
  ServerProcess server{options()};
  JudgeSession session = server.connect(5s);
  Reply bought = callExpecting(session, buy("A1"), Status::kOk);
  const auto vending_pid = static_cast<pid_t>(bought.served_by.pid);
  ASSERT_NE(vending_pid, server.pid()) << "the vending service should run in a child of its own";
  ASSERT_EQ(::kill(vending_pid, SIGSTOP), 0);
  ASSERT_TRUE(waitUntilStopped(vending_pid, 5s)) << "the vending child did not stop";

  JudgeSession::Result waiting;
  std::jthread asker([&] { waiting = session.call(buy("A1")); });  // the session's 5 s timeout bounds it
  // The buy is in flight once its record waits in the stopped child's pipe: nobody can answer it.
  ASSERT_TRUE(waitUntilPipeHasBytesFor(vending_pid, 5s)) << "the buy never reached the vending child's pipe";
  const Clock::time_point killed = Clock::now();
  ASSERT_EQ(::kill(vending_pid, SIGKILL), 0);
  asker.join();
  const auto took = Clock::now() - killed;

  // A dead child never answers: every wait for its reply must look whether it still lives.
  const char* kNoticeDeath =
      ". At stage 3 the read of the reply sees end of file once the child is gone (if the server holds "
      "only its own pipe ends). At stage 4 nothing is ever posted: awaitFeedback waits in steps of 100 ms "
      "and after each asks link.child->running(), which turns false once the main loop reaps the child. "
      "Known mistake: unbounded feedback.wait(); see labs/04-semaphores/README.md, 'Classic mistakes'";
  expectAnsweredUnavailable(waiting, kNoticeDeath);
  EXPECT_LT(took, 3s) << "the answer should come soon after the death, not after a timeout" << kNoticeDeath;

  std::optional<int> exit = server.stop(SIGTERM);
  EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit);
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "processes left behind";
}

// True once nothing listens on @p port any more (a connect is refused):
// the first step of the server's shutdown. Checked every 10 ms for @p limit.
bool listenerClosedWithin(std::uint16_t port, std::chrono::milliseconds limit) {
  return pollUntil(limit, 10ms, [port] {
    try {
      connectRaw(port, 1s);
      return false;  // still accepted
    } catch (const std::system_error&) {
      return true;  // refused
    }
  });
}

// As above, but the child dies after the stop began: the server is waiting
// for its connection threads by then, no longer in its accept loop. A
// shutdown that does not reap children while it waits leaves the buy waiting
// on a child that is dead but not known to be, until the grace runs out.
TEST_P(ChildDeath, ChildDyingDuringShutdownStillEndsItsRequest) {
  ServerProcess server{options()};
  JudgeSession session = server.connect(5s);
  Reply bought = callExpecting(session, buy("A1"), Status::kOk);
  const auto vending_pid = static_cast<pid_t>(bought.served_by.pid);
  ASSERT_EQ(::kill(vending_pid, SIGSTOP), 0);
  ASSERT_TRUE(waitUntilStopped(vending_pid, 5s)) << "the vending child did not stop";

  JudgeSession::Result waiting;
  std::jthread asker([&] { waiting = session.call(buy("A1")); });  // the session's 5 s timeout bounds it
  ASSERT_TRUE(waitUntilPipeHasBytesFor(vending_pid, 5s)) << "the buy never reached the vending child's pipe";
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  ASSERT_TRUE(listenerClosedWithin(server.port(), 5s)) << "the server did not begin to stop";
  ASSERT_EQ(::kill(vending_pid, SIGKILL), 0);
  asker.join();

  // During the stop the main loop is gone: shutDown itself must reap.
  const char* kReapWhileWaiting =
      ". The accept loop has ended, so nobody else reaps: Server::shutDown waits for the connection "
      "threads in 50 ms steps and calls reapChildren between them, so the request waiting on the dead "
      "child learns of its death; see labs/05-shutdown-recovery/README.md, 'What to write'";
  expectAnsweredUnavailable(waiting, kReapWhileWaiting);
  std::optional<int> exit = server.waitExit(10s);
  EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit);
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "processes left behind";
}

// True while @p pid runs: in the process table and not a zombie.
bool isAlive(pid_t pid) {
  const std::optional<char> state = processState(pid);
  return state.has_value() && *state != 'Z';
}

// The start of a shutdown with a request in flight: the vending child is
// held still by SIGSTOP (it stays stopped when this returns) with a buy
// queued in its pipe, the server is sent SIGTERM and closes its listener.
// The buy's call runs on a thread of the caller's, bounded by the session's
// 5 s timeout.
struct StopWithBuyInFlight {
  pid_t vending_pid = -1;
  std::vector<pid_t> other_children;  ///< parcel's and food's
  Clock::time_point signalled;        ///< when SIGTERM was sent
};

// Brings @p server there: @p asker is started to make the buy's call on
// @p session, its result landing in @p waiting; @p stop records the pids and
// the time of the signal. A step that does not happen in time is a fatal
// failure (check with ASSERT_NO_FATAL_FAILURE).
void stopWithBuyInFlight(ServerProcess& server, JudgeSession& session, std::jthread& asker,
                         JudgeSession::Result& waiting, StopWithBuyInFlight& stop) {
  Reply bought = callExpecting(session, buy("A1"), Status::kOk);
  stop.vending_pid = static_cast<pid_t>(bought.served_by.pid);
  ASSERT_NE(stop.vending_pid, server.pid()) << "the vending service should run in a child of its own";
  stop.other_children = waitForChildren(server, 3);
  std::erase(stop.other_children, stop.vending_pid);
  ASSERT_EQ(stop.other_children.size(), 2u) << "expected the parcel and food children besides vending";
  ASSERT_EQ(::kill(stop.vending_pid, SIGSTOP), 0);
  ASSERT_TRUE(waitUntilStopped(stop.vending_pid, 5s)) << "the vending child did not stop";
  asker = std::jthread([&session, &waiting] { waiting = session.call(buy("A1")); });
  ASSERT_TRUE(waitUntilPipeHasBytesFor(stop.vending_pid, 5s)) << "the buy never reached the vending child's pipe";
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  stop.signalled = Clock::now();
  ASSERT_TRUE(listenerClosedWithin(server.port(), 5s)) << "the server did not begin to stop";
}

// While the shutdown waits for a request in flight, the children stay: the
// request may still need its own child, and other connections' requests
// theirs. One second into the wait, parcel and food must run.
void expectChildrenKeptWhileTheShutdownWaits(const StopWithBuyInFlight& stop) {
  std::this_thread::sleep_until(stop.signalled + 1s);
  for (pid_t child : stop.other_children) {
    EXPECT_TRUE(isAlive(child)) << "child " << child << " was stopped while a request was still in flight"
                                << " (the dispatcher was destroyed before the connection threads ended?). "
                                   "Shutdown runs start-up backwards: close the listener, wait for the "
                                   "connection threads, and only then destroy the dispatcher. Known mistake: "
                                   "dispatcher destroyed before the connection threads ended; "
                                << kMistakes;
  }
}

// A request in flight at SIGTERM is answered: the shutdown waits for it (up
// to its grace), and once the stopped child goes on, the buy gets its OK and
// the server exits 0. A shutdown that stops the children before waiting for
// the connections takes the children from under their requests.
TEST_P(ChildDeath, ShutdownWaitsForTheRequestInFlightAndAnswersIt) {
  ServerProcess server{options()};
  JudgeSession session = server.connect(5s);
  JudgeSession::Result waiting;
  std::jthread asker;  // declared after what it uses: joined first
  StopWithBuyInFlight stop;
  ASSERT_NO_FATAL_FAILURE(stopWithBuyInFlight(server, session, asker, waiting, stop));
  expectChildrenKeptWhileTheShutdownWaits(stop);

  ASSERT_EQ(::kill(stop.vending_pid, SIGCONT), 0);
  asker.join();
  ASSERT_TRUE(waiting.ok) << "the buy in flight at the SIGTERM got no reply: " << describe(waiting)
                          << ". The shutdown waits (up to its grace) for the connection threads, so a request "
                             "in flight is answered before the children stop";
  EXPECT_EQ(waiting.reply.status, Status::kOk)
      << describe(waiting) << ". Its child was still alive, only paused: the request must get the child's "
      << "answer, so the dispatcher may be destroyed only after the connection threads ended";
  std::optional<int> exit = server.waitExit(10s);
  EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit);
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "processes left behind";
}

// A request that never ends cannot hold the server: the child stays stopped,
// so the buy is never answered. The server waits its grace for it (3 s),
// keeping the children meanwhile, then gives up: exit status 1, neither
// before the grace nor long after it.
TEST_P(ChildDeath, ShutdownGivesUpOnAStuckRequestAfterItsGrace) {
  ServerProcess server{options()};
  JudgeSession session = server.connect(5s);
  JudgeSession::Result waiting;
  std::jthread asker;  // declared after what it uses: joined first
  StopWithBuyInFlight stop;
  ASSERT_NO_FATAL_FAILURE(stopWithBuyInFlight(server, session, asker, waiting, stop));
  expectChildrenKeptWhileTheShutdownWaits(stop);

  std::optional<int> exit = server.waitExit(6s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stop.signalled);
  // Server::shutDown: close the listener, wait for the connection threads up to 3 s, destroy the dispatcher.
  const char* kGrace = ": Server::shutDown waits for the connection threads for at most its grace (3 s), "
                       "then goes on without them, destroys the dispatcher and returns 1. Known mistake: "
                       "waiting for connection threads without a bound; ";
  ASSERT_TRUE(exit.has_value()) << "still running " << took.count()
                                << " ms after the SIGTERM: a request that never ends held the server" << kGrace
                                << kMistakes;
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 1)
      << describeWaitStatus(exit) << " after " << took.count()
      << " ms: a server that gives up on a stuck request exits 1" << kGrace << kMistakes;
  EXPECT_GE(took, 2500ms) << "the server gave up before the request's grace had run out" << kGrace << kMistakes;
  EXPECT_LE(took, 5s) << "the server gave up long after the request's grace" << kGrace << kMistakes;
}

TEST_P(ChildDeath, ShutdownReapsEveryChild) {
  ServerProcess server{options()};
  std::vector<pid_t> children = waitForChildren(server, 3);
  ASSERT_EQ(children.size(), 3u) << "the server should have exactly 3 service children";
  EXPECT_TRUE(isServed(server.port()));

  std::optional<int> exit = server.stop(SIGTERM);
  EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit);
  // With the test process as subreaper, an unreaped or still running child
  // would now be ours: leftovers() would list it.
  const char* kReapAtExit = ": the dispatcher's destructor stops every child (stage 3: closes its request "
                            "pipe; stage 4: sets stopping, then rings the doorbell) and reaps each with "
                            "reapWithin. Known mistake: children not reaped at exit; ";
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "children left behind" << kReapAtExit << kMistakes;
  for (pid_t child : children) {
    EXPECT_FALSE(processState(child).has_value()) << "child " << child << " still exists" << kReapAtExit
                                                  << kMistakes;
  }
  // Stopped, not killed: a child that had to be SIGKILLed leaves its
  // database's write-ahead log behind (walFilesIn).
  if (exitedCleanly(exit)) {
    EXPECT_EQ(walFilesIn(server.dataDir()), std::vector<std::string>{})
        << "a write-ahead log was left: a child was killed at shutdown instead of stopping by itself. Each "
           "child must be asked to stop (stage 3: end of file on its request pipe; stage 4: stopping set, "
           "THEN the doorbell rung) and given its grace; one SIGKILLed closes no database. Known mistake: "
           "stage 4 doorbell rung without setting stopping (or before it); "
        << kMistakes;
  }
}

INSTANTIATE_TEST_SUITE_P(Stages, ChildDeath, ::testing::ValuesIn(labStagesFrom(3)), stageName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ChildDeath);
INSTANTIATE_TEST_SUITE_P(Stages, DeadChildStaysDown, ::testing::ValuesIn(stagesAmong({3})), stageName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DeadChildStaysDown);
INSTANTIATE_TEST_SUITE_P(Stages, DeadChildIsRestarted, ::testing::ValuesIn(stagesAmong({4})), stageName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DeadChildIsRestarted);

}  // namespace
}  // namespace mc::test
