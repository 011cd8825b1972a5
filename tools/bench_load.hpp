/// @file bench_load.hpp
/// @brief One measurement point: N clients, each on its own connection and
/// thread, sending requests back to back for D seconds and checking every reply.
/// Runs in: cabinet-bench: runLoad in the main thread, one thread per client.
/// Owns: the client threads (joined before runLoad returns).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace mc::bench {

/// The staff PIN of every cabinetd the bench starts (--staff-pin); restocks send it.
inline constexpr const char* kBenchStaffPin = "bench-pin";

/// How replies are checked.
enum class Checks {
  kCabinet,  ///< a real cabinetd: each operation's own reply (codes, lockers, stock)
  kEcho,     ///< cabinet-echo: the right request id and command, status OK
};

/// What to run.
struct LoadSpec {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int clients = 1;
  std::chrono::milliseconds duration{3000};
  Checks checks = Checks::kCabinet;
  std::string label;      ///< for the progress line: "stage 4", "echo", ...
  pid_t server_pid = -1;  ///< to sample its resident memory; -1: do not
};

/// What one point measured.
struct PointResult {
  int clients = 0;
  double seconds = 0;        ///< the measured window
  std::uint64_t requests = 0;  ///< replies received and checked in the window
  std::uint64_t errors = 0;    ///< wrong replies, failed calls, failed connects
  double throughput_rps = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
  long server_rss_kib = 0;  ///< highest resident memory seen (server + children)
  std::string first_error;  ///< what the first error was, for the report
};

/// @brief Connects spec.clients sessions, runs the mix below on each for
/// spec.duration, prints a live progress line on stderr, joins them.
/// The mix, per client, in a loop: deposit, pick up with the code just got
/// (parcel for even clients, food for odd ones), buy a product (restocking it
/// when sold out), list the catalogue.
/// Every wait is bounded: each call times out after 10 s.
PointResult runLoad(const LoadSpec& spec);

}  // namespace mc::bench
