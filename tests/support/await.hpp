/// @file await.hpp
/// @brief awaitOrAbort: how a test waits for the thread behind a std::async.
/// Runs in: any test process.
///
/// A std::async future cannot be walked away from: its destructor waits for
/// the thread, with no limit. A test that only recorded "timed out" and
/// returned would hang right there, in the destructor, until ctest's 300 s
/// or the grader's watchdog. So a wait that runs out ends the test process at
/// once (abortTest), naming what did not finish.
#pragma once

#include <chrono>
#include <future>
#include <string>

#include "server_process.hpp"

namespace mc::test {

/// @brief Returns once @p future is ready; if it is not within @p limit,
/// ends the test with "@p what: not done after N ms".
template <typename T>
void awaitOrAbort(const std::future<T>& future, std::chrono::milliseconds limit, const std::string& what) {
  if (future.wait_for(limit) == std::future_status::ready) return;
  abortTest(what + ": not done after " + std::to_string(limit.count()) +
            " ms (a deadlock, or a wake-up that never came)");
}

}  // namespace mc::test
