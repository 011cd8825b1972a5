/// @file server_config.hpp
/// @brief cabinetd's settings and its command line.
/// Runs in: the server process, before anything else.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "service_state.hpp"

namespace mc {

/// Default TCP port of cabinetd and cabinet.
inline constexpr std::uint16_t kDefaultPort = 7007;

/// Everything cabinetd can be told on its command line.
struct ServerConfig {
  std::string host = "127.0.0.1";  ///< address to listen on
  std::uint16_t port = kDefaultPort;  ///< 0 = any free port (printed at start)
  int stage = 4;                    ///< 1..4, see dispatcher.hpp
  ServiceOptions services;          ///< data dir, capacities, staff PIN, lockout policy
  int idle_timeout_ms = 60'000;     ///< close a connection silent this long
  int frame_timeout_ms = 10'000;    ///< answer and close a connection whose frame takes longer
  int backlog = 1024;               ///< listen(2) backlog: bursts of hundreds
  /// Connections served at once; one more is answered BUSY and closed
  /// (connection_limit.hpp). The server lowers it to fit its descriptor limit.
  int max_connections = 512;
  bool quiet = false;               ///< no per-connection log lines
  int pool = 0;                     ///< stage 4: worker threads per child; 0 = a thread per request
  std::string trace_path;           ///< --trace FILE: record request hops (trace.hpp); empty = off
  /// Things the user should hear about but that do not stop the server
  /// (the PIN given on the command line); cabinetd prints each to stderr.
  std::vector<std::string> warnings;
};

/// What to print instead of starting the server, and the exit status.
struct ArgsExit {
  std::string message;  ///< the usage text, after the error if there was one
  int exit_code;        ///< 0 for --help, 2 for a usage error
};

/// @brief Parses cabinetd's arguments: "--flag value" or "--flag=value";
/// numbers must be whole decimal integers in range.
/// @return the config, or the ArgsExit to print (never exits itself).
/// Thread safety: thread-safe; reads @p argv and the staff PIN file only.
std::variant<ServerConfig, ArgsExit> parseServerArgs(int argc, char** argv);

}  // namespace mc
