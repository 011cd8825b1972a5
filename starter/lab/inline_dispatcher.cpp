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
  // TODO(lab2): hold guarded.mutex for the whole request: a named
  //   std::scoped_lock on the line above handle(). Not just around part of it:
  //   handle() reads and then writes the state, and the read-then-write must be
  //   one step. One mutex per service (not one for all): a buyer then never waits
  //   for a parcel deposit. Without it, Lab2Threads.SharedCabinetStateSurvivesManyThreads
  //   sees one locker given out twice, or a deposit that fails.
  return guarded.state->handle(request);
}

}  // namespace mc
