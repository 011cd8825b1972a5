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
  ASSERT_TRUE(writeRequest(pair.client, listProducts())) << "the test's client could not send its request";
  const IncomingReply reply = readReply(pair.client);
  ASSERT_EQ(reply.io, IoStatus::kOk)
      << "no reply to a VENDING_LIST request: serveConnection must read it (awaitFrame, readRequest), "
         "route it to the services and write the reply (writeReply) before it waits for the next";
  EXPECT_EQ(reply.reply.status, Status::kOk)
      << "serveConnection's reply is not the services' (they answer OK \"counted\"): " << reply.reply;
  // Now the loop waits for a next request that never comes; the stop must end it.
  EXPECT_TRUE(served.wait_for(50ms) == std::future_status::timeout)
      << "serveConnection returned after one request, with the client still connected and no stop: it "
         "must loop, waiting for the client's next request, until the client leaves or the server stops";
  connections.closeAllForReading();
  awaitOrAbort(served, 5s, "serveConnection, its socket shut for reading (the read must then see end of "
                           "file, and the loop return)");
  EXPECT_EQ(services.calls, 1) << "one request was sent; serveConnection dispatched it "
                               << services.calls.load() << " times";
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
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(writeRequest(pair.client, listProducts())) << "the test's client could not send request " << i + 1;
  }
  connections.closeAllForReading();  // the three requests are already queued on our side
  std::future<void> served = std::async(std::launch::async, [&] {
    serveConnection(pair.server, services, connections, 2s);
  });
  awaitOrAbort(served, 10s, "serveConnection, the server closing");
  EXPECT_EQ(services.calls, 0)
      << services.calls.load() << " of 3 requests were read and served after the server began closing. Linux "
         "still delivers the data queued on a socket shut for reading, so end of file alone does not "
         "stop a client that pipelines: serveConnection must check connections.closing() before it reads "
         "each request, and return once it is true. Known mistake: no connections.closing() check before "
         "each request; see labs/01-sockets/README.md, 'Classic mistakes'";
}

}  // namespace
}  // namespace mc::test
