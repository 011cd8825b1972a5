/// @file inline_dispatcher.hpp
/// @brief Stages 1 and 2: the services run inside the server process, in the
/// thread that read the request.
/// Runs in: the server. Owns: the three ServiceStates (and their databases).
#pragma once

#include <array>
#include <memory>
#include <mutex>

#include "dispatcher.hpp"
#include "service_state.hpp"

namespace mc {

/// Calls the service logic directly, one request at a time per service.
class InlineDispatcher final : public Dispatcher {
 public:
  /// @brief Opens the three services' databases.
  /// @throws std::runtime_error if a database cannot be opened.
  explicit InlineDispatcher(const ServiceOptions& options);

  /// @brief Runs @p request on @p service in the calling thread.
  /// Thread-safe: each service's state is behind its own mutex.
  Reply dispatch(Service service, const Request& request) override;

 private:
  /// One service's state and the lock that serializes it.
  struct Guarded {
    std::mutex mutex;
    std::unique_ptr<ServiceState> state;  // guarded by mutex
  };
  std::array<Guarded, kServiceCount> services_;
};

}  // namespace mc
