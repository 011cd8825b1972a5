/// @file whole_frames.cpp
/// @brief decodeRequestFrame and decodeReplyFrame: a whole frame already in
/// memory, decoded with the same steps a socket reader takes (check the
/// header, then decode the payload). For tests and the fuzzers.
/// Runs in: tests and fuzz targets. The steps themselves are lab 1's (wire_codec.cpp).
#include "wire_codec.hpp"

namespace mc {

namespace {

std::string_view asText(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

Decoded<Request> decodeRequestFrame(std::span<const std::uint8_t> frame) {
  // Too short to hold a header: no field of it can be trusted.
  if (frame.size() < kRequestHeaderSize) return {std::nullopt, FrameError::kBadPayload};
  RequestHeader header = parseRequestHeader(frame.first<kRequestHeaderSize>());
  if (FrameError error = checkRequestHeader(header); error != FrameError::kNone) {
    return {std::nullopt, error};
  }
  return decodeRequest(header, asText(frame.subspan(kRequestHeaderSize)));
}

Decoded<Reply> decodeReplyFrame(std::span<const std::uint8_t> frame) {
  if (frame.size() < kReplyHeaderSize) return {std::nullopt, FrameError::kBadPayload};
  ReplyHeader header = parseReplyHeader(frame.first<kReplyHeaderSize>());
  if (FrameError error = checkReplyHeader(header); error != FrameError::kNone) {
    return {std::nullopt, error};
  }
  return decodeReply(header, asText(frame.subspan(kReplyHeaderSize)));
}

}  // namespace mc
