/// @file detached_thread.hpp
/// @brief startDetachedThread: a detached thread with a stack size of our
/// choosing, which std::thread cannot set.
/// Runs in: a stage 4 service child (one thread per request, lab 4).
/// Owns: nothing after the start; the thread owns its body.
///
/// Why the stack size matters: glibc gives each thread 8 MiB and keeps only
/// about 40 MiB of finished threads' stacks for reuse, so with more than a
/// few requests in flight every new thread would mmap a fresh stack and fault
/// its pages in, one by one. A request needs far less (SQLite's deepest
/// statements stay under 64 KiB), and kRequestStackBytes stacks stay cached
/// for every reply slot of a service.
#pragma once

#include <cstddef>
#include <memory>

namespace mc {

/// The stack of one request thread in a stage 4 child.
constexpr std::size_t kRequestStackBytes = 256 * 1024;

/// @brief Starts a detached thread running @p entry(@p argument) on a stack of
/// @p stack_bytes. @return false if no thread could be had (EAGAIN, ENOMEM).
bool startDetachedThread(void* (*entry)(void*), void* argument, std::size_t stack_bytes);

namespace detail {
template <typename Body>
void* runOwnedBody(void* raw) {
  std::unique_ptr<Body> body(static_cast<Body*>(raw));  // the thread's own: freed at its end
  (*body)();
  return nullptr;
}
}  // namespace detail

/// @brief Runs (*@p body)() in a new detached thread with a small stack.
/// On success the thread owns the body (@p body becomes empty) and deletes it
/// when done. @return false if no thread could be had: the body is then still
/// the caller's, to run some other way (its client must get a reply).
template <typename Body>
bool startDetachedThread(std::unique_ptr<Body>& body, std::size_t stack_bytes = kRequestStackBytes) {
  if (!startDetachedThread(&detail::runOwnedBody<Body>, body.get(), stack_bytes)) return false;
  body.release();  // the thread's now
  return true;
}

}  // namespace mc
