/// @file frame_io.cpp
/// @brief One whole request or reply frame at a time: robust_io moves the
/// bytes, wire_codec gives them meaning.
/// Runs in: the server's connection threads and the client.
/// Owns: nothing (borrows the caller's connection Fd).
///
/// Reading is two steps, header then payload, because only the header says
/// how long the payload is. A header that fails its check (bad magic, bad
/// version, too long) stops us before the payload: its length field is not
/// to be trusted, and with kPayloadTooLong it may ask for 64 KiB we never want.
#include "frame_io.hpp"

#include <array>
#include <string>

namespace mc {

IncomingRequest readRequest(const Fd& connection) {
  IncomingRequest in;
  std::array<std::uint8_t, kRequestHeaderSize> raw{};
  in.io = readExactly(connection, raw.data(), raw.size());
  if (in.io != IoStatus::kOk) return in;  // closed, truncated, timed out or error

  in.header = parseRequestHeader(raw);
  in.error = checkRequestHeader(in.header);
  if (isFatalFrameError(in.error)) return in;  // payload left unread on purpose

  std::string payload(in.header.payload_length, '\0');
  in.io = readExactly(connection, payload.data(), payload.size());
  if (in.io != IoStatus::kOk) return in;  // peer went away mid-frame

  Decoded<Request> decoded = decodeRequest(in.header, payload);
  in.error = decoded.error;  // kUnknownCommand / kBadPayload keep the stream in step
  if (decoded.value) in.request = std::move(*decoded.value);
  return in;
}

IncomingReply readReply(const Fd& connection) {
  IncomingReply in;
  std::array<std::uint8_t, kReplyHeaderSize> raw{};
  in.io = readExactly(connection, raw.data(), raw.size());
  if (in.io != IoStatus::kOk) return in;  // closed, truncated, timed out or error

  ReplyHeader header = parseReplyHeader(raw);
  in.error = checkReplyHeader(header);
  if (isFatalFrameError(in.error)) return in;  // payload left unread on purpose

  std::string payload(header.payload_length, '\0');
  in.io = readExactly(connection, payload.data(), payload.size());
  if (in.io != IoStatus::kOk) return in;  // peer went away mid-frame

  Decoded<Reply> decoded = decodeReply(header, payload);
  in.error = decoded.error;
  if (decoded.value) in.reply = std::move(*decoded.value);
  return in;
}

}  // namespace mc
