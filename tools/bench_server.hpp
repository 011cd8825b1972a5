/// @file bench_server.hpp
/// @brief BenchServer: the server a benchmark runs against, started by the
/// bench (cabinetd or cabinet-echo) on a fresh data directory and a free port.
/// Runs in: cabinet-bench's main thread. Owns: the server process until it is
/// reaped, and its temporary data directory until it is removed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mc::bench {

/// A server process started by the bench. Move-only in spirit: not copyable.
/// The destructor stops it (SIGTERM, then SIGKILL after a deadline) and
/// removes its data directory, so no process or file is left behind.
class BenchServer {
 public:
  /// @brief Starts @p program with @p args plus "--port 0" (and, when
  /// @p with_data_dir, "--data-dir <fresh temp dir>"), and waits up to
  /// @p timeout for its "listening on HOST:PORT" line.
  /// @throws std::runtime_error if it does not start or never says so.
  BenchServer(const std::filesystem::path& program, std::vector<std::string> args, bool with_data_dir,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));
  BenchServer(const BenchServer&) = delete;
  BenchServer& operator=(const BenchServer&) = delete;
  /// @brief stop(), then removes the data directory.
  ~BenchServer();

  /// @brief The port it listens on.
  std::uint16_t port() const { return port_; }
  /// @brief Its process id (until stopped).
  pid_t pid() const { return pid_; }
  /// @brief SIGTERM, wait up to @p grace for it to exit, else SIGKILL and
  /// reap. @return its wait status text ("exited 0", "killed by signal 9").
  std::string stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::filesystem::path data_dir_;  // empty when the server needs none
};

/// @brief Resident memory of @p pid plus all its descendants, in KiB
/// (VmRSS of /proc/PID/status, summed). 0 if @p pid is gone.
long residentKib(pid_t pid);

/// @brief Raises this process's soft RLIMIT_NOFILE to its hard limit.
/// @return the soft limit now in force.
long raiseOpenFileLimit();

}  // namespace mc::bench
