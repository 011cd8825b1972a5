/// @file shared_mapping.cpp
/// @brief memfd_create, ftruncate and mmap: shared memory that survives exec.
/// Runs in: the server and restarted service children.
/// Owns: nothing; callers own what it returns.
#include "shared_mapping.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace mc {

namespace {

void* mapWhole(const Fd& file, std::size_t size) {
  void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, file.get(), 0);
  if (address == MAP_FAILED) throwErrno("mmap");
  return address;
}

}  // namespace

MemfdMapping createMemfd(const char* name, std::size_t size) {
  // MFD_CLOEXEC: only the one child we mean to give it to gets it, and only
  // because spawnServiceProcess clears the flag in that child alone.
  Fd file{::memfd_create(name, MFD_CLOEXEC)};
  if (!file) throwErrno("memfd_create");
  // A new memfd is 0 bytes long: mapping beyond the end would give SIGBUS.
  if (::ftruncate(file.get(), static_cast<off_t>(size)) != 0) throwErrno("ftruncate");
  void* address = mapWhole(file, size);
  return MemfdMapping{std::move(file), address};
}

void* mapMemfd(const Fd& file, std::size_t size) {
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) throwErrno("fstat");
  if (static_cast<std::size_t>(info.st_size) < size) {
    errno = EINVAL;  // not the object we were promised: mapping it would SIGBUS later
    throwErrno("mapMemfd: file too small");
  }
  return mapWhole(file, size);
}

void unmapMemfd(void* address, std::size_t size) noexcept { ::munmap(address, size); }

}  // namespace mc
