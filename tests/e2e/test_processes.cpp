/// @file test_processes.cpp
/// @brief Stages 3 and 4: the three services really are three child
/// processes of the server, each serving its own commands.
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

class ServiceProcesses : public StageTest {};


TEST_P(ServiceProcesses, ExactlyThreeChildrenEachServingOneService) {
  ServerProcess server{options()};
  std::vector<pid_t> children = waitForChildren(server, 3);
  ASSERT_EQ(children.size(), 3u) << "the server should have exactly 3 service children";

  ClientSession session = server.connect();
  Reply parcel = callExpecting(session, depositParcel(), Status::kOk);
  Reply food = callExpecting(session, depositFood(), Status::kOk);
  Reply vending = callExpecting(session, listProducts(), Status::kOk);
  std::set<pid_t> serving;
  for (const Reply* reply : {&parcel, &food, &vending}) {
    auto pid = static_cast<pid_t>(reply->served_by.pid);
    EXPECT_TRUE(std::find(children.begin(), children.end(), pid) != children.end())
        << serviceName(reply->served_by.service) << " was served by pid " << pid
        << ", not a child of the server";
    serving.insert(pid);
  }
  EXPECT_EQ(serving.size(), 3u) << "each service has its own child";
  EXPECT_EQ(server.childPids(), children) << "serving requests must not fork more children";
}


INSTANTIATE_TEST_SUITE_P(Stages, ServiceProcesses, ::testing::ValuesIn(labStagesFrom(3)), stageName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ServiceProcesses);

}  // namespace
}  // namespace mc::test
