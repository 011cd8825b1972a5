/// @file inline_dispatcher.cpp
/// @brief Running the services in the caller's thread, under a mutex.
/// Runs in: the server (the main thread in stage 1, connection threads in 2).
///
/// Why the mutex: a deposit reads "which compartment is free?" and then writes
/// "compartment 7 is taken". Two threads doing that at once can both pick 7,
/// and one parcel is lost. Holding the service's mutex across the whole
/// request makes read-then-write one step. Each service has its own mutex, so
/// a buyer never waits for a parcel deposit.
#include "inline_dispatcher.hpp"

#include "trace.hpp"

namespace mc {

namespace {

std::size_t indexOf(Service service) { return static_cast<std::size_t>(service) - 1; }

}  // namespace

InlineDispatcher::InlineDispatcher(const ServiceOptions& options) {
  for (Service service : kServices) services_[indexOf(service)].state = openServiceState(service, options);
}

Reply InlineDispatcher::dispatch(Service service, const Request& request) {
  Guarded& guarded = services_[indexOf(service)];
  std::scoped_lock lock(guarded.mutex);
  const std::int64_t started = tracing() ? traceClock() : 0;
  Reply reply = guarded.state->handle(request);
  traceSpan(Hop::kWork, request.trace_id, started);
  return reply;
}

}  // namespace mc
