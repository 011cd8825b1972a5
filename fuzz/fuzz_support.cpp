/// @file fuzz_support.cpp
/// @brief The in-memory model of frame_io's readRequest, and fail().
/// Runs in: the fuzz target processes and fuzz_write_corpus. Owns: nothing.
///
/// splitRequestStream is written from the protocol rules (docs/protocol.md),
/// not by calling frame_io: the fuzz targets compare the two, so a bug in
/// readRequest or serveConnection shows up as a disagreement.
#include "fuzz_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace mc::fuzz {

std::vector<StreamFrame> splitRequestStream(std::span<const std::uint8_t> stream) {
  std::vector<StreamFrame> frames;
  while (stream.size() >= kRequestHeaderSize) {
    StreamFrame frame;
    frame.header = parseRequestHeader(stream.first<kRequestHeaderSize>());
    stream = stream.subspan(kRequestHeaderSize);
    frame.error = checkRequestHeader(frame.header);
    if (isFatalFrameError(frame.error)) {  // the reader stops trusting the stream
      frames.push_back(std::move(frame));
      break;
    }
    if (stream.size() < frame.header.payload_length) break;  // EOF mid-payload
    std::span<const std::uint8_t> payload = stream.first(frame.header.payload_length);
    stream = stream.subspan(frame.header.payload_length);
    Decoded<Request> decoded = decodeRequest(
        frame.header, {reinterpret_cast<const char*>(payload.data()), payload.size()});
    frame.error = decoded.error;
    frame.request = std::move(decoded.value);
    frames.push_back(std::move(frame));
  }
  return frames;  // any bytes left are an incomplete header: EOF mid-frame
}

void fail(std::string_view what) {
  std::fprintf(stderr, "fuzz invariant broken: %.*s\n", static_cast<int>(what.size()),
               what.data());
  std::abort();  // libFuzzer catches SIGABRT and writes the crash-* reproducer
}

}  // namespace mc::fuzz
