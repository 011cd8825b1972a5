/// @file test_thread_cost.cpp
/// @brief `cabinet-thread-cost` (docs/performance.md, "What a thread costs
/// here") runs its three shapes to the end and reports a figure for each.
/// No speed is asserted: a figure only has to be a measurement (positive).
/// A hand-off that lost a post would hang its shape, and the timeout fails.
/// Runs in: the tools test process; runs cabinet-thread-cost.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "server_process.hpp"

namespace mc::test {
namespace {

// The wall and CPU figures of the row for @p shape, or an empty vector.
std::vector<double> rowOf(const std::string& out, const std::string& shape) {
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(shape + " ", 0) != 0) continue;
    std::istringstream figures(line.substr(shape.size()));
    double wall = 0, cpu = 0;
    if (figures >> wall >> cpu) return {wall, cpu};
  }
  return {};
}

TEST(CabinetThreadCost, MeasuresEachShapeToTheEnd) {
  const ProgramResult run =
      runProgram({MC_CABINET_THREAD_COST, "--rounds", "4000", "--pairs", "8"}, std::chrono::seconds(60));
  ASSERT_FALSE(run.timed_out) << "a hand-off hung:\n" << run.out;
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("4000 rounds by 8 pairs"), std::string::npos) << run.out;
  for (const std::string shape : {"worker", "thread per request", "thread start only"}) {
    const std::vector<double> row = rowOf(run.out, shape);
    ASSERT_EQ(row.size(), 2u) << "no figures for " << shape << ":\n" << run.out;
    EXPECT_GT(row[0], 0) << shape;
    EXPECT_GT(row[1], 0) << shape;
  }
  EXPECT_NE(run.out.find("a thread per request costs"), std::string::npos) << run.out;
}

TEST(CabinetThreadCost, RefusesABadCommandLineWithItsUsage) {
  for (const std::vector<std::string>& flags : std::vector<std::vector<std::string>>{
           {"--rounds", "0"}, {"--rounds", "x"}, {"--pairs", "1001"}, {"--pairs"}, {"--rounds", "3", "--pairs", "4"},
           {"--frobnicate", "1"}}) {
    std::vector<std::string> argv{MC_CABINET_THREAD_COST};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const ProgramResult run = runProgram(argv, std::chrono::seconds(10));
    ASSERT_FALSE(run.timed_out) << flags[0] << ": it started measuring";
    EXPECT_EQ(run.exit_code, 2) << flags[0];
    EXPECT_NE(run.err.find("usage: cabinet-thread-cost"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(flags[0]), std::string::npos) << "the message names the flag: " << run.err;
    EXPECT_EQ(run.out.find("rounds by"), std::string::npos) << run.out;
  }
}

}  // namespace
}  // namespace mc::test
