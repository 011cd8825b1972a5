/// @file fuzz_support.hpp
/// @brief What the fuzz targets share: the byte that picks what an input
/// exercises, an in-memory model of how a server splits a byte stream into
/// request frames, and the check that turns a broken promise into a crash.
/// Runs in: the fuzz target processes and fuzz_write_corpus. Owns: nothing.
///
/// Every fuzz input is one selector byte followed by the bytes under test.
/// The selector lets one target cover several decoders while each seed in
/// fuzz/corpus/ still says which one it feeds (fuzz_write_corpus writes them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "wire_codec.hpp"

namespace mc::fuzz {

/// What fuzz_frame_decoder does with the bytes after the selector.
enum class DecoderMode : std::uint8_t {
  kRequestFrame = 0,  ///< one request frame in memory (decodeRequestFrame)
  kReplyFrame = 1,    ///< one reply frame in memory (decodeReplyFrame)
  kRequestStream = 2, ///< many request frames through a pipe (readRequest)
  kRequestRecord = 3, ///< a RequestRecord as it crosses the request pipe
  kReplyRecord = 4,   ///< a ReplyRecord as it crosses the reply pipe or slot
  kFieldsText = 5,    ///< "key=value\n" text alone (decodeFields)
};
inline constexpr std::uint8_t kDecoderModeCount = 6;  ///< selector byte is taken modulo this

/// What fuzz_request_handler does with the bytes after the selector.
enum class HandlerMode : std::uint8_t {
  kRequests = 0,    ///< decode frames in memory, run each through routeRequest
  kConnection = 1,  ///< feed the bytes to serveConnection through a socketpair
};
inline constexpr std::uint8_t kHandlerModeCount = 2;  ///< selector byte is taken modulo this

/// The staff PIN fuzz_request_handler's services run with; the seeds'
/// VENDING_RESTOCK and STATUS carry it in field `pin` (service_state.hpp).
inline constexpr std::string_view kStaffPin = "2468";

/// One frame as a server reading @p stream would see it.
struct StreamFrame {
  RequestHeader header;                  ///< the 16 header bytes, parsed
  FrameError error = FrameError::kNone;  ///< as readRequest would report it
  std::optional<Request> request;        ///< set when error == kNone
};

/// @brief Splits @p stream into request frames exactly as readRequest would
/// read them from a socket holding these bytes and then EOF: a frame whose
/// header is incomplete ends the list; a fatal header error is the last entry
/// (its payload is never read); a frame whose payload is cut short by EOF is
/// not listed (readRequest returns kTruncated without a frame).
/// Thread safety: pure.
std::vector<StreamFrame> splitRequestStream(std::span<const std::uint8_t> stream);

/// @brief Fails the fuzz run: prints @p what to stderr and aborts, so that
/// libFuzzer saves the input as a crash reproducer. Used for broken invariants.
[[noreturn]] void fail(std::string_view what);

/// @brief Calls fail(@p what) unless @p condition holds.
inline void require(bool condition, std::string_view what) {
  if (!condition) fail(what);
}

}  // namespace mc::fuzz
