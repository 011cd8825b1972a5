/// @file cabinetd_main.cpp
/// @brief cabinetd: the MultiCabinet server. Parses the command line and runs.
/// Runs in: the server process.
#include <cstdio>
#include <exception>
#include <variant>

#include "log.hpp"
#include "server.hpp"
#include "server_config.hpp"
#include "trace.hpp"

int main(int argc, char** argv) {
  const auto parsed = mc::parseServerArgs(argc, argv);
  if (const auto* exit = std::get_if<mc::ArgsExit>(&parsed)) {
    std::fputs(exit->message.c_str(), exit->exit_code == 0 ? stdout : stderr);
    return exit->exit_code;
  }
  const auto& config = std::get<mc::ServerConfig>(parsed);
  mc::setLogQuiet(config.quiet);
  try {
    // Before runServer forks the service children: they inherit the file.
    if (!config.trace_path.empty()) mc::startTrace(config.trace_path);
    const int status = mc::runServer(config);
    mc::stopTrace();
    return status;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cabinetd: %s\n", error.what());
    return 1;
  }
}
