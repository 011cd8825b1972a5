/// @file run_record.cpp
/// @brief runRecord: one request record, run on a service child's state.
/// Runs in: a stage 4 service child (its request threads or pool workers).
#include <optional>

#include "records.hpp"
#include "semaphore_child.hpp"

namespace mc {

Reply runRecord(ChildContext& context, const RequestRecord& record) {
  const std::optional<Request> request = unpackRequest(record);
  if (!request) {
    Request echo;
    echo.request_id = record.request_id;
    return makeReply(echo, Status::kBadRequest, "corrupt request record", context.state.service());
  }
  return context.state.handle(*request);
}

}  // namespace mc
