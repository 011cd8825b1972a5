/// @file batch_queue.cpp
/// @brief BatchQueue: records waiting for stage 4's next group commit.
/// Runs in: a stage 4 service child. See batch_queue.hpp for why.
#include "batch_queue.hpp"

namespace mc {

bool BatchQueue::leave(const RequestRecord& record) {
  std::scoped_lock lock(mutex_);
  waiting_.push_back(record);
  if (serving_) return false;  // the serving thread will find it in its next take()
  serving_ = true;
  return true;
}

bool BatchQueue::take(std::vector<RequestRecord>& batch) {
  batch.clear();
  std::scoped_lock lock(mutex_);
  batch.swap(waiting_);  // the list's storage comes back to us next time: no allocation
  serving_ = !batch.empty();  // in the same critical section as the check: see the header
  return serving_;
}

}  // namespace mc
