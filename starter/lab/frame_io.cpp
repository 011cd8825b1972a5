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
  // TODO(lab1): read one request frame into an IncomingRequest `in`.
  //   1. readExactly the kRequestHeaderSize header bytes into a std::array<std::uint8_t, 16>;
  //      store the IoStatus in in.io and return if it is not kOk.
  //   2. in.header = parseRequestHeader(...); in.error = checkRequestHeader(in.header).
  //      If isFatalFrameError(in.error): return NOW, leaving the payload unread.
  //   3. readExactly exactly header.payload_length bytes into a std::string
  //      (io again: a peer that vanishes mid-payload is kTruncated; return then).
  //   4. decodeRequest(in.header, payload): copy its error into in.error and, if it
  //      has a value, move it into in.request. kUnknownCommand and kBadPayload are
  //      not fatal: the whole frame was consumed, so the next one starts in step.
  notImplemented(1, "readRequest in frame_io.cpp");
}

IncomingReply readReply([[maybe_unused]] const Fd& connection) {
  // TODO(lab1): the same four steps for a reply frame: kReplyHeaderSize bytes,
  //   parseReplyHeader, checkReplyHeader, the payload, decodeReply. (The client
  //   uses this one: `cabinet` prints nothing until it works.)
  notImplemented(1, "readReply in frame_io.cpp");
}

}  // namespace mc
