/// @file test_fd.cpp
/// @brief The provided descriptor sweeps, closeDescriptors and closeOnExecFrom:
/// with close_range, and on the one-descriptor-at-a-time path a kernel without
/// close_range gets (here: a child whose close_range a seccomp filter refuses).
/// Runs in: the kit test process; each check runs in a forked child, so the
/// sweep and the filter touch no descriptor of the test process.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>

#include "fd.hpp"
#include "server_process.hpp"

namespace mc::test {
namespace {

// Exit codes of the child, besides the check's own (1, 2, ...).
constexpr int kNoSeccomp = 77;        // the filter could not be installed
constexpr int kFilterNotHeld = 78;    // close_range still worked under it

// From now on close_range fails with ENOSYS in this process, as on Linux
// before 5.9; every other system call is let through. (A test filter: it does
// not check the architecture, which a security filter must.)
bool refuseCloseRange() {
  sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_close_range, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog filter{static_cast<unsigned short>(std::size(program)), program};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) == 0;
}

bool isOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }
bool isCloseOnExec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

// /dev/null at descriptor @p fd, not close-on-exec.
void openAt(int fd) {
  const int null = ::open("/dev/null", O_RDONLY);
  ::dup2(null, fd);
  ::close(null);
}

// 100-104 closed, 99 and 105 kept.
int closesTheRangeOnly() {
  for (int fd = 99; fd <= 105; ++fd) openAt(fd);
  closeDescriptors(100, 104);
  for (int fd = 100; fd <= 104; ++fd)
    if (isOpen(fd)) return 1;
  if (!isOpen(99) || !isOpen(105)) return 2;
  closeDescriptors(105, 99);  // an empty range: nothing happens
  return isOpen(99) && isOpen(105) ? 0 : 3;
}

// 200 and up close-on-exec (and still open), 150 below untouched.
int marksFromFirstUp() {
  for (int fd : {150, 200, 201, 300}) openAt(fd);
  closeOnExecFrom(200);
  for (int fd : {200, 201, 300})
    if (!isOpen(fd) || !isCloseOnExec(fd)) return 1;
  return isCloseOnExec(150) ? 2 : 0;
}

// Runs @p check in a forked child, with or without close_range; its exit
// code (nullopt if the child was killed, or hung and was killed).
std::optional<int> inChild(bool without_close_range, int (*check)()) {
  const pid_t pid = ::fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    // A few thousand numbers to sweep, not the million the test process may allow.
    rlimit files{4096, 4096};
    ::setrlimit(RLIMIT_NOFILE, &files);
    if (without_close_range) {
      if (!refuseCloseRange()) ::_exit(kNoSeccomp);
      errno = 0;
      if (::syscall(__NR_close_range, 4000U, 4000U, 0U) != -1 || errno != ENOSYS) ::_exit(kFilterNotHeld);
    }
    ::_exit(check());
  }
  return childExitCodeWithin(pid, std::chrono::seconds(10));
}

class DescriptorSweeps : public ::testing::TestWithParam<bool> {};

TEST_P(DescriptorSweeps, CloseDescriptorsClosesTheRangeAndNothingElse) {
  const std::optional<int> code = inChild(GetParam(), &closesTheRangeOnly);
  ASSERT_TRUE(code) << "the child was killed, or did not exit within 10 s";
  if (*code == kNoSeccomp) GTEST_SKIP() << "no seccomp here to take close_range away";
  ASSERT_NE(*code, kFilterNotHeld) << "the seccomp filter did not refuse close_range";
  EXPECT_EQ(*code, 0) << "1: a descriptor of the range still open; 2: one outside it closed; "
                        "3: an empty range closed one";
}

TEST_P(DescriptorSweeps, CloseOnExecFromMarksEveryDescriptorFromFirstUp) {
  const std::optional<int> code = inChild(GetParam(), &marksFromFirstUp);
  ASSERT_TRUE(code) << "the child was killed, or did not exit within 10 s";
  if (*code == kNoSeccomp) GTEST_SKIP() << "no seccomp here to take close_range away";
  ASSERT_NE(*code, kFilterNotHeld) << "the seccomp filter did not refuse close_range";
  EXPECT_EQ(*code, 0) << "1: one from 200 up not marked (or closed); 2: 150 marked";
}

INSTANTIATE_TEST_SUITE_P(Kernel, DescriptorSweeps, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string{info.param ? "WithoutCloseRange" : "WithCloseRange"};
                         });

}  // namespace
}  // namespace mc::test
