/// @file fields_codec.cpp
/// @brief The text inside a frame: "key=value\n" fields, and the words for
/// frame errors. Provided code: lab 1 is about the bytes around them (the
/// big-endian headers in wire_codec.cpp), not about parsing text.
/// Runs in: the server, the service children, the client. Pure functions.
#include <algorithm>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "wire_codec.hpp"

namespace mc {

// ---------------------------------------------------------------------------
// Frame errors
// ---------------------------------------------------------------------------

std::string_view frameErrorText(FrameError error) {
  switch (error) {
    case FrameError::kNone: return "ok";
    case FrameError::kBadMagic: return "bad magic: not a MultiCabinet frame";
    case FrameError::kBadVersion: return "unsupported protocol version";
    case FrameError::kPayloadTooLong: return "payload too long";
    case FrameError::kUnknownCommand: return "unknown command";
    case FrameError::kBadPayload: return "malformed payload";
  }
  return "unknown frame error";
}

bool isFatalFrameError(FrameError error) {
  // After these, the header itself is suspect: its length field cannot be
  // trusted to find the next frame, so the connection must end.
  return error == FrameError::kBadMagic || error == FrameError::kBadVersion ||
         error == FrameError::kPayloadTooLong;
}

std::ostream& operator<<(std::ostream& out, FrameError error) { return out << frameErrorText(error); }

// ---------------------------------------------------------------------------
// Fields: "key=value\n" lines
// ---------------------------------------------------------------------------

namespace {

bool isKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

bool isValidKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!isKeyChar(c)) return false;
  }
  return true;
}

// A value may hold any byte but '\n' (it ends the line) and NUL (C clients
// would stop reading there, so two readers could disagree about the value).
bool isValidValue(std::string_view value) {
  return value.find('\n') == std::string_view::npos &&
         value.find('\0') == std::string_view::npos;
}

}  // namespace

std::string encodeFields(const Fields& fields) {
  // Encoding does not validate: Fields::add's caller promised valid keys and
  // values. A bad one makes a payload the receiver rejects as kBadPayload.
  std::string text;
  for (const auto& [key, value] : fields.entries()) {
    text += key;
    text += '=';
    text += value;
    text += '\n';
  }
  return text;
}

std::optional<Fields> decodeFields(std::string_view text) {
  Fields fields;
  // One line per pair: room for all of them at once, not a reallocation at
  // every power of two (every reply crosses this once, on the server's hot path).
  fields.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    if (end == std::string_view::npos) return std::nullopt;  // last line lacks '\n'
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);

    std::size_t equals = line.find('=');  // the first '=': values may hold more
    if (equals == std::string_view::npos) return std::nullopt;  // no '='
    std::string_view key = line.substr(0, equals);
    std::string_view value = line.substr(equals + 1);
    if (!isValidKey(key)) return std::nullopt;      // empty or bad character
    if (!isValidValue(value)) return std::nullopt;  // NUL inside
    fields.add(std::string{key}, std::string{value});
  }
  return fields;  // empty text is a valid, empty set of fields
}

}  // namespace mc
