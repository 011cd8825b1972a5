/// @file inline_dispatcher.cpp
/// @brief Running the services in the caller's thread.
/// Runs in: the server (the main thread in stage 1, connection threads in 2).
///
/// Your version. It works as given for stage 1, where one thread serves one
/// client at a time. Lab 2 makes many connection threads call dispatch() at
/// once, and then it needs the per-service mutex (see the TODO below).
///
/// Why a mutex: a deposit reads "which compartment is free?" and then writes
/// "compartment 7 is taken". Two threads doing that at once can both pick 7,
/// and one parcel is lost.
#include "inline_dispatcher.hpp"

namespace mc {

namespace {

std::size_t indexOf(Service service) { return static_cast<std::size_t>(service) - 1; }

}  // namespace

InlineDispatcher::InlineDispatcher(const ServiceOptions& options) {
  for (Service service : kServices) services_[indexOf(service)].state = openServiceState(service, options);
}

Reply InlineDispatcher::dispatch(Service service, const Request& request) {
  Guarded& guarded = services_[indexOf(service)];
  // TODO(lab2): many connection threads call dispatch() at once. handle() reads the
  //   service's state and then writes it: to every other thread of the same service the
  //   whole call must be one step (guarded.mutex), while requests to other services never
  //   wait for it. Nothing aborts here until you do it: the tests that fail are
  //   Lab2Threads.SharedCabinetStateSurvivesManyThreads and the Concurrency load.
  // Hints: labs/02-threads/HINTS.md#inlinedispatcherdispatch
  return guarded.state->handle(request);
}

}  // namespace mc
