/// @file cabinet_bench.cpp
/// @brief `cabinet-bench`: measures cabinetd's throughput and latency under
/// N concurrent clients, stage by stage, against an echo server as baseline.
/// Runs in: the bench process: the main thread starts each server, runs the
/// points (bench_load.cpp: a thread per client) and reports (bench_report.cpp).
/// Owns: the servers it starts (bench_server.cpp stops and reaps each).
///
///   cabinet-bench [--stages 1,2,3,4] [--pools 8] [--clients 1,8,64,256]
///                 [--seconds 3] [--baseline echo] [--json F] [--svg F] ...
///
/// Exit status: 0 when every reply was right; 1 when any was wrong or a
/// request failed; 2 for a usage error or a server that would not start.
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bench_load.hpp"
#include "bench_report.hpp"
#include "bench_server.hpp"

namespace {

using namespace mc::bench;

constexpr std::string_view kUsage =
    "usage: cabinet-bench [options]\n"
    "  --stages LIST       cabinetd stages to run, e.g. 1,2,3,4 (default 4)\n"
    "  --pools LIST        also run stage 4 with --pool N for each N, e.g. 8\n"
    "  --clients LIST      concurrent clients per point (default 1,8,64,256)\n"
    "  --seconds D         length of each point in seconds (default 3)\n"
    "  --baseline echo     run the same load against cabinet-echo too, print ratios\n"
    "  --floor on          also run stage 4 and each pool on cabinetd-floor, cabinetd\n"
    "                      with its database taken out: what the hops alone allow\n"
    "  --server-args \"..\"  more flags for every cabinetd started, e.g. \"--pool 4\"\n"
    "  --port P            bench a server already running on P (starts none)\n"
    "  --host H            its address (default 127.0.0.1)\n"
    "  --cabinetd PATH     the server to start (default: next to this program)\n"
    "  --echo PATH         the echo server (default: next to this program)\n"
    "  --cabinetd-floor PATH  the floor server (default: next to this program)\n"
    "  --json FILE         write the figures as JSON\n"
    "  --svg FILE          write a plot of throughput and p99 against clients\n";

struct BenchArgs {
  std::vector<int> stages{4};
  std::vector<int> pools;
  std::vector<int> clients{1, 8, 64, 256};
  int seconds = 3;
  bool echo_baseline = false;
  bool floor = false;
  std::string server_args;
  std::optional<std::uint16_t> port;
  std::string host = "127.0.0.1";
  std::filesystem::path cabinetd;
  std::filesystem::path echo;
  std::filesystem::path cabinetd_floor;
  std::string json_file;
  std::string svg_file;
};

std::filesystem::path besideMe(const char* name) {
  std::error_code error;
  const auto me = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path(name) : me.parent_path() / name;
}

std::optional<int> parseInt(std::string_view text, int low, int high) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < low || value > high) return std::nullopt;
  return value;
}

std::optional<std::vector<int>> parseList(std::string_view text, int low, int high) {
  std::vector<int> values;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto value = parseInt(text.substr(0, comma), low, high);
    if (!value) return std::nullopt;
    values.push_back(*value);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (values.empty()) return std::nullopt;
  return values;
}

std::vector<std::string> splitWords(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// @return the arguments, or a message for a usage error.
std::variant<BenchArgs, std::string> parseArgs(int argc, char** argv) {
  BenchArgs args;
  args.cabinetd = besideMe("cabinetd");
  args.echo = besideMe("cabinet-echo");
  args.cabinetd_floor = besideMe("cabinetd-floor");
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help") return std::string(kUsage);
    if (i + 1 >= argc) return std::string(flag) + " needs a value (or is unknown)";
    const std::string value = argv[++i];
    bool good = true;
    if (flag == "--stages") {
      auto list = parseList(value, 1, 4);
      if ((good = list.has_value())) args.stages = *list;
    } else if (flag == "--pools") {
      auto list = parseList(value, 1, 256);
      if ((good = list.has_value())) args.pools = *list;
    } else if (flag == "--clients") {
      auto list = parseList(value, 1, 10000);
      if ((good = list.has_value())) args.clients = *list;
    } else if (flag == "--seconds") {
      auto seconds = parseInt(value, 1, 3600);
      if ((good = seconds.has_value())) args.seconds = *seconds;
    } else if (flag == "--baseline") {
      good = value == "echo" || value == "none";
      args.echo_baseline = value == "echo";
    } else if (flag == "--floor") {
      good = value == "on" || value == "off";
      args.floor = value == "on";
    } else if (flag == "--port") {
      auto port = parseInt(value, 1, 65535);
      if ((good = port.has_value())) args.port = static_cast<std::uint16_t>(*port);
    } else if (flag == "--server-args") {
      args.server_args = value;
    } else if (flag == "--host") {
      args.host = value;
    } else if (flag == "--cabinetd") {
      args.cabinetd = value;
    } else if (flag == "--echo") {
      args.echo = value;
    } else if (flag == "--cabinetd-floor") {
      args.cabinetd_floor = value;
    } else if (flag == "--json") {
      args.json_file = value;
    } else if (flag == "--svg") {
      args.svg_file = value;
    } else {
      return "unknown option " + std::string(flag);
    }
    if (!good) return "bad value for " + std::string(flag) + ": '" + value + "'";
  }
  return args;
}

/// One server configuration to measure.
struct Plan {
  std::string label;
  std::vector<std::string> server_args;  // for cabinetd; unused for echo
  bool echo = false;
  bool iterative = false;  // stage 1: serves one client at a time
  bool floor = false;      // on cabinetd-floor instead of cabinetd
};

std::vector<Plan> makePlans(const BenchArgs& args) {
  std::vector<Plan> plans;
  if (args.port) return {Plan{"server :" + std::to_string(*args.port), {}, false, false, false}};
  if (args.echo_baseline) plans.push_back(Plan{"echo", {}, true, false, false});
  // Capacities far above any client count: a deposit must never find the
  // lockers FULL (each client holds at most one parcel or meal at a time).
  // A long idle timeout: with 1,000 clients the first ones to connect wait
  // for the last (a minute and more on a busy machine), and the server must
  // not close them as idle meanwhile.
  // Every client connects at once: no BUSY from --max-connections. Restocks
  // are staff operations: the load sends kBenchStaffPin. (scripts/bench-ab.sh
  // starts its servers with the same flags.)
  const std::vector<std::string> common{"--quiet", "--parcel-lockers", "999", "--food-slots", "999",
                                        "--idle-timeout", "3600", "--max-connections", "65535",
                                        "--staff-pin", kBenchStaffPin};
  const std::vector<std::string> extra = splitWords(args.server_args);
  auto cabinetd = [&](std::string label, int stage, std::vector<std::string> more, bool floor) {
    std::vector<std::string> words = common;
    words.insert(words.end(), {"--stage", std::to_string(stage)});
    words.insert(words.end(), more.begin(), more.end());
    words.insert(words.end(), extra.begin(), extra.end());
    if (!args.server_args.empty()) label += " " + args.server_args;
    plans.push_back(Plan{label, words, false, stage == 1, floor});
  };
  for (int stage : args.stages) cabinetd("stage " + std::to_string(stage), stage, {}, false);
  for (int pool : args.pools)
    cabinetd("stage 4 pool " + std::to_string(pool), 4, {"--pool", std::to_string(pool)}, false);
  if (args.floor) {  // the same two shapes with nothing behind the hops
    cabinetd("floor stage 4", 4, {}, true);
    for (int pool : args.pools) cabinetd("floor pool " + std::to_string(pool), 4, {"--pool", std::to_string(pool)}, true);
  }
  return plans;
}

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

// Runs every client count of @p plan on a server of its own.
Series runPlan(const BenchArgs& args, const Plan& plan) {
  Series series{plan.label, joined(plan.server_args), plan.echo, plan.floor, {}};
  std::optional<BenchServer> server;
  if (!args.port) {
    if (plan.echo) {
      server.emplace(args.echo, std::vector<std::string>{}, false);
    } else {
      server.emplace(plan.floor ? args.cabinetd_floor : args.cabinetd, plan.server_args, true);
    }
  }
  for (int clients : args.clients) {
    if (plan.iterative && clients > 1) {
      // Stage 1 serves one client until it leaves; the rest would only time out.
      std::cerr << "  " << plan.label << ": skipping " << clients << " clients (one client at a time)\n";
      continue;
    }
    LoadSpec spec;
    spec.host = args.host;
    spec.port = server ? server->port() : *args.port;
    spec.clients = clients;
    spec.duration = std::chrono::seconds(args.seconds);
    spec.checks = plan.echo ? Checks::kEcho : Checks::kCabinet;
    spec.label = plan.label;
    spec.server_pid = server ? server->pid() : -1;
    const PointResult point = runLoad(spec);
    std::fprintf(stderr, "  %-22s %5d clients  %8.0f req/s  p99 %7.0f us  errors %llu\n", plan.label.c_str(),
                 clients, point.throughput_rps, point.p99_us, static_cast<unsigned long long>(point.errors));
    series.points.push_back(point);
  }
  if (server) {
    const std::string how = server->stop();
    if (how != "exited 0" && !plan.echo) std::cerr << "  " << plan.label << ": server " << how << "\n";
  }
  return series;
}

bool writeFile(const std::string& path, const auto& write) {
  std::ofstream out(path);
  write(out);
  out.close();
  if (!out) std::cerr << "cabinet-bench: cannot write " << path << "\n";
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parseArgs(argc, argv);
  if (auto* message = std::get_if<std::string>(&parsed)) {
    const bool help = *message == kUsage;
    std::cerr << (help ? "" : "cabinet-bench: " + *message + "\n") << kUsage;
    return help ? 0 : 2;
  }
  const BenchArgs& args = std::get<BenchArgs>(parsed);
  std::signal(SIGPIPE, SIG_IGN);  // a server that dies must not kill the bench
  const long files = raiseOpenFileLimit();
  std::cerr << "cabinet-bench: " << args.seconds << " s per point; open-file limit " << files << "\n";

  std::vector<Series> all;
  try {
    for (const Plan& plan : makePlans(args)) all.push_back(runPlan(args, plan));
  } catch (const std::exception& error) {
    std::cerr << "cabinet-bench: " << error.what() << "\n";
    return 2;
  }
  printTable(std::cout, all);
  if (!args.json_file.empty()) writeFile(args.json_file, [&](std::ostream& out) { writeJson(out, all); });
  if (!args.svg_file.empty()) {
    writeFile(args.svg_file, [&](std::ostream& out) {
      writeSvg(out, all, "cabinetd vs echo baseline, " + std::to_string(args.seconds) + " s per point");
    });
  }
  for (const Series& series : all)
    for (const PointResult& point : series.points)
      if (point.errors > 0) return 1;
  return 0;
}
