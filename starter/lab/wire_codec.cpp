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
  // TODO(lab1): value's 2 bytes appended to out, most significant first, whatever the
  //   CPU's own byte order: 0x4D43 goes out as 0x4D, 0x43.
  // Hints: labs/01-sockets/HINTS.md#putu16
  notImplemented(1, "putU16 in wire_codec.cpp");
}

[[maybe_unused]] void putU32([[maybe_unused]] Bytes& out, [[maybe_unused]] std::uint32_t value) {
  // TODO(lab1): value's 4 bytes appended to out, most significant first.
  // Hints: labs/01-sockets/HINTS.md#putu32
  notImplemented(1, "putU32 in wire_codec.cpp");
}

[[maybe_unused]] std::uint16_t getU16([[maybe_unused]] const std::uint8_t* at) {
  // TODO(lab1): the inverse of putU16: the value whose 2 big-endian bytes start at `at`.
  // Hints: labs/01-sockets/HINTS.md#getu16
  notImplemented(1, "getU16 in wire_codec.cpp");
}

[[maybe_unused]] std::uint32_t getU32([[maybe_unused]] const std::uint8_t* at) {
  // TODO(lab1): the inverse of putU32, right for every value, those with the top bit
  //   set included (the WireCodec tests use such bytes on purpose). Mind C++'s integer
  //   promotions: a byte shifted into the top bit of a signed int overflows.
  // Hints: labs/01-sockets/HINTS.md#getu32
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
  // TODO(lab1): the whole frame for request: the 16-byte header exactly as the table in
  //   wire_codec.hpp lays it out (reserved bytes 0), then the request's fields as text.
  //   Throws std::length_error, building nothing, if that text is longer than
  //   kMaxRequestPayload: never send a frame the server must refuse.
  // Hints: labs/01-sockets/HINTS.md#encoderequest
  notImplemented(1, "encodeRequest in wire_codec.cpp");
}

Bytes encodeReply([[maybe_unused]] const Reply& reply) {
  // TODO(lab1): encodeRequest's contract, for the 24-byte reply header and
  //   kMaxReplyPayload. The header names who served the reply (served_by).
  // Hints: labs/01-sockets/HINTS.md#encodereply
  notImplemented(1, "encodeReply in wire_codec.cpp");
}

// ---------------------------------------------------------------------------
// Parsing and checking headers
// ---------------------------------------------------------------------------

RequestHeader parseRequestHeader(
    [[maybe_unused]] std::span<const std::uint8_t, kRequestHeaderSize> bytes) {
  // TODO(lab1): every field of the header, read from its offset in the table. Judges
  //   nothing (checkRequestHeader does) and ignores the reserved bytes, whatever they hold.
  // Hints: labs/01-sockets/HINTS.md#parserequestheader
  notImplemented(1, "parseRequestHeader in wire_codec.cpp");
}

ReplyHeader parseReplyHeader(
    [[maybe_unused]] std::span<const std::uint8_t, kReplyHeaderSize> bytes) {
  // TODO(lab1): parseRequestHeader's contract, for the 24-byte reply header.
  // Hints: labs/01-sockets/HINTS.md#parsereplyheader
  notImplemented(1, "parseReplyHeader in wire_codec.cpp");
}

FrameError checkRequestHeader([[maybe_unused]] const RequestHeader& header) {
  // TODO(lab1): the first of kBadMagic, kBadVersion, kPayloadTooLong (longer than
  //   kMaxRequestPayload; the limit itself is fine) that applies, in that order; else
  //   kNone. Only these fatal errors: the command is not judged here, because a frame
  //   with an unknown one must still be read whole to keep the stream in step.
  // Hints: labs/01-sockets/HINTS.md#checkrequestheader
  notImplemented(1, "checkRequestHeader in wire_codec.cpp");
}

FrameError checkReplyHeader([[maybe_unused]] const ReplyHeader& header) {
  // TODO(lab1): checkRequestHeader's contract, with kMaxReplyPayload.
  // Hints: labs/01-sockets/HINTS.md#checkreplyheader
  notImplemented(1, "checkReplyHeader in wire_codec.cpp");
}

// ---------------------------------------------------------------------------
// Decoding a checked header and its payload
// ---------------------------------------------------------------------------

Decoded<Request> decodeRequest([[maybe_unused]] const RequestHeader& header,
                               [[maybe_unused]] std::string_view payload) {
  // TODO(lab1): a Request with the header's command and ids and the payload's fields,
  //   and kNone; or no value and the reason: kUnknownCommand (a command byte we do not
  //   know), kBadPayload (a payload whose size is not the header's length, or that is not
  //   fields text). The bytes came from the network: bad ones are an answer, not a throw.
  // Hints: labs/01-sockets/HINTS.md#decoderequest
  notImplemented(1, "decodeRequest in wire_codec.cpp");
}

Decoded<Reply> decodeReply([[maybe_unused]] const ReplyHeader& header,
                           [[maybe_unused]] std::string_view payload) {
  // TODO(lab1): decodeRequest's contract, for a Reply (served_by from the header), with
  //   one difference: the command byte is echoed, never judged (a BAD_REQUEST echoes the
  //   unknown byte it refuses), while an unknown status or service is kBadPayload.
  // Hints: labs/01-sockets/HINTS.md#decodereply
  notImplemented(1, "decodeReply in wire_codec.cpp");
}

}  // namespace mc
