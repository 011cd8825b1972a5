/// @file bench_report.hpp
/// @brief What cabinet-bench prints and writes: the results table, the JSON
/// file and the SVG plot.
/// Runs in: cabinet-bench's main thread. Owns: nothing.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "bench_load.hpp"

namespace mc::bench {

/// All points measured against one server configuration.
struct Series {
  std::string label;  ///< "stage 4", "stage 4 --pool 8", "echo"
  std::string server_args;  ///< the server's flags, for the record
  bool baseline = false;    ///< the echo server
  bool floor = false;       ///< cabinetd-floor: the pipeline without its database
  std::vector<PointResult> points;
};

/// @brief The points of @p all as a text table, with the ratio to the
/// baseline's throughput and p99 at the same client count when there is one.
void printTable(std::ostream& out, const std::vector<Series>& all);
/// @brief Writes @p all as JSON: per series, per point, throughput_rps,
/// p50_us, p90_us, p99_us, max_us, errors, server_rss_kib, and with a
/// baseline ratio (throughput / baseline's) and p99_ratio.
void writeJson(std::ostream& out, const std::vector<Series>& all);
/// @brief Writes an SVG with two panels, throughput and p99 latency against
/// client count (log scale), a line per series.
void writeSvg(std::ostream& out, const std::vector<Series>& all, const std::string& title);

}  // namespace mc::bench
