/// @file detached_thread.cpp
/// @brief pthread_create with a chosen stack size, detached from the start.
/// Runs in: a stage 4 service child. See detached_thread.hpp for why.
#include "detached_thread.hpp"

#include <pthread.h>

namespace mc {

bool startDetachedThread(void* (*entry)(void*), void* argument, std::size_t stack_bytes) {
  pthread_attr_t attributes;
  if (::pthread_attr_init(&attributes) != 0) return false;
  ::pthread_attr_setstacksize(&attributes, stack_bytes);
  // Detached: nobody joins a request thread; the child's ThreadTracker
  // counts them instead, so it can wait for the last one at shutdown.
  ::pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  const int error = ::pthread_create(&thread, &attributes, entry, argument);
  ::pthread_attr_destroy(&attributes);
  return error == 0;
}

}  // namespace mc
