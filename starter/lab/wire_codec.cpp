/// @file wire_codec.cpp
/// @brief Turns Requests and Replies into frames of bytes and back.
/// Runs in: the server's connection threads and the client.
/// Owns: nothing. Pure functions of their arguments: safe from any thread.
///
/// Your version (lab 1). The header, wire_codec.hpp, has the byte layout of
/// both frames; docs/protocol.md has the same in tables.
///
/// Every integer goes on the wire one byte at a time, most significant byte
/// first (big-endian, "network byte order"). Never memcpy a struct or an int
/// onto the wire: the compiler may pad a struct and the CPU may be
/// little-endian, and neither is part of the protocol. Shifting bytes by hand
/// gives the same frame on every machine.
///
/// Decoding is split in two so a server can read a frame safely:
///   1. parse + check the fixed header (magic, version, length), and only then
///   2. read exactly `payload length` bytes and decode the command and fields.
/// A header that fails step 1 says nothing trustworthy about where the next
/// frame starts, so its payload is never read (isFatalFrameError).
///
/// Given: the frame error texts, the "key=value" fields text, and the
/// whole-frame helpers at the end. You write the big-endian integers, the
/// encoders, the header parsers and checks, and decodeRequest/decodeReply.
#include "wire_codec.hpp"

#include <stdexcept>

#include "todo.hpp"

namespace mc {

// ---------------------------------------------------------------------------
// Big-endian integers
// ---------------------------------------------------------------------------

namespace {

// [[maybe_unused]] only keeps the compiler quiet until your code calls these.

[[maybe_unused]] void putU8(Bytes& out, std::uint8_t value) { out.push_back(value); }

[[maybe_unused]] void putU16([[maybe_unused]] Bytes& out, [[maybe_unused]] std::uint16_t value) {
  // TODO(lab1): append the 2 bytes of value to out, most significant first:
  //   0x4D43 must become 0x4D, 0x43. Shift right and cast each byte to uint8_t.
  notImplemented(1, "putU16 in wire_codec.cpp");
}

[[maybe_unused]] void putU32([[maybe_unused]] Bytes& out, [[maybe_unused]] std::uint32_t value) {
  // TODO(lab1): append the 4 bytes of value, most significant first
  //   (value >> 24, >> 16, >> 8, >> 0, each cast to uint8_t).
  notImplemented(1, "putU32 in wire_codec.cpp");
}

[[maybe_unused]] std::uint16_t getU16([[maybe_unused]] const std::uint8_t* at) {
  // TODO(lab1): the inverse of putU16: at[0] is the high byte, at[1] the low one.
  notImplemented(1, "getU16 in wire_codec.cpp");
}

[[maybe_unused]] std::uint32_t getU32([[maybe_unused]] const std::uint8_t* at) {
  // TODO(lab1): the inverse of putU32: at[0] is the most significant byte.
  //   Widen each byte to std::uint32_t BEFORE shifting it: a uint8_t is promoted to
  //   a signed int, and 0xF0 << 24 does not fit in one (WireCodec tests use bytes
  //   with the high bit set on purpose).
  notImplemented(1, "getU32 in wire_codec.cpp");
}

[[maybe_unused]] void putPayload(Bytes& out, const std::string& payload) {
  out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace

// ---------------------------------------------------------------------------
// Encoding frames
// ---------------------------------------------------------------------------

Bytes encodeRequest([[maybe_unused]] const Request& request) {
  // TODO(lab1): build the whole request frame.
  //   1. payload = encodeFields(request.fields); if it is longer than
  //      kMaxRequestPayload, throw std::length_error (never send a frame the
  //      server must refuse).
  //   2. Append the 16 header bytes in the order of the table in wire_codec.hpp:
  //      kMagic (u16), kVersion (u8), the command (u8), request_id (u32),
  //      user_id (u32), the payload length (u16), and 0 for the reserved u16.
  //   3. Append the payload bytes. (out.reserve() the final size first: optional.)
  notImplemented(1, "encodeRequest in wire_codec.cpp");
}

Bytes encodeReply([[maybe_unused]] const Reply& reply) {
  // TODO(lab1): as encodeRequest, with kMaxReplyPayload and the 24-byte reply
  //   header: magic, version, command, request_id, status (u8), the serving
  //   service (u8), payload length (u16), pid (u32), tid (u32), reserved u32 = 0.
  //   served_by holds the service, pid and tid.
  notImplemented(1, "encodeReply in wire_codec.cpp");
}

// ---------------------------------------------------------------------------
// Parsing and checking headers
// ---------------------------------------------------------------------------

RequestHeader parseRequestHeader(
    [[maybe_unused]] std::span<const std::uint8_t, kRequestHeaderSize> bytes) {
  // TODO(lab1): fill a RequestHeader from the 16 bytes with getU16/getU32 at the
  //   offsets of the table (magic at 0, version 2, command 3, request id 4, user id 8,
  //   length 12). Skip the reserved bytes 14-15: senders write 0, receivers ignore
  //   them. Validate nothing here: that is checkRequestHeader's job.
  notImplemented(1, "parseRequestHeader in wire_codec.cpp");
}

ReplyHeader parseReplyHeader(
    [[maybe_unused]] std::span<const std::uint8_t, kReplyHeaderSize> bytes) {
  // TODO(lab1): the same for the 24-byte reply header (status at 8, service 9,
  //   length 10, pid 12, tid 16; bytes 20-23 are reserved).
  notImplemented(1, "parseReplyHeader in wire_codec.cpp");
}

FrameError checkRequestHeader([[maybe_unused]] const RequestHeader& header) {
  // TODO(lab1): check, in this order, and return the first failure:
  //   magic != kMagic -> kBadMagic; version != kVersion -> kBadVersion;
  //   payload_length > kMaxRequestPayload -> kPayloadTooLong (exactly the limit is fine).
  //   Otherwise kNone. Do NOT check the command here: an unknown command is not
  //   fatal, and its payload must still be read so the next frame starts in step.
  notImplemented(1, "checkRequestHeader in wire_codec.cpp");
}

FrameError checkReplyHeader([[maybe_unused]] const ReplyHeader& header) {
  // TODO(lab1): as checkRequestHeader, with kMaxReplyPayload.
  notImplemented(1, "checkReplyHeader in wire_codec.cpp");
}

// ---------------------------------------------------------------------------
// Decoding a checked header and its payload
// ---------------------------------------------------------------------------

Decoded<Request> decodeRequest([[maybe_unused]] const RequestHeader& header,
                               [[maybe_unused]] std::string_view payload) {
  // TODO(lab1): turn a checked header and its payload into a Request.
  //   - header.command not known (isKnownCommand) -> {std::nullopt, kUnknownCommand};
  //   - payload.size() != header.payload_length   -> {std::nullopt, kBadPayload};
  //   - decodeFields(payload) fails               -> {std::nullopt, kBadPayload};
  //   - else copy command (static_cast<Command>), request_id, user_id and the fields
  //     into a Request and return {request, kNone}.
  notImplemented(1, "decodeRequest in wire_codec.cpp");
}

Decoded<Reply> decodeReply([[maybe_unused]] const ReplyHeader& header,
                           [[maybe_unused]] std::string_view payload) {
  // TODO(lab1): as decodeRequest, for a Reply, with one difference:
  //   do NOT check the command byte (a reply echoes the request's byte, even the
  //   unknown one a BAD_REQUEST answers). DO check the status (isKnownStatus) and
  //   the service (isKnownService): an unknown one is kBadPayload. Fill served_by
  //   from the header's service, pid and tid.
  notImplemented(1, "decodeReply in wire_codec.cpp");
}

}  // namespace mc
