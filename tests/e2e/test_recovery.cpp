/// @file test_recovery.cpp
/// @brief Stages 3 and 4: a service child killed with SIGKILL is reaped, its
/// service answers UNAVAILABLE at once (never a hang), the others carry on;
/// a shutdown reaps every child.
/// Runs in: the e2e test process; starts one cabinetd per test.
#include <sys/types.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <set>
#include <thread>
#include <vector>

#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using Clock = std::chrono::steady_clock;

class ChildDeath : public ::testing::TestWithParam<int> {
 protected:
  ServerOptions options() const {
    ServerOptions options;
    options.stage = GetParam();
    return options;
  }
};


TEST_P(ChildDeath, KilledVendingChildAnswersUnavailable) {
  ServerProcess server{options()};
  ClientSession session = server.connect(5s);
  Reply bought = callExpecting(session, buy("A1"), Status::kOk);
  auto vending_pid = static_cast<pid_t>(bought.served_by.pid);
  ASSERT_NE(vending_pid, server.pid());
  ASSERT_EQ(::kill(vending_pid, SIGKILL), 0);

  // Dead means a zombie or already reaped; SIGKILL takes effect quickly.
  Clock::time_point deadline = Clock::now() + 3s;
  while (processState(vending_pid).value_or('Z') != 'Z' && Clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(processState(vending_pid).value_or('Z'), 'Z') << "SIGKILL did not kill the child";

  Clock::time_point asked = Clock::now();
  ClientSession::Result after = session.call(buy("A1"));
  auto took = Clock::now() - asked;
  ASSERT_TRUE(after.ok) << "a buy after the vending child died got no reply: " << describe(after);
  EXPECT_EQ(after.reply.status, Status::kUnavailable) << describe(after);
  EXPECT_LT(took, 3s) << "UNAVAILABLE should come at once, not after a timeout";

  // The other services do not depend on the dead one, on this connection or a new one.
  callExpecting(session, depositParcel(), Status::kOk);
  ClientSession fresh = server.connect(5s);
  callExpecting(fresh, depositFood(), Status::kOk);
  ClientSession::Result summary = fresh.call(status());  // may say UNAVAILABLE: vending is gone
  EXPECT_TRUE(summary.ok) << "status got no reply: " << describe(summary);
  EXPECT_TRUE(waitProcessGone(vending_pid, 3s)) << "the dead child was never reaped (zombie)";

  std::optional<int> exit = server.stop(SIGTERM);
  EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit);
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "processes left behind";
}

TEST_P(ChildDeath, ShutdownReapsEveryChild) {
  ServerProcess server{options()};
  std::vector<pid_t> children = waitForChildren(server, 3);
  ASSERT_EQ(children.size(), 3u);
  EXPECT_TRUE(isServed(server.port()));

  std::optional<int> exit = server.stop(SIGTERM);
  EXPECT_TRUE(exitedCleanly(exit)) << describeWaitStatus(exit);
  // With the test process as subreaper, an unreaped or still running child
  // would now be ours: leftovers() would list it.
  EXPECT_TRUE(ServerProcess::leftovers().empty()) << "children left behind";
  for (pid_t child : children) {
    EXPECT_FALSE(processState(child).has_value()) << "child " << child << " still exists";
  }
}

INSTANTIATE_TEST_SUITE_P(Stages, ChildDeath, ::testing::ValuesIn(labStagesFrom(3)), stageName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ChildDeath);

}  // namespace
}  // namespace mc::test
