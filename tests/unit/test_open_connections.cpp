/// @file test_open_connections.cpp
/// @brief OpenConnections and StopForwarder: how a shutdown reaches a
/// connection blocked in read(). Real TCP connections on loopback.
/// Runs in: the test process (threads only). Every read here has a timeout
/// (SO_RCVTIMEO), so a wake-up that never comes fails instead of hanging.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <future>

#include "fd.hpp"
#include "open_connections.hpp"
#include "stop_forwarder.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using namespace std::chrono_literals;

// What one read on @p socket ended with: bytes, 0 for end of file, or -errno.
long readOnce(const Fd& socket) {
  char byte = 0;
  ssize_t got;
  while ((got = ::read(socket.get(), &byte, 1)) < 0 && errno == EINTR) {
  }
  return got < 0 ? -errno : got;
}

TEST(OpenConnections, ClosingEndsAReadThatIsAlreadyBlocked) {
  OpenConnections connections;
  TcpPair pair = loopbackPair(10s);
  OpenConnections::Listing listing = connections.add(pair.server);
  EXPECT_EQ(connections.size(), 1u);
  EXPECT_FALSE(connections.closing());
  std::future<long> blocked = std::async(std::launch::async, [&] { return readOnce(pair.server); });
  // Whether the reader is already inside read() or not, it must see end of file.
  // (== rather than EXPECT_EQ: GoogleTest would print a std::future_status as raw bytes.)
  EXPECT_TRUE(blocked.wait_for(50ms) == std::future_status::timeout) << "read returned before the stop";
  connections.closeAllForReading();
  EXPECT_TRUE(connections.closing());
  ASSERT_TRUE(blocked.wait_for(5s) == std::future_status::ready) << "the blocked read was not woken";
  EXPECT_EQ(blocked.get(), 0) << "a read ended by the stop must look like end of file";
  // Shut for reading, not for writing: a reply still reaches the client.
  EXPECT_EQ(::send(pair.server.get(), "r", 1, MSG_NOSIGNAL), 1);
  EXPECT_EQ(readOnce(pair.client), 1);
}

TEST(OpenConnections, ASocketAddedAfterTheStopIsShutAtOnce) {
  OpenConnections connections;
  connections.closeAllForReading();
  TcpPair pair = loopbackPair(10s);
  OpenConnections::Listing listing = connections.add(pair.server);
  std::future<long> read = std::async(std::launch::async, [&] { return readOnce(pair.server); });
  ASSERT_TRUE(read.wait_for(5s) == std::future_status::ready) << "a late socket was left readable";
  EXPECT_EQ(read.get(), 0);
}

TEST(OpenConnections, ASocketOffTheListIsNotTouched) {
  OpenConnections connections;
  TcpPair pair = loopbackPair(200ms);
  {
    OpenConnections::Listing listing = connections.add(pair.server);
    OpenConnections::Listing moved = std::move(listing);  // one place, whoever holds it
    EXPECT_EQ(connections.size(), 1u);
  }
  EXPECT_EQ(connections.size(), 0u);
  connections.closeAllForReading();
  EXPECT_EQ(readOnce(pair.server), -EAGAIN) << "the read should have waited for its timeout";
}

TEST(StopForwarder, TheStopPipeClosesEveryListedSocket) {
  OpenConnections connections;
  Pipe stop = makePipe();
  TcpPair first = loopbackPair(10s);
  TcpPair second = loopbackPair(10s);
  OpenConnections::Listing one = connections.add(first.server);
  OpenConnections::Listing two = connections.add(second.server);
  StopForwarder forwarder{stop.read_end, connections};
  std::future<long> read_one = std::async(std::launch::async, [&] { return readOnce(first.server); });
  std::future<long> read_two = std::async(std::launch::async, [&] { return readOnce(second.server); });
  ASSERT_EQ(::write(stop.write_end.get(), "!", 1), 1);
  ASSERT_TRUE(read_one.wait_for(5s) == std::future_status::ready) << "the first listed socket's read was not woken";
  ASSERT_TRUE(read_two.wait_for(5s) == std::future_status::ready) << "the second listed socket's read was not woken";
  EXPECT_EQ(read_one.get(), 0);
  EXPECT_EQ(read_two.get(), 0);
  EXPECT_TRUE(connections.closing());
}

TEST(StopForwarder, LeavesWithoutAStopWhenDestroyed) {
  OpenConnections connections;
  Pipe stop = makePipe();
  {
    StopForwarder forwarder{stop.read_end, connections};
  }  // the destructor must not wait for a stop that never comes
  EXPECT_FALSE(connections.closing());
}

}  // namespace
}  // namespace mc::test
