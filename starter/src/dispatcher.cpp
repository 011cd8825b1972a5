/// @file dispatcher.cpp
/// @brief What every dispatcher answers when a service cannot be reached.
/// Runs in: the server's connection threads.
#include "dispatcher.hpp"

#include <string>

namespace mc {

Reply unavailableReply(Service service, const Request& request) {
  return makeReply(request, Status::kUnavailable, std::string(serviceName(service)) + " service is not running");
}

}  // namespace mc
