/// @file wire_codec.hpp
/// @brief Request and reply frames on the TCP connection, byte by byte.
/// Runs in: the server's connection threads and the client. Pure functions:
/// no I/O, no state, safe from any thread.
///
/// Every integer is big-endian (network byte order). A frame is a fixed-size
/// header followed by a payload of "key=value\n" lines. docs/protocol.md has
/// the same layout in tables, for writing a client in another language.
///
///   Request header (16 bytes)        Reply header (24 bytes)
///   0  u16 magic 0x4D43 "MC"          0  u16 magic 0x4D43
///   2  u8  version (1)                2  u8  version (1)
///   3  u8  command                    3  u8  command (echoed)
///   4  u32 request id                 4  u32 request id (echoed)
///   8  u32 user id                    8  u8  status
///   12 u16 payload length (<= 256)    9  u8  service that served it
///   14 u16 reserved, 0               10  u16 payload length (<= 2048)
///                                    12  u32 pid that served it
///                                    16  u32 thread id that served it
///                                    20  u32 reserved, 0
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol.hpp"

namespace mc {

using Bytes = std::vector<std::uint8_t>;  ///< an encoded frame

inline constexpr std::size_t kRequestHeaderSize = 16;  ///< bytes before a request's payload
inline constexpr std::size_t kReplyHeaderSize = 24;    ///< bytes before a reply's payload

/// The fixed part of a request, as read off the wire (not yet validated).
struct RequestHeader {
  std::uint16_t magic = 0;           ///< kMagic in a valid frame
  std::uint8_t version = 0;          ///< kVersion in a valid frame
  std::uint8_t command = 0;          ///< raw: may not be a known Command
  std::uint32_t request_id = 0;      ///< chosen by the client
  std::uint32_t user_id = 0;         ///< who asks
  std::uint16_t payload_length = 0;  ///< bytes of fields text after the header
};

/// The fixed part of a reply, as read off the wire (not yet validated).
struct ReplyHeader {
  std::uint16_t magic = 0;           ///< kMagic in a valid frame
  std::uint8_t version = 0;          ///< kVersion in a valid frame
  std::uint8_t command = 0;          ///< echoes the request's command
  std::uint32_t request_id = 0;      ///< echoes the request's id
  std::uint8_t status = 0;           ///< a Status value
  std::uint8_t service = 0;          ///< a Service value: who answered
  std::uint16_t payload_length = 0;  ///< bytes of fields text after the header
  std::uint32_t pid = 0;             ///< the serving process
  std::uint32_t tid = 0;             ///< the serving thread
};

/// Why a frame was rejected.
enum class FrameError {
  kNone,
  kBadMagic,        ///< not our protocol: the connection must be closed
  kBadVersion,      ///< a version we do not speak: closed after a reply
  kPayloadTooLong,  ///< length over the limit: closed after a reply
  kUnknownCommand,  ///< well framed, unknown code: reply, keep the connection
  kBadPayload,      ///< well framed, payload not key=value lines: reply, keep
};

// Provided (fields_codec.cpp): frameErrorText, isFatalFrameError, printing a
// FrameError, encodeFields, decodeFields. The rest is lab 1's wire_codec.cpp.

/// @brief Human text for @p error, used as the reply's `message`.
std::string_view frameErrorText(FrameError error);

/// @brief True for errors after which the byte stream cannot be trusted.
bool isFatalFrameError(FrameError error);

/// @brief Writes frameErrorText(@p error): how a failed test shows it
/// ("payload too long", where it would otherwise print "4-byte object <03-00 00-00>").
std::ostream& operator<<(std::ostream& out, FrameError error);

/// @brief "key=value\n" for each field, in order.
std::string encodeFields(const Fields& fields);
/// @brief Parses "key=value\n" lines; nullopt if any line breaks the rules
/// (missing '=', empty or invalid key, missing final '\n').
std::optional<Fields> decodeFields(std::string_view text);

/// @brief The whole request frame, header and payload.
/// @throws std::length_error if the payload exceeds kMaxRequestPayload.
Bytes encodeRequest(const Request& request);
/// @brief The whole reply frame, header and payload.
/// @throws std::length_error if the payload exceeds kMaxReplyPayload.
Bytes encodeReply(const Reply& reply);

/// @brief Reads the 16 header bytes; validates nothing.
RequestHeader parseRequestHeader(std::span<const std::uint8_t, kRequestHeaderSize> bytes);
/// @brief Reads the 24 header bytes; validates nothing.
ReplyHeader parseReplyHeader(std::span<const std::uint8_t, kReplyHeaderSize> bytes);

/// @brief Checks magic, version and length (in that order); the command is
/// checked by decodeRequest so that the payload can still be skipped.
FrameError checkRequestHeader(const RequestHeader& header);
/// @brief Checks magic, version and length of a reply header.
FrameError checkReplyHeader(const ReplyHeader& header);

/// Result of decoding: the value, or why not.
template <typename T>
struct Decoded {
  std::optional<T> value;                ///< set when error is kNone
  FrameError error = FrameError::kNone;  ///< why there is no value
};

/// @brief Builds a Request from a checked header and its payload bytes.
Decoded<Request> decodeRequest(const RequestHeader& header, std::string_view payload);
/// @brief Builds a Reply from a checked header and its payload bytes.
Decoded<Reply> decodeReply(const ReplyHeader& header, std::string_view payload);

/// @brief Decodes one complete request frame held in @p frame (header and
/// payload, nothing more). For tests and fuzzing.
Decoded<Request> decodeRequestFrame(std::span<const std::uint8_t> frame);
/// @brief Decodes one complete reply frame held in @p frame.
Decoded<Reply> decodeReplyFrame(std::span<const std::uint8_t> frame);

}  // namespace mc
