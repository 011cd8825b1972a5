/// @file run_record.cpp
/// @brief runRecords: request records, run on a service child's state as
/// one group commit.
/// Runs in: a stage 4 service child (its request threads or pool workers).
#include <optional>
#include <span>
#include <vector>

#include "records.hpp"
#include "semaphore_child.hpp"

namespace mc {

std::vector<Reply> runRecords(ChildContext& context, std::span<const RequestRecord> records) {
  std::vector<Request> batch;  // the records that unpack, in order
  std::vector<bool> unpacked;  // per record: is it in the batch?
  for (const RequestRecord& record : records) {
    std::optional<Request> request = unpackRequest(record);
    unpacked.push_back(request.has_value());
    if (request) batch.push_back(std::move(*request));
  }
  std::vector<Reply> ran = context.state.handleAll(batch);
  std::vector<Reply> replies;
  replies.reserve(records.size());
  auto next = ran.begin();
  const Service service = context.state.service();
  for (std::size_t i = 0; i < records.size(); ++i)
    replies.push_back(unpacked[i] ? std::move(*next++) : refuseCorruptRequest(records[i], service));
  return replies;
}

}  // namespace mc
