/// @file test_bench.cpp
/// @brief `cabinet-bench` (docs/performance.md) keeps its contract: it starts
/// each server itself, checks every reply, and writes the figures other work
/// reads (`throughput_rps`, `p50_us`, `p99_us`, `errors`, `ratio`) and the plot.
/// No speed is asserted here: a figure only has to be a measurement (positive,
/// consistent with the others), never fast enough.
/// And cabinetd-floor, the bench's floor, is the pipeline with nothing behind
/// it: real hops, answers of the right shape, no database.
/// Runs in: the tools test process; runs cabinet-bench, which starts
/// cabinetd, cabinetd-floor and cabinet-echo; some tests start cabinet-echo or
/// cabinetd-floor themselves (ServerProcess).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "client_session.hpp"
#include "json_reader.hpp"
#include "server_process.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

const JsonObject& object(const Json& json) { return std::get<JsonObject>(json.value); }
const JsonArray& array(const Json& json) { return std::get<JsonArray>(json.value); }
double number(const JsonObject& object, const std::string& key) { return std::get<double>(object.at(key)->value); }
std::string text(const JsonObject& object, const std::string& key) {
  return std::get<std::string>(object.at(key)->value);
}

// One series of the bench's JSON: a server and its points by client count.
struct BenchSeries {
  bool baseline = false;
  bool floor = false;
  std::map<int, JsonObject> points;
};

// The series by label, in the order written (checked by the caller).
std::vector<std::pair<std::string, BenchSeries>> seriesOf(const Json& document) {
  std::vector<std::pair<std::string, BenchSeries>> all;
  for (const auto& item : array(*object(document).at("series"))) {
    const JsonObject& series = object(*item);
    BenchSeries parsed;
    parsed.baseline = std::get<bool>(series.at("baseline")->value);
    parsed.floor = std::get<bool>(series.at("floor")->value);
    for (const auto& point : array(*series.at("points"))) {
      const JsonObject& fields = object(*point);
      parsed.points[static_cast<int>(number(fields, "clients"))] = fields;
    }
    all.emplace_back(text(series, "label"), parsed);
  }
  return all;
}

TEST(CabinetBench, MeasuresEachStageAndThePoolAgainstTheEchoInOneRun) {
  TempDir dir("bench");
  const auto json_file = dir.path() / "results.json";
  const auto svg_file = dir.path() / "throughput.svg";
  const ProgramResult run = runProgram({MC_CABINET_BENCH, "--baseline", "echo", "--stages", "2,4", "--pools", "1",
                                        "--floor", "on", "--clients", "1,4", "--seconds", "1", "--cabinetd",
                                        cabinetdPath(), "--cabinetd-floor", MC_CABINETD_FLOOR, "--json",
                                        json_file.string(), "--svg", svg_file.string()},
                                       std::chrono::seconds(120));
  ASSERT_FALSE(run.timed_out) << run.err;
  ASSERT_EQ(run.exit_code, 0) << "every reply must check out:\n" << run.out << run.err;

  const std::string json = readFile(json_file);
  const std::shared_ptr<Json> document = parseJson(json);
  ASSERT_TRUE(document) << "--json wrote invalid JSON:\n" << json;
  const auto all = seriesOf(*document);
  std::vector<std::string> labels;
  for (const auto& [label, series] : all) labels.push_back(label);
  ASSERT_EQ(labels, (std::vector<std::string>{"echo", "stage 2", "stage 4", "stage 4 pool 1", "floor stage 4",
                                               "floor pool 1"}));
  const BenchSeries& echo = all.front().second;
  EXPECT_TRUE(echo.baseline);
  for (const auto& [label, series] : all)
    EXPECT_EQ(series.floor, label.starts_with("floor")) << label << ": only the floor's series are marked floor";

  for (const auto& [label, series] : all) {
    ASSERT_EQ(series.points.size(), 2u) << label << ": one point per client count";
    for (const auto& [clients, point] : series.points) {
      SCOPED_TRACE(label + ", " + std::to_string(clients) + " clients");
      EXPECT_TRUE(clients == 1 || clients == 4);
      EXPECT_EQ(number(point, "errors"), 0);
      const double requests = number(point, "requests");
      const double seconds = number(point, "seconds");
      EXPECT_GT(requests, 0);
      EXPECT_GE(seconds, 0.9);
      EXPECT_NEAR(number(point, "throughput_rps"), requests / seconds, 0.01 * requests / seconds + 0.1);
      EXPECT_LE(number(point, "p50_us"), number(point, "p90_us"));
      EXPECT_LE(number(point, "p90_us"), number(point, "p99_us"));
      EXPECT_LE(number(point, "p99_us"), number(point, "max_us"));
      EXPECT_GT(number(point, "server_rss_kib"), 0) << "the server's memory is sampled";
      if (series.baseline) {
        EXPECT_FALSE(point.contains("ratio")) << "the baseline has no ratio to itself";
        continue;
      }
      // The ratio is this point over the echo's point with as many clients.
      ASSERT_TRUE(point.contains("ratio") && point.contains("p99_ratio"));
      const JsonObject& base = echo.points.at(clients);
      EXPECT_NEAR(number(point, "ratio"), number(point, "throughput_rps") / number(base, "throughput_rps"), 0.001);
      EXPECT_NEAR(number(point, "p99_ratio"), number(point, "p99_us") / number(base, "p99_us"), 0.001);
    }
  }
  // Each series names the server it ran: stage and pool flags.
  EXPECT_NE(json.find("--stage 2"), std::string::npos);
  EXPECT_NE(json.find("--stage 4 --pool 1"), std::string::npos);

  const std::string svg = readFile(svg_file);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u) << svg.substr(0, 200);
  EXPECT_NE(svg.find("</svg>"), std::string::npos) << "the plot is cut short";
  for (const std::string& label : labels) EXPECT_NE(svg.find(label), std::string::npos) << label << " not in the plot";
  // The table on stdout: a row per point, with the ratio column.
  EXPECT_NE(run.out.find("x echo"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("stage 4 pool 1"), std::string::npos) << run.out;
}

// The floor is what the bench says it is: the stage 4 pipeline, its hops
// real (a child process answers), with no database behind it, and replies
// the bench can check: a pickup with a deposit's code opens its locker.
TEST(CabinetdFloor, AnswersThroughAChildWithoutStoringAnything) {
  TempDir data("floor");
  for (const std::vector<std::string>& mode : {std::vector<std::string>{}, {"--pool", "1"}}) {
    SCOPED_TRACE(mode.empty() ? "a thread per request" : "--pool 1");
    ServerOptions options;
    options.program = MC_CABINETD_FLOOR;
    options.extra_args = {"--data-dir", data.path().string(), "--stage", "4", "--quiet"};
    options.extra_args.insert(options.extra_args.end(), mode.begin(), mode.end());
    ServerProcess floor{options};
    JudgeSession session{"127.0.0.1", floor.port(), std::chrono::seconds(10)};

    const Reply deposit = callExpecting(session, depositParcel(7), Status::kOk);
    const std::string code = fieldOf(deposit, "code");
    ASSERT_EQ(code.size(), 6u) << "a pickup code has six digits";
    EXPECT_EQ(deposit.served_by.service, Service::kParcel);
    EXPECT_NE(deposit.served_by.pid, static_cast<std::uint32_t>(floor.pid())) << "a service child answers";
    const Reply opened = callExpecting(session, pickupParcel(code, 7), Status::kOk);
    EXPECT_EQ(fieldOf(opened, "locker"), fieldOf(deposit, "locker"));
    EXPECT_EQ(fieldOf(callExpecting(session, depositFood(7), Status::kOk), "locker").rfind("F-", 0), 0u);
    EXPECT_EQ(fieldOf(callExpecting(session, buy("B2"), Status::kOk), "product"), "B2");
    EXPECT_EQ(fieldOf(callExpecting(session, restock("B2", 5), Status::kOk), "product"), "B2");
    EXPECT_EQ(callExpecting(session, listProducts(), Status::kOk).fields.findAll("item").size(), 8u);
  }
  // No service opened a database: the data directory stays empty.
  EXPECT_TRUE(std::filesystem::is_empty(data.path()));
}

// The bench's checks are real: the echo's replies are OK frames of the right
// size but carry no code, locker or product, so benched as if it were
// cabinetd its replies must count as errors, and the exit status be 1.
TEST(CabinetBench, CountsRepliesThatAreNotCabinetdsAsErrors) {
  ServerOptions options;
  options.program = MC_CABINET_ECHO;
  ServerProcess echo{options};
  TempDir dir("bench");
  const auto json_file = dir.path() / "results.json";
  const ProgramResult run = runProgram({MC_CABINET_BENCH, "--port", std::to_string(echo.port()), "--clients", "2",
                                        "--seconds", "1", "--json", json_file.string()},
                                       std::chrono::seconds(60));
  ASSERT_FALSE(run.timed_out) << run.err;
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const std::shared_ptr<Json> document = parseJson(readFile(json_file));
  ASSERT_TRUE(document);
  const auto all = seriesOf(*document);
  ASSERT_EQ(all.size(), 1u);
  const JsonObject& point = all.front().second.points.at(2);
  EXPECT_GT(number(point, "errors"), 0);
}

TEST(CabinetBench, RefusesABadFlagWithItsUsage) {
  for (const std::vector<std::string>& flags : std::vector<std::vector<std::string>>{
           {"--clients", "0"}, {"--stages", "5"}, {"--seconds", "x"}, {"--baseline", "ping"}, {"--floor", "yes"},
           {"--frobnicate", "1"}}) {
    std::vector<std::string> argv{MC_CABINET_BENCH};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const ProgramResult run = runProgram(argv, std::chrono::seconds(10));
    EXPECT_EQ(run.exit_code, 2) << flags[0] << " " << flags[1];
    EXPECT_NE(run.err.find("usage: cabinet-bench"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(flags[0]), std::string::npos) << "the message names the flag: " << run.err;
  }
}

// A flag without its value used to start the echo on the default port
// without a word; now every bad command line is refused before it listens.
// (Were one accepted, the echo would serve until the timeout: a failure.)
TEST(CabinetEcho, RefusesABadCommandLineBeforeItListens) {
  for (const std::vector<std::string>& flags : std::vector<std::vector<std::string>>{
           {"--port"}, {"--host"}, {"--port", "70000"}, {"--port", "x"}, {"--frobnicate", "1"}}) {
    std::vector<std::string> argv{MC_CABINET_ECHO};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const ProgramResult run = runProgram(argv, std::chrono::seconds(10));
    ASSERT_FALSE(run.timed_out) << flags[0] << ": it started serving";
    EXPECT_EQ(run.exit_code, 2) << flags[0];
    EXPECT_NE(run.err.find("usage: cabinet-echo"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(flags[0]), std::string::npos) << "the message names the flag: " << run.err;
    EXPECT_EQ(run.out.find("listening"), std::string::npos) << run.out;
  }
  const ProgramResult help = runProgram({MC_CABINET_ECHO, "--help"}, std::chrono::seconds(10));
  ASSERT_FALSE(help.timed_out);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: cabinet-echo"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace mc::test
