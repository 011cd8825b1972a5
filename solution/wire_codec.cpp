/// @file wire_codec.cpp
/// @brief Turns Requests and Replies into frames of bytes and back.
/// Runs in: the server's connection threads and the client.
/// Owns: nothing. Pure functions of their arguments: safe from any thread.
///
/// Every integer is written one byte at a time, most significant byte first.
/// We never memcpy a struct onto the wire: the compiler may pad a struct and
/// the CPU may be little-endian, and neither is part of the protocol. Shifting
/// bytes by hand gives the same frame on every machine.
///
/// Decoding is split in two so a server can read a frame safely:
///   1. parse + check the fixed header (magic, version, length), and only then
///   2. read exactly `payload length` bytes and decode the command and fields.
/// A header that fails step 1 says nothing trustworthy about where the next
/// frame starts, so its payload is never read (isFatalFrameError).
#include "wire_codec.hpp"

#include <stdexcept>

namespace mc {

// ---------------------------------------------------------------------------
// Big-endian integers
// ---------------------------------------------------------------------------

namespace {

void putU8(Bytes& out, std::uint8_t value) { out.push_back(value); }

void putU16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

void putU32(Bytes& out, std::uint32_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 24));
  out.push_back(static_cast<std::uint8_t>(value >> 16));
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

std::uint16_t getU16(const std::uint8_t* at) {
  return static_cast<std::uint16_t>((at[0] << 8) | at[1]);
}

std::uint32_t getU32(const std::uint8_t* at) {
  return (std::uint32_t{at[0]} << 24) | (std::uint32_t{at[1]} << 16) |
         (std::uint32_t{at[2]} << 8) | std::uint32_t{at[3]};
}

void putPayload(Bytes& out, const std::string& payload) {
  out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace

// ---------------------------------------------------------------------------
// Encoding frames
// ---------------------------------------------------------------------------

Bytes encodeRequest(const Request& request) {
  std::string payload = encodeFields(request.fields);
  if (payload.size() > kMaxRequestPayload) throw std::length_error("request payload too long");

  Bytes out;
  out.reserve(kRequestHeaderSize + payload.size());
  putU16(out, kMagic);                                            // 0
  putU8(out, kVersion);                                           // 2
  putU8(out, static_cast<std::uint8_t>(request.command));         // 3
  putU32(out, request.request_id);                                // 4
  putU32(out, request.user_id);                                   // 8
  putU16(out, static_cast<std::uint16_t>(payload.size()));        // 12
  putU16(out, 0);                                                 // 14 reserved
  putPayload(out, payload);                                       // 16
  return out;
}

Bytes encodeReply(const Reply& reply) {
  std::string payload = encodeFields(reply.fields);
  if (payload.size() > kMaxReplyPayload) throw std::length_error("reply payload too long");

  Bytes out;
  out.reserve(kReplyHeaderSize + payload.size());
  putU16(out, kMagic);                                              // 0
  putU8(out, kVersion);                                             // 2
  putU8(out, static_cast<std::uint8_t>(reply.command));             // 3
  putU32(out, reply.request_id);                                    // 4
  putU8(out, static_cast<std::uint8_t>(reply.status));              // 8
  putU8(out, static_cast<std::uint8_t>(reply.served_by.service));   // 9
  putU16(out, static_cast<std::uint16_t>(payload.size()));          // 10
  putU32(out, reply.served_by.pid);                                 // 12
  putU32(out, reply.served_by.tid);                                 // 16
  putU32(out, 0);                                                   // 20 reserved
  putPayload(out, payload);                                         // 24
  return out;
}

// ---------------------------------------------------------------------------
// Parsing and checking headers
// ---------------------------------------------------------------------------

RequestHeader parseRequestHeader(std::span<const std::uint8_t, kRequestHeaderSize> bytes) {
  const std::uint8_t* b = bytes.data();
  RequestHeader header;
  header.magic = getU16(b + 0);
  header.version = b[2];
  header.command = b[3];
  header.request_id = getU32(b + 4);
  header.user_id = getU32(b + 8);
  header.payload_length = getU16(b + 12);
  // b[14..15] reserved: senders write 0, receivers ignore them.
  return header;
}

ReplyHeader parseReplyHeader(std::span<const std::uint8_t, kReplyHeaderSize> bytes) {
  const std::uint8_t* b = bytes.data();
  ReplyHeader header;
  header.magic = getU16(b + 0);
  header.version = b[2];
  header.command = b[3];
  header.request_id = getU32(b + 4);
  header.status = b[8];
  header.service = b[9];
  header.payload_length = getU16(b + 10);
  header.pid = getU32(b + 12);
  header.tid = getU32(b + 16);
  // b[20..23] reserved: senders write 0, receivers ignore them.
  return header;
}

FrameError checkRequestHeader(const RequestHeader& header) {
  if (header.magic != kMagic) return FrameError::kBadMagic;
  if (header.version != kVersion) return FrameError::kBadVersion;
  if (header.payload_length > kMaxRequestPayload) return FrameError::kPayloadTooLong;
  return FrameError::kNone;
}

FrameError checkReplyHeader(const ReplyHeader& header) {
  if (header.magic != kMagic) return FrameError::kBadMagic;
  if (header.version != kVersion) return FrameError::kBadVersion;
  if (header.payload_length > kMaxReplyPayload) return FrameError::kPayloadTooLong;
  return FrameError::kNone;
}

// ---------------------------------------------------------------------------
// Decoding a checked header and its payload
// ---------------------------------------------------------------------------

Decoded<Request> decodeRequest(const RequestHeader& header, std::string_view payload) {
  if (!isKnownCommand(header.command)) return {std::nullopt, FrameError::kUnknownCommand};
  if (payload.size() != header.payload_length) return {std::nullopt, FrameError::kBadPayload};
  std::optional<Fields> fields = decodeFields(payload);
  if (!fields) return {std::nullopt, FrameError::kBadPayload};

  Request request;
  request.command = static_cast<Command>(header.command);
  request.request_id = header.request_id;
  request.user_id = header.user_id;
  request.fields = std::move(*fields);
  return {std::move(request), FrameError::kNone};
}

Decoded<Reply> decodeReply(const ReplyHeader& header, std::string_view payload) {
  // The command byte is NOT checked: a reply echoes the request's byte, and the
  // BAD_REQUEST answering an unknown command echoes that unknown code. A status
  // or service we do not know, though, leaves the reply meaningless.
  if (!isKnownStatus(header.status)) return {std::nullopt, FrameError::kBadPayload};
  if (!isKnownService(header.service)) return {std::nullopt, FrameError::kBadPayload};
  if (payload.size() != header.payload_length) return {std::nullopt, FrameError::kBadPayload};
  std::optional<Fields> fields = decodeFields(payload);
  if (!fields) return {std::nullopt, FrameError::kBadPayload};

  Reply reply;
  reply.command = static_cast<Command>(header.command);
  reply.request_id = header.request_id;
  reply.status = static_cast<Status>(header.status);
  reply.served_by = ServedBy{static_cast<Service>(header.service), header.pid, header.tid};
  reply.fields = std::move(*fields);
  return {std::move(reply), FrameError::kNone};
}

}  // namespace mc
