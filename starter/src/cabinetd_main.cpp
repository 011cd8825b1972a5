/// @file cabinetd_main.cpp
/// @brief cabinetd: the MultiCabinet server. Parses the command line and runs.
/// The same program is also a restarted service child, when the server starts
/// it with --service-child (service_exec.hpp).
/// Runs in: the server process, or a service child started with exec.
/// Owns: nothing; runServer and runServiceProcess own what they start.
#include <cstdio>
#include <exception>
#include <string>
#include <variant>

#include "log.hpp"
#include "server.hpp"
#include "server_config.hpp"
#include "service_exec.hpp"
#include "trace.hpp"

int main(int argc, char** argv) {
  if (mc::isServiceProcessCommand(argc, argv)) return mc::runServiceProcess(argc, argv);
  mc::setServerArgv(argc, argv);  // to restart a service child later, with exec
  const auto parsed = mc::parseServerArgs(argc, argv);
  if (const auto* exit = std::get_if<mc::ArgsExit>(&parsed)) {
    std::fputs(exit->message.c_str(), exit->exit_code == 0 ? stdout : stderr);
    return exit->exit_code;
  }
  const auto& config = std::get<mc::ServerConfig>(parsed);
  for (const std::string& warning : config.warnings) std::fprintf(stderr, "cabinetd: warning: %s\n", warning.c_str());
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
