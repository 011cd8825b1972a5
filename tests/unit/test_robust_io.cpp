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

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <sstream>
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

// Where a failure message sends the student: the handout's table of known mistakes.
constexpr const char* kMistakes = "see labs/01-sockets/README.md, 'Classic mistakes'";

// A buffer to read @p sent into, every byte of it different from @p sent's:
// after the read, the bytes that equal @p sent's are the ones that arrived.
std::vector<char> unlike(const std::vector<char>& sent) {
  std::vector<char> buffer(sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) buffer[i] = static_cast<char>(~sent[i]);
  return buffer;
}

// How many leading bytes of @p received are @p sent's: where readExactly stopped.
std::size_t bytesInPlace(const std::vector<char>& received, const std::vector<char>& sent) {
  std::size_t in_place = 0;
  while (in_place < sent.size() && received[in_place] == sent[in_place]) ++in_place;
  return in_place;
}

// Why @p received (read into a buffer from unlike()) is not @p sent, after
// readExactly returned @p status: "readExactly returned ok after 1 of 64
// bytes: ...", in the handout's words.
std::string shortRead(IoStatus status, const std::vector<char>& received, const std::vector<char>& sent) {
  std::ostringstream why;
  why << "readExactly returned " << status << " with the first " << bytesInPlace(received, sent) << " of "
      << sent.size() << " bytes in place";
  if (status == IoStatus::kOk) why << ", as if the buffer were full";
  why << ". A read() returns what the kernel has now (a short count), which is not an error: call it again "
         "for the rest, each time into the buffer after the bytes already there, until all "
      << sent.size() << " have arrived or EOF. Known mistake: one read per message; " << kMistakes;
  return why.str();
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

  std::vector<char> received = unlike(message);
  const IoStatus status = readExactly(pair.right, received.data(), received.size());
  EXPECT_EQ(status, IoStatus::kOk) << "readExactly of 64 bytes sent over a socket one byte at a time, "
                                      "a millisecond apart: every byte came, so it must say ok";
  EXPECT_TRUE(received == message) << shortRead(status, received, message);
  ASSERT_TRUE(finishesWithin(writer, kThreadTimeout))
      << "the writer's 64 writeAll calls of one byte each did not end within 10 s";
  EXPECT_TRUE(writer.get()) << "writeAll of one byte to a connected socket returned false: it must "
                               "return true once every byte is written";
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

  std::vector<char> received = unlike(message);
  const IoStatus status = readExactly(pipe.read_end, received.data(), received.size());
  EXPECT_EQ(status, IoStatus::kOk) << "readExactly of 64 bytes written into a pipe one byte at a time, "
                                      "a millisecond apart: every byte came, so it must say ok";
  EXPECT_TRUE(received == message) << shortRead(status, received, message);
  ASSERT_TRUE(finishesWithin(writer, kThreadTimeout))
      << "the writer's 64 writeAll calls of one byte each did not end within 10 s";
  EXPECT_TRUE(writer.get()) << "writeAll of one byte into a pipe returned false: on a pipe send() fails "
                               "with ENOTSOCK, and writeAll must then fall back to write()";
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

  std::vector<char> received = unlike(message);
  const IoStatus status = readExactly(pair.right, received.data(), received.size());
  EXPECT_EQ(status, IoStatus::kOk) << "readExactly of one MiB through 4 KiB socket buffers: every byte "
                                      "was sent, so it must say ok";
  EXPECT_TRUE(received == message) << "the megabyte arrived damaged: " << shortRead(status, received, message);
  ASSERT_TRUE(finishesWithin(writer, kThreadTimeout))
      << "writeAll of one MiB had not returned 10 s after the reader was done. If readExactly failed "
         "above, fix it first: a reader that stops early leaves the writer waiting for room";
  EXPECT_TRUE(writer.get())
      << "writeAll of one MiB through 4 KiB socket buffers returned false. send() takes only part of a "
         "large buffer (a short write): loop, from the first byte not yet sent, until all are written. "
         "(If readExactly failed above, fix it first: the writer then waits for room until its 5 s "
         "send timeout.)";
}

TEST(RobustIo, WriteAllPipeFallbackMovesWholeBuffer) {
  Pipe pipe = makePipe();
  const std::vector<char> message = pattern(1000);  // fits the pipe buffer
  ASSERT_TRUE(writeAll(pipe.write_end, message.data(), message.size()))
      << "writeAll of 1000 bytes into an empty pipe returned false: on a pipe send() fails with "
         "ENOTSOCK, and writeAll must then fall back to write()";
  pipe.write_end.reset();
  std::vector<char> received = unlike(message);
  const IoStatus status = readExactly(pipe.read_end, received.data(), received.size());
  EXPECT_EQ(status, IoStatus::kOk) << "readExactly of the 1000 bytes writeAll put into a pipe";
  EXPECT_TRUE(received == message) << "writeAll into a pipe, then readExactly: "
                                   << shortRead(status, received, message);
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
  std::vector<char> received = unlike(message);
  std::promise<IoStatus> result;
  std::future<IoStatus> outcome = result.get_future();
  std::thread reader([&] {
    reader_tid = ::gettid();
    result.set_value(readExactly(pair.right, received.data(), received.size()));
  });

  // Half the message, then signals while the reader waits for the rest.
  ASSERT_TRUE(writeAll(pair.left, message.data(), 16)) << "writeAll of 16 bytes to an empty socket returned false";
  test::pollUntil(2s, 1ms, [&] { return reader_tid != 0; });
  // Asleep means blocked in read(), for the second half: only then does a
  // signal make read() fail with EINTR (before, it would just run the handler).
  EXPECT_TRUE(test::waitUntilAsleep(reader_tid, 2s))
      << "the reader never blocked for the rest: readExactly of 32 bytes should be waiting in read() for "
         "the second 16 (did it return with only the first 16?)";
  for (int i = 0; i < 3; ++i) {
    ::pthread_kill(reader.native_handle(), SIGUSR1);
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(writeAll(pair.left, message.data() + 16, 16))
      << "writeAll of 16 bytes to a socket with room returned false";

  bool finished = finishesWithin(outcome, kThreadTimeout);
  reader.join();  // bounded: the reader's socket has SO_RCVTIMEO
  ASSERT_TRUE(finished) << "readExactly of 32 bytes had not returned 10 s after all 32 were sent";
  const IoStatus status = outcome.get();
  EXPECT_EQ(status, IoStatus::kOk)
      << "readExactly was waiting for the second 16 of 32 bytes when signals (SIGUSR1, no SA_RESTART) "
         "cut its read() short: read() returned -1 with errno EINTR. Nothing went wrong: call it again. "
         "EINTR must be retried, not reported. Known mistake: EINTR treated as an error; "
      << kMistakes;
  EXPECT_TRUE(received == message) << "16 bytes, signals, 16 bytes: " << shortRead(status, received, message);
  EXPECT_GE(g_signals_seen.load(), 1)
      << "no SIGUSR1 reached the reader thread: it was no longer in readExactly when the signals came";
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
  ASSERT_GT(filler, 0u) << "the test could not fill the socket's buffer (send with MSG_DONTWAIT)";
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
  const std::vector<char> not_yet = unlike(message);  // the message's place, until it arrives
  std::copy(not_yet.begin(), not_yet.end(), received.begin() + static_cast<long>(filler));
  const IoStatus status = readExactly(pair.right, received.data(), received.size());
  const std::size_t message_in_place =
      bytesInPlace(std::vector<char>(received.begin() + static_cast<long>(filler), received.end()), message);

  bool finished = finishesWithin(outcome, kThreadTimeout);
  writer.join();  // bounded: the writer's socket has SO_SNDTIMEO
  ASSERT_TRUE(finished) << "writeAll of 64 bytes had not returned 10 s after the reader drained the socket";
  EXPECT_TRUE(outcome.get()) << "writeAll gave up after a signal (EINTR): it was blocked in send() on a full "
                                "buffer, before any byte moved, when SIGUSR1 (no SA_RESTART) made send() "
                                "fail with EINTR. That means call again, not fail. Known mistake: EINTR "
                                "treated as an error; "
                             << kMistakes;
  EXPECT_EQ(status, IoStatus::kOk) << "readExactly of the filler and the 64-byte message: every byte was "
                                      "written (unless writeAll failed above)";
  EXPECT_TRUE(std::equal(message.begin(), message.end(), received.begin() + static_cast<long>(filler)))
      << (status == IoStatus::kOk && message_in_place == 0
              ? "readExactly returned ok before its buffer (the " + std::to_string(filler) +
                    " filler bytes, then the 64-byte message) was full: none of the message is in "
                    "place. A read() returns what the kernel has now (a short count): loop until "
                    "all have arrived. Known mistake: one read per message; " + std::string{kMistakes}
              : "the message after the filler arrived damaged (" + std::to_string(message_in_place) +
                    " of its 64 bytes in place): after EINTR, writeAll must go on from the first byte "
                    "not yet sent (here: the first byte), not skip or repeat any");
  EXPECT_GE(g_signals_seen.load(), 1) << "the test's SIGUSR1 never reached the writer thread";
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
  std::atomic<int> writer_errno{0};  // errno is per thread: the writer's, kept for the message
  std::thread writer([&] {
    const bool written = writeAll(pair.left, message.data(), message.size());
    writer_errno = errno;
    result.set_value(written);
  });

  std::vector<char> received = unlike(message);
  constexpr std::size_t kChunk = 4096;
  IoStatus status = IoStatus::kOk;
  for (std::size_t at = 0; at < received.size() && status == IoStatus::kOk; at += kChunk) {
    // The thread id stays valid until join(), even if the writer is done.
    ::pthread_kill(writer.native_handle(), SIGUSR1);
    status = readExactly(pair.right, received.data() + at, kChunk);
  }
  // The reader is done: what it has now is all it will have.
  const std::size_t in_place = bytesInPlace(received, message);

  bool finished = finishesWithin(outcome, kThreadTimeout);
  writer.join();  // bounded: the writer's socket has SO_SNDTIMEO
  ASSERT_TRUE(finished)
      << "writeAll of one MiB had not returned 10 s after the reader stopped reading, with the first "
      << in_place << " of " << message.size() << " bytes in place. "
      << (in_place < message.size()
              ? "The reader here is 256 readExactly calls of 4 KiB each: if one returns after a short "
                "count, the reader stops before the megabyte is through and the writer waits for room "
                "that never comes. Fix readExactly first (RobustIo.ReadsAMessageSentOneByteAtATime*): "
                "a read() may return fewer bytes than asked; loop until all arrive or EOF. Known "
                "mistake: one read per message; "
              : "Every byte arrived, so writeAll is stuck after its last byte: it must return true once "
                "all are written; ")
      << kMistakes;
  EXPECT_TRUE(outcome.get()) << "writeAll of one MiB through 4 KiB buffers, interrupted by SIGUSR1, gave up: "
                             << std::strerror(writer_errno)
                             << ". A signal before any byte moved makes send() fail with EINTR (call again); "
                                "one after some bytes moved makes it return a short count (go on from the "
                                "first byte not sent). "
                             << (in_place < message.size() ? "(The reader also stopped early, see below: a "
                                                             "send timeout here may be its fault.) "
                                                           : "")
                             << kMistakes;
  EXPECT_EQ(status, IoStatus::kOk) << "the reader's 4 KiB readExactly calls: every byte was written (unless "
                                      "writeAll failed above)";
  EXPECT_TRUE(received == message) << "the megabyte arrived damaged: the first " << in_place << " of "
                                   << message.size() << " bytes are in place (each readExactly here asks for "
                                      "4 KiB and must not return before all 4 KiB are in; writeAll must "
                                      "send every byte once, in order)";
  EXPECT_GE(g_signals_seen.load(), 1) << "the test's SIGUSR1 never reached the writer thread";
}

// ---------------------------------------------------------------------------
// EOF and timeouts
// ---------------------------------------------------------------------------

TEST(RobustIo, EofBeforeAnyByteIsClosed) {
  SocketPair pair = makeSocketPair();
  pair.left.reset();
  char buffer[8];
  EXPECT_EQ(readExactly(pair.right, buffer, sizeof buffer), IoStatus::kClosed)
      << "readExactly on a socket whose peer closed without sending a byte: read() returns 0 (end of "
         "file) before the first byte, a polite goodbye: kClosed";

  Pipe pipe = makePipe();
  pipe.write_end.reset();
  EXPECT_EQ(readExactly(pipe.read_end, buffer, sizeof buffer), IoStatus::kClosed)
      << "readExactly on a pipe whose write end is closed and which holds no byte: end of file before "
         "the first byte is kClosed";
}

TEST(RobustIo, EofMidBufferIsTruncated) {
  SocketPair pair = makeSocketPair();
  ASSERT_TRUE(writeAll(pair.left, "abc", 3)) << "writeAll of 3 bytes to an empty socket returned false";
  pair.left.reset();
  char buffer[8];
  EXPECT_EQ(readExactly(pair.right, buffer, sizeof buffer), IoStatus::kTruncated)
      << "readExactly asked for 8 bytes; the peer sent 3 and closed. End of file after some bytes means "
         "the peer broke off a message: kTruncated (kClosed is only for end of file before the first "
         "byte, and ok would mean all 8 arrived: a read() that returns 3 is a short count, not the whole "
         "buffer). Known mistakes: EOF mid-frame taken as a whole request, one read per message; "
      << kMistakes;
  EXPECT_EQ(std::string(buffer, 3), "abc")
      << "readExactly must leave the 3 bytes that did arrive at the start of the buffer";
}

TEST(RobustIo, ReceiveTimeoutIsTimedOut) {
  SocketPair pair = makeSocketPair();
  setTimeout(pair.right, SO_RCVTIMEO, 100ms);
  char buffer[8];
  auto start = Clock::now();
  EXPECT_EQ(readExactly(pair.right, buffer, sizeof buffer), IoStatus::kTimedOut)
      << "readExactly on a socket with SO_RCVTIMEO 100 ms that gets no byte: when the timeout expires "
         "read() fails with EAGAIN (or EWOULDBLOCK, the same value on Linux), and that is kTimedOut, not "
         "kError and not a reason to read again";
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  EXPECT_GE(elapsed, 80ms) << "readExactly returned after " << elapsed.count()
                           << " ms, before the 100 ms receive timeout could have expired";
  EXPECT_LT(elapsed, 3s) << "readExactly took " << elapsed.count()
                         << " ms on a 100 ms receive timeout: EAGAIN must end the wait (kTimedOut), not "
                            "be retried. Known mistake: EAGAIN treated as \"try again\"; "
                         << kMistakes;
}

TEST(RobustIo, ZeroBytesIsImmediatelyDone) {
  SocketPair pair = makeSocketPair();
  pair.left.reset();  // even a closed peer: nothing is read
  char buffer[1];
  EXPECT_EQ(readExactly(pair.right, buffer, 0), IoStatus::kOk)
      << "readExactly of 0 bytes: the buffer is already full, so ok at once, without a read() (here the "
         "peer is closed: a read() would see end of file)";
  EXPECT_TRUE(writeAll(pair.right, buffer, 0))
      << "writeAll of 0 bytes: every byte is already written, so true at once, without a send()";
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
  EXPECT_FALSE(writeAll(pair.left, message.data(), message.size()))
      << "writeAll to a socket whose peer has closed returned true: send() fails there, and writeAll "
         "must return false";
  const int error = errno;
  EXPECT_EQ(error, EPIPE) << "writeAll to a closed socket must leave errno EPIPE (send()'s), not "
                          << std::strerror(error) << ". (Use send(..., MSG_NOSIGNAL): without it this "
                          << "test binary would have died of SIGPIPE.)";
}

TEST(RobustIo, WriteToPipeWithoutReaderIsEpipe) {
  ScopedSigpipe ignored(SIG_IGN);  // as in cabinetd and cabinet
  Pipe pipe = makePipe();
  pipe.read_end.reset();
  errno = 0;
  EXPECT_FALSE(writeAll(pipe.write_end, "x", 1))
      << "writeAll into a pipe with no reader returned true: write() fails there, and writeAll must "
         "return false";
  const int error = errno;
  EXPECT_EQ(error, EPIPE) << "writeAll into a pipe with no reader must leave errno EPIPE (write()'s), not "
                          << std::strerror(error) << ". On a pipe send() fails with ENOTSOCK: fall back "
                          << "to write() and report its error";
}

TEST(RobustIo, BadDescriptorIsAnError) {
  Fd none;
  char buffer[4] = {};
  errno = 0;
  EXPECT_EQ(readExactly(none, buffer, sizeof buffer), IoStatus::kError)
      << "readExactly on descriptor -1: read() fails with EBADF, which is neither EINTR (retry) nor "
         "EAGAIN (timed out): kError";
  int error = errno;
  EXPECT_EQ(error, EBADF) << "readExactly's kError must leave read()'s errno (EBADF), not "
                          << std::strerror(error);
  errno = 0;
  EXPECT_FALSE(writeAll(none, buffer, sizeof buffer)) << "writeAll on descriptor -1 must return false";
  error = errno;
  EXPECT_EQ(error, EBADF) << "writeAll's false must leave the failed call's errno (EBADF), not "
                          << std::strerror(error);
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
  ASSERT_TRUE(writeAll(fd, bytes.data(), bytes.size()))
      << "writeAll of " << bytes.size() << " bytes to a socket with room for them returned false";
}

TEST(FrameIo, RequestAndReplyRoundTrip) {
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  ASSERT_TRUE(writeRequest(pair.left, sampleRequest()))
      << "writeRequest (given: encodeRequest, then one writeAll) returned false";
  IncomingRequest in = readRequest(pair.right);
  ASSERT_EQ(in.io, IoStatus::kOk) << "readRequest of a whole request frame: its readExactly calls (the 16 "
                                     "header bytes, then exactly the payload) must say ok";
  ASSERT_EQ(in.error, FrameError::kNone)
      << "readRequest found fault with a frame encodeRequest made (checkRequestHeader, then decodeRequest)";
  EXPECT_EQ(in.request, sampleRequest()) << "readRequest must return the request writeRequest sent";
  EXPECT_EQ(in.header.request_id, 41u) << "readRequest must keep the parsed header in IncomingRequest::header";

  Reply reply = makeReply(in.request, Status::kOk, "restocked", Service::kVending);
  reply.fields.add("stock", "10");
  ASSERT_TRUE(writeReply(pair.right, reply)) << "writeReply (given: encodeReply, then one writeAll) returned false";
  IncomingReply back = readReply(pair.left);
  ASSERT_EQ(back.io, IoStatus::kOk) << "readReply of a whole reply frame: its readExactly calls (the 24 "
                                       "header bytes, then exactly the payload) must say ok";
  ASSERT_EQ(back.error, FrameError::kNone)
      << "readReply found fault with a frame encodeReply made (checkReplyHeader, then decodeReply)";
  EXPECT_EQ(back.reply, reply) << "readReply must return the reply writeReply sent";
}

TEST(FrameIo, FatalHeaderLeavesPayloadUnread) {
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  Bytes frame = encodeRequest(sampleRequest());
  frame[0] = 'X';  // bad magic
  sendBytes(pair.left, frame);

  IncomingRequest in = readRequest(pair.right);
  EXPECT_EQ(in.io, IoStatus::kOk) << "readRequest: the 16 header bytes all arrived";
  EXPECT_EQ(in.error, FrameError::kBadMagic)
      << "readRequest of a frame whose first byte is 'X': checkRequestHeader must find the bad magic";
  // The payload is still in the socket: readRequest did not touch it.
  std::string payload(frame.size() - kRequestHeaderSize, '\0');
  ASSERT_EQ(readExactly(pair.right, payload.data(), payload.size()), IoStatus::kOk)
      << "the 18 payload bytes after a bad-magic header were no longer in the socket: readRequest read "
         "them. A fatal header (isFatalFrameError) means its length cannot be trusted: return before "
         "reading any payload. Known mistake: reading the payload of a header that failed its check; "
      << kMistakes;
  EXPECT_EQ(payload, "product=A1\nqty=10\n")
      << "the bytes after a bad-magic header are not its payload: readRequest read some of them";
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
  EXPECT_EQ(in.io, IoStatus::kOk) << "readRequest: the 16 header bytes all arrived; it must not try to "
                                     "read the 300 payload bytes the header announces";
  EXPECT_EQ(in.error, FrameError::kPayloadTooLong)
      << "readRequest of a header announcing 300 payload bytes (the limit is 256): checkRequestHeader "
         "must say kPayloadTooLong";
  char next = 0;
  ASSERT_EQ(readExactly(pair.right, &next, 1), IoStatus::kOk)
      << "the byte after an overlong header was no longer in the socket: readRequest read on. A fatal "
         "header means its length cannot be trusted: return before reading any payload. Known mistake: "
         "reading the payload of a header that failed its check; "
      << kMistakes;
  EXPECT_EQ(next, 'z') << "the byte after an overlong header is not the one sent: readRequest read some";
}

TEST(FrameIo, BadVersionIsFatal) {
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  Bytes frame = encodeRequest(sampleRequest());
  frame[2] = 7;
  sendBytes(pair.left, frame);
  IncomingRequest in = readRequest(pair.right);
  EXPECT_EQ(in.io, IoStatus::kOk) << "readRequest: the whole frame arrived";
  EXPECT_EQ(in.error, FrameError::kBadVersion)
      << "readRequest of a frame with version 7: checkRequestHeader must say kBadVersion (we speak 1)";
}

TEST(FrameIo, UnknownCommandAndBadPayloadKeepTheStreamInStep) {
  SocketPair pair = makeSocketPair();
  boundBothEnds(pair);
  sendBytes(pair.left, frameWithCommand(sampleRequest(), 42));
  Request broken = sampleRequest();
  broken.fields.add("Bad Key", "1");  // breaks the key rules on purpose
  sendBytes(pair.left, encodeRequest(broken));
  ASSERT_TRUE(writeRequest(pair.left, sampleRequest()))
      << "writeRequest (given: encodeRequest, then one writeAll) returned false";

  // Three frames back to back: each readRequest must take exactly one.
  const char* kInStep =
      ": an unknown command or a bad payload is not fatal. readRequest must read its whole frame (header "
      "and payload) and then report the error, so that the next frame starts in step";
  IncomingRequest unknown = readRequest(pair.right);
  EXPECT_EQ(unknown.io, IoStatus::kOk) << "readRequest of the first frame (command 42)" << kInStep;
  EXPECT_EQ(unknown.error, FrameError::kUnknownCommand)
      << "readRequest of a well-framed request with command 42: decodeRequest must say kUnknownCommand";
  EXPECT_EQ(unknown.header.request_id, 41u) << "the header is kept for the error reply (IncomingRequest::header)";

  IncomingRequest bad = readRequest(pair.right);
  EXPECT_EQ(bad.io, IoStatus::kOk) << "readRequest of the second frame (a key with capitals)" << kInStep;
  EXPECT_EQ(bad.error, FrameError::kBadPayload)
      << "readRequest of the second frame, whose payload has the key \"Bad Key\": decodeRequest must say "
         "kBadPayload (keys are [a-z0-9_.]+). Anything else here also means the stream is out of step"
      << kInStep;

  IncomingRequest good = readRequest(pair.right);
  ASSERT_EQ(good.io, IoStatus::kOk) << "readRequest of the third frame, a good one" << kInStep;
  EXPECT_EQ(good.error, FrameError::kNone) << "readRequest of the third frame, a good one" << kInStep;
  EXPECT_EQ(good.request, sampleRequest()) << "readRequest of the third frame, a good one" << kInStep;
}

TEST(FrameIo, ClosedAndTruncatedConnections) {
  const char* kHalfFrame =
      ". End of file in the middle of a frame means the peer broke off a message: readExactly says "
      "kTruncated, and readRequest must pass that on (never decode half a frame as a request). Known "
      "mistakes: EOF mid-frame taken as a whole request, one read per message; ";
  {
    SocketPair pair = makeSocketPair();
    pair.left.reset();
    EXPECT_EQ(readRequest(pair.right).io, IoStatus::kClosed)
        << "readRequest on a connection closed before any byte: readExactly of the header says kClosed "
           "(a polite goodbye), and readRequest must pass it on in IncomingRequest::io";
  }
  {
    SocketPair pair = makeSocketPair();
    Bytes frame = encodeRequest(sampleRequest());
    sendBytes(pair.left, Bytes(frame.begin(), frame.begin() + 5));  // half a header
    pair.left.reset();
    EXPECT_EQ(readRequest(pair.right).io, IoStatus::kTruncated)
        << "readRequest on 5 of a header's 16 bytes, then end of file" << kHalfFrame << kMistakes;
  }
  {
    SocketPair pair = makeSocketPair();
    Bytes frame = encodeRequest(sampleRequest());
    frame.resize(kRequestHeaderSize + 4);  // header promises 18 payload bytes, 4 come
    sendBytes(pair.left, frame);
    pair.left.reset();
    EXPECT_EQ(readRequest(pair.right).io, IoStatus::kTruncated)
        << "readRequest on a whole header announcing 18 payload bytes, 4 of them, then end of file"
        << kHalfFrame << kMistakes;
  }
  {
    SocketPair pair = makeSocketPair();
    pair.right.reset();
    EXPECT_EQ(readReply(pair.left).io, IoStatus::kClosed)
        << "readReply on a connection closed before any byte: readExactly of the header says kClosed, "
           "and readReply must pass it on in IncomingReply::io";
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
  EXPECT_EQ(in.io, IoStatus::kOk) << "readReply: the 24 header bytes all arrived; it must not try to read "
                                     "the 3072 payload bytes the header announces";
  EXPECT_EQ(in.error, FrameError::kPayloadTooLong)
      << "readReply of a reply header announcing 3072 payload bytes (the limit is 2048): checkReplyHeader "
         "must say kPayloadTooLong, and readReply stop there";
}

TEST(FrameIo, ReadTimesOutOnAnIdleConnection) {
  SocketPair pair = makeSocketPair();
  setTimeout(pair.right, SO_RCVTIMEO, 50ms);
  EXPECT_EQ(readRequest(pair.right).io, IoStatus::kTimedOut)
      << "readRequest on a socket with SO_RCVTIMEO 50 ms that gets no byte: readExactly says kTimedOut "
         "(read() failed with EAGAIN), and readRequest must pass it on in IncomingRequest::io";
}

}  // namespace
}  // namespace mc
