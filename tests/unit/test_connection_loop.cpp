/// @file test_connection_loop.cpp
/// @brief Lab 1's serveConnection and the stop: it blocks in read() for the
/// next request, ends when a shutdown shuts its socket for reading, and reads
/// no further request once the server is closing. Real loopback TCP; the
/// services behind it are a counting stand-in (they are not what is tested).
/// Runs in: the test process (threads only). Every wait has a timeout.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

#include "await.hpp"
#include "connection.hpp"
#include "frame_io.hpp"
#include "open_connections.hpp"
#include "test_client.hpp"

namespace mc::test {
namespace {

using namespace std::chrono_literals;

// Answers every request OK and counts them.
class CountingDispatcher : public Dispatcher {
 public:
  Reply dispatch(Service, const Request& request) override {
    ++calls;
    return makeReply(request, Status::kOk, "counted");
  }
  std::atomic<int> calls{0};
};

TEST(Lab1Connection, TheStopEndsTheWaitForTheNextRequest) {
  OpenConnections connections;
  CountingDispatcher services;
  TcpPair pair = loopbackPair(10s);
  OpenConnections::Listing listing = connections.add(pair.server);
  std::future<void> served = std::async(std::launch::async, [&] {
    serveConnection(pair.server, services, connections, 10s);
  });
  ASSERT_TRUE(writeRequest(pair.client, listProducts()));
  const IncomingReply reply = readReply(pair.client);
  ASSERT_EQ(reply.io, IoStatus::kOk);
  EXPECT_EQ(reply.reply.status, Status::kOk);
  // Now the loop waits for a next request that never comes; the stop must end it.
  EXPECT_EQ(served.wait_for(50ms), std::future_status::timeout) << "the loop left without a stop";
  connections.closeAllForReading();
  awaitOrAbort(served, 5s, "serveConnection, its socket shut for reading");
  EXPECT_EQ(services.calls, 1);
  // The loop borrows the client's Fd; closing it is the owner's job, done once.
  EXPECT_NE(::fcntl(pair.server.get(), F_GETFD), -1)
      << "serveConnection closed the descriptor it was lent (the caller's Fd owns it)";
}

// Linux still delivers the data queued on a socket shut for reading, so end of file
// alone does not stop a client that pipelines: the loop must check closing()
// before it reads each request.
TEST(Lab1Connection, NoRequestIsReadOnceTheServerIsClosing) {
  OpenConnections connections;
  CountingDispatcher services;
  TcpPair pair = loopbackPair(2s);
  OpenConnections::Listing listing = connections.add(pair.server);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(writeRequest(pair.client, listProducts()));
  connections.closeAllForReading();  // the three requests are already queued on our side
  std::future<void> served = std::async(std::launch::async, [&] {
    serveConnection(pair.server, services, connections, 2s);
  });
  awaitOrAbort(served, 10s, "serveConnection, the server closing");
  EXPECT_EQ(services.calls, 0) << "requests were read and served after the server began closing";
}

}  // namespace
}  // namespace mc::test
