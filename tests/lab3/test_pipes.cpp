/// @file test_pipes.cpp
/// @brief Lab 3: fork and pipes. A service child reads requests from its pipe
/// and answers on the other; it sees end of file as soon as the server closes
/// its end (so no other process may hold a copy); children are reaped; the
/// server keeps only its own pipe ends.
/// Runs in: the lab 3 test process, which forks service children itself.
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "child_process.hpp"
#include "pipe_dispatcher.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "server_process.hpp"
#include "service_child.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using namespace std::chrono_literals;

// Waits (bounded) for @p child to exit by itself; never kills it.
bool exitsWithin(ChildProcess& child, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!child.tryReap()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Open pipe descriptors of this process (/proc/self/fd links "pipe:[...]").
// Only pipes are counted: a sanitizer's runtime may open files of its own.
int openPipeCount() {
  int count = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    char target[64] = {};
    const std::string link = std::string("/proc/self/fd/") + entry->d_name;
    if (::readlink(link.c_str(), target, sizeof target - 1) > 0 && std::string_view(target).starts_with("pipe:"))
      ++count;
  }
  ::closedir(dir);
  return count;
}

/// A parcel child started the way PipeDispatcher starts one.
struct PipeChild {
  Fd requests;  // server's write end
  Fd replies;   // server's read end
  std::unique_ptr<ChildProcess> child;
};

PipeChild startParcelChild(const ServiceOptions& options) {
  Pipe requests = makePipe();
  Pipe replies = makePipe();
  PipeChild started;
  started.child = spawnServiceChild(Service::kParcel, {requests.read_end.get(), replies.write_end.get()}, [&] {
    auto state = openServiceState(Service::kParcel, options);
    return runPipeChild(*state, requests.read_end, replies.write_end);
  });
  started.requests = std::move(requests.write_end);
  started.replies = std::move(replies.read_end);
  return started;
}

class Lab3Pipes : public ::testing::Test {
 protected:
  TempDir data_{"lab3"};
  ServiceOptions options() const {
    ServiceOptions options;
    options.data_dir = data_.path();
    return options;
  }
};

TEST_F(Lab3Pipes, ChildAnswersARequestThroughThePipes) {
  PipeChild parcel = startParcelChild(options());
  const RequestRecord request = packRequest(depositParcel(), 0);
  ASSERT_TRUE(writeAll(parcel.requests, &request, sizeof request));
  ReplyRecord record;
  ASSERT_EQ(readExactly(parcel.replies, &record, sizeof record), IoStatus::kOk) << "no reply from the child";
  std::optional<Reply> reply = unpackReply(record);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, Status::kOk);
  EXPECT_EQ(reply->served_by.pid, static_cast<std::uint32_t>(parcel.child->pid()))
      << "the reply must come from the child process";
  parcel.requests.reset();
  EXPECT_TRUE(exitsWithin(*parcel.child, 5s));
}

TEST_F(Lab3Pipes, ChildExitsAtEndOfFile) {
  PipeChild parcel = startParcelChild(options());
  parcel.requests.reset();  // the server's only copy of the write end
  ASSERT_TRUE(exitsWithin(*parcel.child, 5s)) << "the child never saw end of file on its request pipe";
  EXPECT_TRUE(WIFEXITED(parcel.child->waitStatus()));
  EXPECT_EQ(WEXITSTATUS(parcel.child->waitStatus()), 0);
}

// The classic: the second child inherits the first child's pipe ends. If it
// does not close them, the first child never sees end of file.
TEST_F(Lab3Pipes, SiblingDoesNotKeepMyPipeOpen) {
  PipeChild first = startParcelChild(options());
  // Its own data directory: a service holds its database file exclusively,
  // so two parcel children on one file would wait for each other.
  ServiceOptions elsewhere = options();
  elsewhere.data_dir /= "second";
  std::filesystem::create_directories(elsewhere.data_dir);
  PipeChild second = startParcelChild(elsewhere);
  first.requests.reset();
  EXPECT_TRUE(exitsWithin(*first.child, 5s))
      << "the first child never saw end of file: the second child holds a copy of its pipe";
  second.requests.reset();
  EXPECT_TRUE(exitsWithin(*second.child, 5s));
}

TEST_F(Lab3Pipes, ChildReportsEndOfReplyPipeAsItsDeath) {
  PipeChild parcel = startParcelChild(options());
  ASSERT_EQ(::kill(parcel.child->pid(), SIGKILL), 0);
  ReplyRecord record;
  // With the server's copy of the reply pipe's write end closed, the child's
  // death is end of file here, not a wait forever.
  EXPECT_EQ(readExactly(parcel.replies, &record, sizeof record), IoStatus::kClosed);
  EXPECT_TRUE(exitsWithin(*parcel.child, 5s));
}

TEST_F(Lab3Pipes, DeadChildIsReapedNotLeftAZombie) {
  PipeChild parcel = startParcelChild(options());
  const pid_t pid = parcel.child->pid();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(exitsWithin(*parcel.child, 5s));
  EXPECT_FALSE(processState(pid).has_value()) << "child " << pid << " is still in the process table";
}

TEST_F(Lab3Pipes, ServerKeepsOnlyItsOwnPipeEnds) {
  const int before = openPipeCount();
  {
    PipeDispatcher dispatcher(options());
    // Two pipes per service, one end of each stays with the server.
    EXPECT_EQ(openPipeCount() - before, 6) << "the server should hold exactly 2 pipe ends per service";
    Reply reply = dispatcher.dispatch(Service::kVending, listProducts());
    EXPECT_EQ(reply.status, Status::kOk);
  }
  EXPECT_EQ(openPipeCount(), before) << "pipe ends leaked after the dispatcher was destroyed";
}

TEST_F(Lab3Pipes, EachServiceIsItsOwnProcess) {
  PipeDispatcher dispatcher(options());
  const Reply parcel = dispatcher.dispatch(Service::kParcel, depositParcel());
  const Reply food = dispatcher.dispatch(Service::kFood, depositFood());
  const Reply vending = dispatcher.dispatch(Service::kVending, listProducts());
  EXPECT_EQ(parcel.served_by.service, Service::kParcel);
  EXPECT_EQ(food.served_by.service, Service::kFood);
  EXPECT_EQ(vending.served_by.service, Service::kVending);
  const auto self = static_cast<std::uint32_t>(::getpid());
  EXPECT_NE(parcel.served_by.pid, self);
  EXPECT_NE(parcel.served_by.pid, food.served_by.pid);
  EXPECT_NE(food.served_by.pid, vending.served_by.pid);
  EXPECT_NE(parcel.served_by.pid, vending.served_by.pid);
}

}  // namespace
}  // namespace mc::test
