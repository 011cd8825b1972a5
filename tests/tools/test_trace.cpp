/// @file test_trace.cpp
/// @brief `cabinetd --trace FILE`: the file is valid JSON in Chrome's
/// trace-event format, holds events from the server and all three service
/// children, and every request's hops appear in causal order.
/// Runs in: the tools test process; starts cabinetd at stage 4 (and 3).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "json_reader.hpp"
#include "server_process.hpp"
#include "test_client.hpp"
#include "trace.hpp"

namespace mc::test {
namespace {

// One hop slice ("ph":"X") of the trace.
struct HopEvent {
  std::string name;
  double ts = 0;
  int pid = 0;
  std::uint64_t request = 0;
};

std::vector<HopEvent> hopsOf(const Json& document) {
  std::vector<HopEvent> hops;
  for (const auto& item : std::get<JsonArray>(document.value)) {
    const auto& event = std::get<JsonObject>(item->value);
    if (!event.contains("ph") || std::get<std::string>(event.at("ph")->value) != "X") continue;
    HopEvent hop;
    hop.name = std::get<std::string>(event.at("name")->value);
    hop.ts = std::get<double>(event.at("ts")->value);
    hop.pid = static_cast<int>(std::get<double>(event.at("pid")->value));
    const auto& args = std::get<JsonObject>(event.at("args")->value);
    hop.request = static_cast<std::uint64_t>(std::get<double>(args.at("request")->value));
    hops.push_back(hop);
  }
  return hops;
}

int hopRank(const std::string& name) {
  for (int hop = 0; hop <= static_cast<int>(Hop::kReply); ++hop)
    if (name == hopName(static_cast<Hop>(hop))) return hop;
  return -1;
}

class Trace : public ::testing::TestWithParam<int> {};

TEST_P(Trace, EveryRequestsHopsAreRecordedInOrder) {
  TempDir dir("trace");
  const auto file = dir.path() / "trace.json";
  ServerOptions options;
  options.stage = GetParam();
  options.extra_args = {"--trace", file.string()};
  ServerProcess server{options};
  {
    JudgeSession session = server.connect();
    Reply stored = callExpecting(session, depositParcel(), Status::kOk);
    callExpecting(session, pickupParcel(fieldOf(stored, "code")), Status::kOk);
    callExpecting(session, depositFood(), Status::kOk);
    callExpecting(session, buy("A1"), Status::kOk);
    callExpecting(session, status(), Status::kOk);
  }
  ASSERT_TRUE(exitedCleanly(server.stop(SIGTERM)));

  const std::string text = readFile(file);
  std::shared_ptr<Json> document = parseJson(text);
  ASSERT_TRUE(document) << "the trace is not valid JSON:\n" << text.substr(0, 2000);
  const std::vector<HopEvent> hops = hopsOf(*document);

  std::set<int> pids;
  std::map<std::uint64_t, std::vector<HopEvent>> by_request;
  for (const HopEvent& hop : hops) {
    pids.insert(hop.pid);
    by_request[hop.request].push_back(hop);
  }
  EXPECT_TRUE(pids.contains(server.pid())) << "no events from the server";
  EXPECT_EQ(pids.size(), 4u) << "events must come from the server and all three children";
  EXPECT_EQ(by_request.size(), 5u) << "5 requests, 5 trace ids";

  for (auto& [request, events] : by_request) {
    std::stable_sort(events.begin(), events.end(), [](const HopEvent& a, const HopEvent& b) { return a.ts < b.ts; });
    EXPECT_EQ(events.front().name, "read") << "request " << request << " does not start with its read";
    EXPECT_EQ(events.back().name, "reply") << "request " << request << " does not end with its reply";
    bool in_child = false;
    for (const HopEvent& hop : events) in_child |= hop.pid != server.pid();
    EXPECT_TRUE(in_child) << "request " << request << " never reached a service child";
    // Within one process the hops follow the pipeline's order (STATUS asks
    // every service in turn, so its server-side hops repeat: not checked).
    std::set<std::string> seen;
    bool fan_out = false;
    for (const HopEvent& hop : events) fan_out |= hop.pid == server.pid() && !seen.insert(hop.name).second;
    if (fan_out) continue;
    std::map<int, int> last_rank;
    for (const HopEvent& hop : events) {
      const int rank = hopRank(hop.name);
      ASSERT_GE(rank, 0) << "unknown hop " << hop.name;
      EXPECT_GE(rank, last_rank[hop.pid]) << "request " << request << ": " << hop.name << " out of order";
      last_rank[hop.pid] = rank;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stages, Trace, ::testing::Values(3, 4), stageName);

}  // namespace
}  // namespace mc::test
