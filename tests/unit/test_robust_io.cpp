/// @file test_robust_io.cpp
/// @brief Unit tests for robust_io.cpp (readExactly, writeAll) and frame_io.cpp
/// over real socketpairs and pipes: short counts, EINTR, EOF, timeouts, EPIPE.
/// Runs in: the unit test process, plus helper threads each test joins.
/// Owns: the sockets and pipes it creates (as Fd), the threads it starts.
///
/// Bounding every wait: each socket a test blocks on gets SO_RCVTIMEO and/or
/// SO_SNDTIMEO, so no read or write can hang past that deadline, and each
/// helper thread's result is awaited with future::wait_for before join().
/// A pipe's writer thread owns the write end and closes it when done, so the
/// reader always sees EOF rather than blocking forever.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "fd.hpp"
#include "frame_io.hpp"
#include "robust_io.hpp"
#include "server_process.hpp"
#include "socket_timeouts.hpp"
#include "wire_codec.hpp"

namespace mc {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kIoTimeout = 5s;      // SO_RCVTIMEO / SO_SNDTIMEO on test sockets
constexpr auto kThreadTimeout = 10s;  // longest a helper thread may take

struct SocketPair {
  Fd left;
  Fd right;
};

SocketPair makeSocketPair() {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) throwErrno("socketpair");
  return SocketPair{Fd{ends[0]}, Fd{ends[1]}};
}

void setTimeout(const Fd& fd, int option, std::chrono::milliseconds timeout) {
  if (!setSocketTimeout(fd, option, timeout)) throwErrno("setsockopt");
}

// Both directions of both ends time out, so nothing in a test can hang.
void boundBothEnds(const SocketPair& pair, std::chrono::milliseconds timeout = kIoTimeout) {
  for (const Fd* fd : {&pair.left, &pair.right}) {
    setTimeout(*fd, SO_RCVTIMEO, timeout);
    setTimeout(*fd, SO_SNDTIMEO, timeout);
  }
}

void setBufferSize(const Fd& fd, int option, int bytes) {
  if (::setsockopt(fd.get(), SOL_SOCKET, option, &bytes, sizeof bytes) != 0) {
    throwErrno("setsockopt");
  }
}

std::vector<char> pattern(std::size_t size) {
  std::vector<char> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 31 + i / 251) % 256);
  return bytes;
}

template <typename T>
bool finishesWithin(const std::future<T>& future, std::chrono::seconds timeout) {
  return future.wait_for(timeout) == std::future_status::ready;
}

// Counts SIGUSR1 deliveries. A lock-free atomic is safe in a signal handler.
std::atomic<int> g_signals_seen{0};
void countSignal(int) { g_signals_seen.fetch_add(1, std::memory_order_relaxed); }

/// Installs a no-op SIGUSR1 handler WITHOUT SA_RESTART for one test, so a
/// blocked read()/send() fails with EINTR instead of being restarted by the
/// kernel. Restores the previous handler on destruction.
class ScopedInterruptingHandler {
 public:
  ScopedInterruptingHandler() {
    g_signals_seen = 0;
    struct sigaction action {};
    action.sa_handler = countSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: this is the point of the test
    if (::sigaction(SIGUSR1, &action, &old_) != 0) throwErrno("sigaction");
  }
  ~ScopedInterruptingHandler() { ::sigaction(SIGUSR1, &old_, nullptr); }
  ScopedInterruptingHandler(const ScopedInterruptingHandler&) = delete;
  ScopedInterruptingHandler& operator=(const ScopedInterruptingHandler&) = delete;

 private:
  struct sigaction old_ {};
};

/// Sets SIGPIPE's disposition for one test and restores it afterwards.
class ScopedSigpipe {
 public:
  explicit ScopedSigpipe(sighandler_t disposition) {
    struct sigaction action {};
    action.sa_handler = disposition;
    sigemptyset(&action.sa_mask);
    if (::sigaction(SIGPIPE, &action, &old_) != 0) throwErrno("sigaction");
  }
  ~ScopedSigpipe() { ::sigaction(SIGPIPE, &old_, nullptr); }
  ScopedSigpipe(const ScopedSigpipe&) = delete;
  ScopedSigpipe& operator=(const ScopedSigpipe&) = delete;

 private:
  struct sigaction old_ {};
};

// ---------------------------------------------------------------------------
// Short counts
// ---------------------------------------------------------------------------

TEST(RobustIo, ReadsAMessageSentOneByteAtATimeOverASocket) {
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  const std::vector<char> message = pattern(64);

  auto writer = std::async(std::launch::async, [&] {
    for (char byte : message) {
      if (!writeAll(pair.left, &byte, 1)) return false;
      std::this_thread::sleep_for(1ms);  // so each byte is its own read()
    }
    return true;
  });

  std::vector<char> received(message.size());
  EXPECT_EQ(readExactly(pair.right, received.data(), received.size()), IoStatus::kOk);
  EXPECT_EQ(received, message);
  ASSERT_TRUE(finishesWithin(writer, kThreadTimeout));
  EXPECT_TRUE(writer.get());
}

TEST(RobustIo, ReadsAMessageSentOneByteAtATimeThroughAPipe) {
  Pipe pipe = makePipe();
  const std::vector<char> message = pattern(64);

  // The writer owns the write end and closes it when done: the reader gets
  // the message or, at worst, EOF, never an endless wait.
  auto writeSlowly = [&message, end = std::move(pipe.write_end)]() mutable {
    Fd mine = std::move(end);  // closed when this body returns, not with the future
    for (char byte : message) {
      if (!writeAll(mine, &byte, 1)) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  };
  auto writer = std::async(std::launch::async, std::move(writeSlowly));

  std::vector<char> received(message.size());
  EXPECT_EQ(readExactly(pipe.read_end, received.data(), received.size()), IoStatus::kOk);
  EXPECT_EQ(received, message);
  ASSERT_TRUE(finishesWithin(writer, kThreadTimeout));
  EXPECT_TRUE(writer.get());
}

TEST(RobustIo, OneMebibyteThroughTinySocketBuffers) {
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  // Tiny kernel buffers: the megabyte moves in thousands of partial reads.
  setBufferSize(pair.left, SO_SNDBUF, 4096);
  setBufferSize(pair.right, SO_RCVBUF, 4096);
  const std::vector<char> message = pattern(1 << 20);

  auto writer = std::async(std::launch::async,
                           [&] { return writeAll(pair.left, message.data(), message.size()); });

  std::vector<char> received(message.size());
  EXPECT_EQ(readExactly(pair.right, received.data(), received.size()), IoStatus::kOk);
  EXPECT_TRUE(received == message) << "the megabyte arrived damaged";
  ASSERT_TRUE(finishesWithin(writer, kThreadTimeout));
  EXPECT_TRUE(writer.get());
}

TEST(RobustIo, WriteAllPipeFallbackMovesWholeBuffer) {
  Pipe pipe = makePipe();
  const std::vector<char> message = pattern(1000);  // fits the pipe buffer
  ASSERT_TRUE(writeAll(pipe.write_end, message.data(), message.size()));
  pipe.write_end.reset();
  std::vector<char> received(message.size());
  EXPECT_EQ(readExactly(pipe.read_end, received.data(), received.size()), IoStatus::kOk);
  EXPECT_EQ(received, message);
}

// ---------------------------------------------------------------------------
// EINTR
// ---------------------------------------------------------------------------

TEST(RobustIo, ReadExactlyRetriesAfterEintr) {
  ScopedInterruptingHandler handler;
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  const std::vector<char> message = pattern(32);

  std::atomic<pid_t> reader_tid{0};
  std::vector<char> received(message.size());
  std::promise<IoStatus> result;
  std::future<IoStatus> outcome = result.get_future();
  std::thread reader([&] {
    reader_tid = ::gettid();
    result.set_value(readExactly(pair.right, received.data(), received.size()));
  });

  // Half the message, then signals while the reader waits for the rest.
  ASSERT_TRUE(writeAll(pair.left, message.data(), 16));
  test::pollUntil(2s, 1ms, [&] { return reader_tid != 0; });
  // Asleep means blocked in read(), for the second half: only then does a
  // signal make read() fail with EINTR (before, it would just run the handler).
  EXPECT_TRUE(test::waitUntilAsleep(reader_tid, 2s)) << "the reader never blocked for the rest";
  for (int i = 0; i < 3; ++i) {
    ::pthread_kill(reader.native_handle(), SIGUSR1);
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(writeAll(pair.left, message.data() + 16, 16));

  bool finished = finishesWithin(outcome, kThreadTimeout);
  reader.join();  // bounded: the reader's socket has SO_RCVTIMEO
  ASSERT_TRUE(finished);
  EXPECT_EQ(outcome.get(), IoStatus::kOk) << "EINTR must be retried, not reported";
  EXPECT_EQ(received, message);
  EXPECT_GE(g_signals_seen.load(), 1);
}

// The writer's socket buffer is full before it calls writeAll, so its first
// send() blocks before moving a byte, and the signals then make it fail with
// EINTR (not return a short count): every run takes the EINTR path.
TEST(RobustIo, WriteAllRetriesAfterEintr) {
  ScopedInterruptingHandler handler;
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  std::size_t filler = 0;  // bytes queued without blocking, until the buffer is full
  const std::vector<char> block = pattern(4096);
  for (;;) {
    const ssize_t sent = ::send(pair.left.get(), block.data(), block.size(), MSG_DONTWAIT);
    if (sent <= 0) break;
    filler += static_cast<std::size_t>(sent);
  }
  ASSERT_GT(filler, 0u);
  const std::vector<char> message = pattern(64);

  std::atomic<pid_t> writer_tid{0};
  std::promise<bool> result;
  std::future<bool> outcome = result.get_future();
  std::thread writer([&] {
    writer_tid = ::gettid();
    result.set_value(writeAll(pair.left, message.data(), message.size()));
  });
  test::pollUntil(2s, 1ms, [&] { return writer_tid != 0; });
  EXPECT_TRUE(test::waitUntilAsleep(writer_tid, 2s)) << "the writer never blocked on the full buffer";
  for (int i = 0; i < 3; ++i) {
    ::pthread_kill(writer.native_handle(), SIGUSR1);
    std::this_thread::sleep_for(20ms);
  }
  std::vector<char> received(filler + message.size());
  const IoStatus status = readExactly(pair.right, received.data(), received.size());

  bool finished = finishesWithin(outcome, kThreadTimeout);
  writer.join();  // bounded: the writer's socket has SO_SNDTIMEO
  ASSERT_TRUE(finished);
  EXPECT_TRUE(outcome.get()) << "writeAll gave up after a signal (EINTR): a signal before any byte "
                                "moved means call again, not fail";
  EXPECT_EQ(status, IoStatus::kOk);
  EXPECT_TRUE(std::equal(message.begin(), message.end(), received.begin() + static_cast<long>(filler)))
      << "the message after the filler arrived damaged";
  EXPECT_GE(g_signals_seen.load(), 1);
}

TEST(RobustIo, WriteAllRetriesAfterEintrAndShortWrites) {
  ScopedInterruptingHandler handler;
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  setBufferSize(pair.left, SO_SNDBUF, 4096);
  setBufferSize(pair.right, SO_RCVBUF, 4096);
  const std::vector<char> message = pattern(1 << 20);

  // A signal that lands after send() moved some bytes makes it return a
  // short count; one that lands before makes it fail with EINTR.
  std::promise<bool> result;
  std::future<bool> outcome = result.get_future();
  std::thread writer(
      [&] { result.set_value(writeAll(pair.left, message.data(), message.size())); });

  std::vector<char> received(message.size());
  constexpr std::size_t kChunk = 4096;
  IoStatus status = IoStatus::kOk;
  for (std::size_t at = 0; at < received.size() && status == IoStatus::kOk; at += kChunk) {
    // The thread id stays valid until join(), even if the writer is done.
    ::pthread_kill(writer.native_handle(), SIGUSR1);
    status = readExactly(pair.right, received.data() + at, kChunk);
  }

  bool finished = finishesWithin(outcome, kThreadTimeout);
  writer.join();  // bounded: the writer's socket has SO_SNDTIMEO
  ASSERT_TRUE(finished);
  EXPECT_TRUE(outcome.get()) << "writeAll gave up: " << std::strerror(errno);
  EXPECT_EQ(status, IoStatus::kOk);
  EXPECT_TRUE(received == message) << "the megabyte arrived damaged";
  EXPECT_GE(g_signals_seen.load(), 1);
}

// ---------------------------------------------------------------------------
// EOF and timeouts
// ---------------------------------------------------------------------------

TEST(RobustIo, EofBeforeAnyByteIsClosed) {
  SocketPair pair = makeSocketPair();
  pair.left.reset();
  char buffer[8];
  EXPECT_EQ(readExactly(pair.right, buffer, sizeof buffer), IoStatus::kClosed);

  Pipe pipe = makePipe();
  pipe.write_end.reset();
  EXPECT_EQ(readExactly(pipe.read_end, buffer, sizeof buffer), IoStatus::kClosed);
}

TEST(RobustIo, EofMidBufferIsTruncated) {
  SocketPair pair = makeSocketPair();
  ASSERT_TRUE(writeAll(pair.left, "abc", 3));
  pair.left.reset();
  char buffer[8];
  EXPECT_EQ(readExactly(pair.right, buffer, sizeof buffer), IoStatus::kTruncated);
  EXPECT_EQ(std::string(buffer, 3), "abc");
}

TEST(RobustIo, ReceiveTimeoutIsTimedOut) {
  SocketPair pair = makeSocketPair();
  setTimeout(pair.right, SO_RCVTIMEO, 100ms);
  char buffer[8];
  auto start = Clock::now();
  EXPECT_EQ(readExactly(pair.right, buffer, sizeof buffer), IoStatus::kTimedOut);
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 80ms);
  EXPECT_LT(elapsed, 3s);
}

TEST(RobustIo, ZeroBytesIsImmediatelyDone) {
  SocketPair pair = makeSocketPair();
  pair.left.reset();  // even a closed peer: nothing is read
  char buffer[1];
  EXPECT_EQ(readExactly(pair.right, buffer, 0), IoStatus::kOk);
  EXPECT_TRUE(writeAll(pair.right, buffer, 0));
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

TEST(RobustIo, WriteToClosedSocketIsEpipeNotSigpipe) {
  // Default SIGPIPE action kills the process: if writeAll forgot
  // MSG_NOSIGNAL, this whole test binary would die here.
  ScopedSigpipe default_action(SIG_DFL);
  SocketPair pair = makeSocketPair();
  pair.right.reset();
  const std::vector<char> message = pattern(100);
  errno = 0;
  EXPECT_FALSE(writeAll(pair.left, message.data(), message.size()));
  EXPECT_EQ(errno, EPIPE);
}

TEST(RobustIo, WriteToPipeWithoutReaderIsEpipe) {
  ScopedSigpipe ignored(SIG_IGN);  // as in cabinetd and cabinet
  Pipe pipe = makePipe();
  pipe.read_end.reset();
  errno = 0;
  EXPECT_FALSE(writeAll(pipe.write_end, "x", 1));
  EXPECT_EQ(errno, EPIPE);
}

TEST(RobustIo, BadDescriptorIsAnError) {
  Fd none;
  char buffer[4] = {};
  errno = 0;
  EXPECT_EQ(readExactly(none, buffer, sizeof buffer), IoStatus::kError);
  EXPECT_EQ(errno, EBADF);
  errno = 0;
  EXPECT_FALSE(writeAll(none, buffer, sizeof buffer));
  EXPECT_EQ(errno, EBADF);
}

TEST(RobustIo, StatusNames) {
  EXPECT_STREQ(ioStatusName(IoStatus::kOk), "ok");
  EXPECT_STREQ(ioStatusName(IoStatus::kClosed), "closed");
  EXPECT_STREQ(ioStatusName(IoStatus::kTruncated), "truncated");
  EXPECT_STREQ(ioStatusName(IoStatus::kTimedOut), "timed out");
  EXPECT_STREQ(ioStatusName(IoStatus::kError), "error");
}

// ---------------------------------------------------------------------------
// frame_io: whole frames over a socket
// ---------------------------------------------------------------------------

Request sampleRequest() {
  Request request;
  request.command = Command::kVendingRestock;
  request.request_id = 41;
  request.user_id = 7;
  request.fields.add("product", "A1");
  request.fields.add("qty", "10");
  return request;
}

// Raw frame bytes for @p request with its command byte replaced by @p command.
Bytes frameWithCommand(const Request& request, std::uint8_t command) {
  Bytes frame = encodeRequest(request);
  frame[3] = command;
  return frame;
}

void sendBytes(const Fd& fd, const Bytes& bytes) {
  ASSERT_TRUE(writeAll(fd, bytes.data(), bytes.size()));
}

TEST(FrameIo, RequestAndReplyRoundTrip) {
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  ASSERT_TRUE(writeRequest(pair.left, sampleRequest()));
  IncomingRequest in = readRequest(pair.right);
  ASSERT_EQ(in.io, IoStatus::kOk);
  ASSERT_EQ(in.error, FrameError::kNone);
  EXPECT_EQ(in.request, sampleRequest());
  EXPECT_EQ(in.header.request_id, 41u);

  Reply reply = makeReply(in.request, Status::kOk, "restocked", Service::kVending);
  reply.fields.add("stock", "10");
  ASSERT_TRUE(writeReply(pair.right, reply));
  IncomingReply back = readReply(pair.left);
  ASSERT_EQ(back.io, IoStatus::kOk);
  ASSERT_EQ(back.error, FrameError::kNone);
  EXPECT_EQ(back.reply, reply);
}

TEST(FrameIo, FatalHeaderLeavesPayloadUnread) {
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  Bytes frame = encodeRequest(sampleRequest());
  frame[0] = 'X';  // bad magic
  sendBytes(pair.left, frame);

  IncomingRequest in = readRequest(pair.right);
  EXPECT_EQ(in.io, IoStatus::kOk);
  EXPECT_EQ(in.error, FrameError::kBadMagic);
  // The payload is still in the socket: readRequest did not touch it.
  std::string payload(frame.size() - kRequestHeaderSize, '\0');
  ASSERT_EQ(readExactly(pair.right, payload.data(), payload.size()), IoStatus::kOk);
  EXPECT_EQ(payload, "product=A1\nqty=10\n");
}

TEST(FrameIo, OverlongLengthIsNotRead) {
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  Bytes frame = encodeRequest(Request{});
  frame[12] = 0x01;  // length 300 > 256
  frame[13] = 0x2C;
  sendBytes(pair.left, frame);
  sendBytes(pair.left, Bytes{'z'});

  IncomingRequest in = readRequest(pair.right);
  EXPECT_EQ(in.io, IoStatus::kOk);
  EXPECT_EQ(in.error, FrameError::kPayloadTooLong);
  char next = 0;
  ASSERT_EQ(readExactly(pair.right, &next, 1), IoStatus::kOk);
  EXPECT_EQ(next, 'z');
}

TEST(FrameIo, BadVersionIsFatal) {
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  Bytes frame = encodeRequest(sampleRequest());
  frame[2] = 7;
  sendBytes(pair.left, frame);
  IncomingRequest in = readRequest(pair.right);
  EXPECT_EQ(in.io, IoStatus::kOk);
  EXPECT_EQ(in.error, FrameError::kBadVersion);
}

TEST(FrameIo, UnknownCommandAndBadPayloadKeepTheStreamInStep) {
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  sendBytes(pair.left, frameWithCommand(sampleRequest(), 42));
  Request broken = sampleRequest();
  broken.fields.add("Bad Key", "1");  // breaks the key rules on purpose
  sendBytes(pair.left, encodeRequest(broken));
  ASSERT_TRUE(writeRequest(pair.left, sampleRequest()));

  IncomingRequest unknown = readRequest(pair.right);
  EXPECT_EQ(unknown.io, IoStatus::kOk);
  EXPECT_EQ(unknown.error, FrameError::kUnknownCommand);
  EXPECT_EQ(unknown.header.request_id, 41u) << "the header is kept for the error reply";

  IncomingRequest bad = readRequest(pair.right);
  EXPECT_EQ(bad.io, IoStatus::kOk);
  EXPECT_EQ(bad.error, FrameError::kBadPayload);

  IncomingRequest good = readRequest(pair.right);
  ASSERT_EQ(good.io, IoStatus::kOk);
  EXPECT_EQ(good.error, FrameError::kNone);
  EXPECT_EQ(good.request, sampleRequest());
}

TEST(FrameIo, ClosedAndTruncatedConnections) {
  {
    SocketPair pair = makeSocketPair();
    pair.left.reset();
    EXPECT_EQ(readRequest(pair.right).io, IoStatus::kClosed);
  }
  {
    SocketPair pair = makeSocketPair();
    Bytes frame = encodeRequest(sampleRequest());
    sendBytes(pair.left, Bytes(frame.begin(), frame.begin() + 5));  // half a header
    pair.left.reset();
    EXPECT_EQ(readRequest(pair.right).io, IoStatus::kTruncated);
  }
  {
    SocketPair pair = makeSocketPair();
    Bytes frame = encodeRequest(sampleRequest());
    frame.resize(kRequestHeaderSize + 4);  // header promises 18 payload bytes, 4 come
    sendBytes(pair.left, frame);
    pair.left.reset();
    EXPECT_EQ(readRequest(pair.right).io, IoStatus::kTruncated);
  }
  {
    SocketPair pair = makeSocketPair();
    pair.right.reset();
    EXPECT_EQ(readReply(pair.left).io, IoStatus::kClosed);
  }
}

TEST(FrameIo, ReplyHeaderErrors) {
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  Reply reply;
  reply.fields.add("message", "hi");
  Bytes too_long = encodeReply(reply);
  too_long[10] = 0x0C;  // length 3072 > 2048
  too_long[11] = 0x00;
  sendBytes(pair.right, too_long);
  IncomingReply in = readReply(pair.left);
  EXPECT_EQ(in.io, IoStatus::kOk);
  EXPECT_EQ(in.error, FrameError::kPayloadTooLong);
}

TEST(FrameIo, ReadTimesOutOnAnIdleConnection) {
  SocketPair pair = makeSocketPair();
  setTimeout(pair.right, SO_RCVTIMEO, 50ms);
  EXPECT_EQ(readRequest(pair.right).io, IoStatus::kTimedOut);
}

}  // namespace
}  // namespace mc
