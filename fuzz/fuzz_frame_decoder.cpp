/// @file fuzz_frame_decoder.cpp
/// @brief libFuzzer target: every decoder of bytes that come from outside a
/// process (request and reply frames, a stream of frames on a descriptor, the
/// fixed-size pipe records, fields text) gets arbitrary bytes.
/// Runs in: the fuzz process (one thread). Owns: a pipe per stream input.
///
/// Beyond "no crash, no leak, no undefined behaviour" (the sanitizers), each
/// decoder must keep two promises, checked with fuzz::require:
///   - round trip: whatever decodes, encodes back to the same bytes (reserved
///     bytes aside) and decodes again to the same value;
///   - agreement: the split API (parse, check, decode) and readRequest over a
///     real pipe reach the same verdict as the whole-frame decoder.
/// The first input byte picks the decoder (fuzz_support.hpp, DecoderMode).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fd.hpp"
#include "frame_io.hpp"
#include "fuzz_support.hpp"
#include "records.hpp"
#include "robust_io.hpp"
#include "wire_codec.hpp"

namespace mc::fuzz {
namespace {

using ByteSpan = std::span<const std::uint8_t>;

/// A pipe holds 64 KiB before write() blocks; longer stream inputs are skipped
/// (libFuzzer's -max_len keeps them far shorter anyway).
constexpr std::size_t kMaxStreamBytes = 60 * 1024;

std::string_view asText(ByteSpan bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool sameHeader(const RequestHeader& a, const RequestHeader& b) {
  return a.magic == b.magic && a.version == b.version && a.command == b.command &&
         a.request_id == b.request_id && a.user_id == b.user_id &&
         a.payload_length == b.payload_length;
}

// @p frame with its reserved bytes zeroed: what an encoder writes there.
Bytes withReservedZeroed(ByteSpan frame, std::size_t reserved_at, std::size_t reserved_size) {
  Bytes bytes(frame.begin(), frame.end());
  std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(reserved_at), reserved_size, 0);
  return bytes;
}

// ---------------------------------------------------------------------------
// Frames in memory
// ---------------------------------------------------------------------------

void checkRequestFrame(ByteSpan frame) {
  const Decoded<Request> decoded = decodeRequestFrame(frame);
  require(decoded.value.has_value() == (decoded.error == FrameError::kNone),
          "decodeRequestFrame: a value exactly when there is no error");

  if (frame.size() >= kRequestHeaderSize) {  // the split API must agree
    const RequestHeader header = parseRequestHeader(frame.first<kRequestHeaderSize>());
    FrameError error = checkRequestHeader(header);
    if (error == FrameError::kNone)
      error = decodeRequest(header, asText(frame.subspan(kRequestHeaderSize))).error;
    require(error == decoded.error, "split request decoding disagrees with decodeRequestFrame");
  }
  if (!decoded.value) return;  // rejected: nothing to round-trip

  const Bytes encoded = encodeRequest(*decoded.value);
  require(encoded == withReservedZeroed(frame, 14, 2), "request re-encodes to other bytes");
  require(decodeRequestFrame(encoded).value == decoded.value, "request round trip changed it");
}

void checkReplyFrame(ByteSpan frame) {
  const Decoded<Reply> decoded = decodeReplyFrame(frame);
  require(decoded.value.has_value() == (decoded.error == FrameError::kNone),
          "decodeReplyFrame: a value exactly when there is no error");

  if (frame.size() >= kReplyHeaderSize) {
    const ReplyHeader header = parseReplyHeader(frame.first<kReplyHeaderSize>());
    FrameError error = checkReplyHeader(header);
    if (error == FrameError::kNone)
      error = decodeReply(header, asText(frame.subspan(kReplyHeaderSize))).error;
    require(error == decoded.error, "split reply decoding disagrees with decodeReplyFrame");
  }
  if (!decoded.value) return;

  const Bytes encoded = encodeReply(*decoded.value);
  require(encoded == withReservedZeroed(frame, 20, 4), "reply re-encodes to other bytes");
  require(decodeReplyFrame(encoded).value == decoded.value, "reply round trip changed it");
}

// ---------------------------------------------------------------------------
// A stream of frames through a real descriptor (frame_io + robust_io)
// ---------------------------------------------------------------------------

// Checks one readRequest result against the model's frame.
void checkSameFrame(const IncomingRequest& read, const StreamFrame& expected) {
  require(read.io == IoStatus::kOk, "readRequest lost a frame the stream holds");
  require(read.error == expected.error, "readRequest reports another frame error");
  require(sameHeader(read.header, expected.header), "readRequest parsed another header");
  if (expected.request) require(read.request == *expected.request, "readRequest decoded another request");
}

void checkRequestStream(ByteSpan stream) {
  if (stream.size() > kMaxStreamBytes) return;  // would not fit in the pipe
  Pipe pipe = makePipe();
  require(writeAll(pipe.write_end, stream.data(), stream.size()), "writing the pipe failed");
  pipe.write_end.reset();  // the reader sees EOF after the bytes

  const std::vector<StreamFrame> expected = splitRequestStream(stream);
  for (const StreamFrame& frame : expected) {
    checkSameFrame(readRequest(pipe.read_end), frame);
    if (isFatalFrameError(frame.error)) return;  // a server stops reading here
  }
  const IoStatus end = readRequest(pipe.read_end).io;
  require(end == IoStatus::kClosed || end == IoStatus::kTruncated,
          "readRequest found a frame after the last one");
}

// ---------------------------------------------------------------------------
// Pipe records (records.cpp): bytes another process wrote
// ---------------------------------------------------------------------------

// @p bytes laid over a zeroed T, as a read(2) into the record would leave it.
template <typename T>
T recordFrom(ByteSpan bytes) {
  T record;
  std::memset(&record, 0, sizeof record);
  std::memcpy(&record, bytes.data(), std::min(bytes.size(), sizeof record));
  return record;
}

void checkRequestRecord(ByteSpan bytes) {
  const auto record = recordFrom<RequestRecord>(bytes);
  const std::optional<Request> request = unpackRequest(record);
  if (!request) return;  // corrupt: the child answers BAD_REQUEST

  const RequestRecord packed = packRequest(*request, record.slot);
  require(packed.slot == record.slot && packed.payload_length == record.payload_length,
          "request record re-packs to another slot or length");
  require(std::memcmp(packed.payload, record.payload, record.payload_length) == 0,
          "request record re-packs to other fields text");
  require(unpackRequest(packed) == request, "request record round trip changed it");
}

void checkReplyRecord(ByteSpan bytes) {
  const auto record = recordFrom<ReplyRecord>(bytes);
  const std::optional<Reply> reply = unpackReply(record);
  if (!reply) return;  // corrupt: the server answers INTERNAL_ERROR

  const ReplyRecord packed = packReply(*reply);  // fits: it came from a record
  require(packed.status == record.status && packed.payload_length == record.payload_length,
          "reply record re-packs to another status or length");
  require(std::memcmp(packed.payload, record.payload, record.payload_length) == 0,
          "reply record re-packs to other fields text");
  require(unpackReply(packed) == reply, "reply record round trip changed it");
}

// ---------------------------------------------------------------------------
// Fields text alone
// ---------------------------------------------------------------------------

void checkFieldsText(ByteSpan bytes) {
  const std::string_view text = asText(bytes);
  const std::optional<Fields> fields = decodeFields(text);
  if (!fields) return;
  require(encodeFields(*fields) == text, "fields text re-encodes to other text");
}

}  // namespace
}  // namespace mc::fuzz

/// @brief libFuzzer's entry point: runs one input. Always returns 0; a broken
/// invariant aborts instead.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mc::fuzz;
  if (size == 0) return 0;  // no selector byte
  const ByteSpan bytes{data + 1, size - 1};
  switch (static_cast<DecoderMode>(data[0] % kDecoderModeCount)) {
    case DecoderMode::kRequestFrame: checkRequestFrame(bytes); break;
    case DecoderMode::kReplyFrame: checkReplyFrame(bytes); break;
    case DecoderMode::kRequestStream: checkRequestStream(bytes); break;
    case DecoderMode::kRequestRecord: checkRequestRecord(bytes); break;
    case DecoderMode::kReplyRecord: checkReplyRecord(bytes); break;
    case DecoderMode::kFieldsText: checkFieldsText(bytes); break;
  }
  return 0;
}
