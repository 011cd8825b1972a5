/// @file frame_io.cpp
/// @brief One whole request or reply frame at a time: robust_io moves the
/// bytes, wire_codec gives them meaning.
/// Runs in: the server's connection threads and the client.
/// Owns: nothing (borrows the caller's connection Fd).
///
/// Your version (lab 1). Reading is two steps, header then payload, because
/// only the header says how long the payload is. A header that fails its
/// check (bad magic, bad version, too long) must stop you before the payload:
/// its length field is not to be trusted, and with kPayloadTooLong it may ask
/// for 64 KiB we never want. Writing is given: encode, then one writeAll.
#include "frame_io.hpp"

#include <array>
#include <string>

#include "todo.hpp"

namespace mc {

IncomingRequest readRequest([[maybe_unused]] const Fd& connection) {
  // TODO(lab1): at most one request frame taken off the connection. The result's io says
  //   whether the bytes came (anything but kOk: nothing else in it counts); error is the
  //   frame's first fault, kNone if none; request is filled only when both are fine.
  //   After a fatal header error the payload is left unread, since its length cannot be
  //   trusted. After any other outcome with io kOk the whole frame was consumed, so the
  //   next read starts exactly at the next frame.
  // Hints: labs/01-sockets/HINTS.md#readrequest
  notImplemented(1, "readRequest in frame_io.cpp");
}

IncomingReply readReply([[maybe_unused]] const Fd& connection) {
  // TODO(lab1): readRequest's contract, for one reply frame. (The client uses this one:
  //   `cabinet` prints nothing until it works.)
  // Hints: labs/01-sockets/HINTS.md#readreply
  notImplemented(1, "readReply in frame_io.cpp");
}

}  // namespace mc
