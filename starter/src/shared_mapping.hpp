/// @file shared_mapping.hpp
/// @brief Shared memory behind a descriptor (a memfd), so that a program
/// started with exec() can map the very bytes its parent maps.
/// Runs in: the server (createMemfd), and a service child restarted with
/// exec (mapMemfd). Owns: nothing itself; SharedMemory (shared_semaphore.hpp)
/// owns the descriptor and the mapping it gets from here.
///
/// Why not the anonymous mapping of lab 4: MAP_SHARED | MAP_ANONYMOUS memory
/// is shared with children made by fork(), because fork copies the address
/// space, mappings included. exec() throws the address space away: the new
/// program starts with no mapping at all, and an anonymous mapping has no name
/// to find it again by. A memfd is an anonymous *file*: it too lives only in
/// memory and vanishes with its last descriptor and mapping (nothing in
/// /dev/shm to clean up), but its descriptor can cross exec, and every
/// process that maps it sees the same pages.
#pragma once

#include <cstddef>

#include "fd.hpp"

namespace mc {

/// A fresh memfd and where this process mapped it.
struct MemfdMapping {
  Fd file;                  ///< the memfd (close-on-exec: hand it on explicitly)
  void* address = nullptr;  ///< @p size bytes of it, MAP_SHARED, zero-filled
};

/// @brief memfd_create(@p name, MFD_CLOEXEC), ftruncate to @p size, then
/// mmap it MAP_SHARED. The name only shows in /proc/PID/fd and maps.
/// @throws std::system_error naming the failing call; nothing stays open then.
/// Thread-safe.
MemfdMapping createMemfd(const char* name, std::size_t size);

/// @brief Maps @p size bytes of the memfd @p file that another process made
/// with createMemfd (checked: the file must be at least that big).
/// @throws std::system_error naming fstat or mmap. Thread-safe.
void* mapMemfd(const Fd& file, std::size_t size);

/// @brief munmap of what createMemfd or mapMemfd mapped. The memfd itself
/// lives on while any process holds its descriptor or a mapping of it.
void unmapMemfd(void* address, std::size_t size) noexcept;

}  // namespace mc
