/// @file wait_status.cpp
/// @brief describeWaitStatus: a waitpid status in words, for the logs.
/// Runs in: the server. (Forking and reaping are lab 3's, child_process.cpp.)
#include <sys/wait.h>

#include <string>

#include "child_process.hpp"

namespace mc {

std::string describeWaitStatus(int status) {
  if (status == kUnknownWaitStatus) return "reaped elsewhere, status unknown";
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped";
}

}  // namespace mc
