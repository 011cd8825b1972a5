/// @file frame_io.hpp
/// @brief Reading and writing whole frames on a connection: wire_codec.hpp
/// on top of robust_io.hpp.
/// Runs in: the server's connection threads and the client.
#pragma once

#include "fd.hpp"
#include "robust_io.hpp"
#include "wire_codec.hpp"

namespace mc {

/// One request read from a connection.
struct IncomingRequest {
  IoStatus io = IoStatus::kOk;          ///< kOk when a whole frame arrived
  FrameError error = FrameError::kNone;  ///< meaningful when io == kOk
  RequestHeader header;                  ///< valid when io == kOk
  Request request;                       ///< valid when error == kNone
};

/// @brief Reads one request frame: the header, then exactly its payload.
/// A fatal header error (isFatalFrameError) returns without reading the payload.
IncomingRequest readRequest(const Fd& connection);

/// One reply read from a connection.
struct IncomingReply {
  IoStatus io = IoStatus::kOk;          ///< kOk when a whole frame arrived
  FrameError error = FrameError::kNone;  ///< meaningful when io == kOk
  Reply reply;  ///< valid when io == kOk and error == kNone
};

/// @brief Reads one reply frame.
IncomingReply readReply(const Fd& connection);

/// @brief The BAD_REQUEST reply to a frame that could not be accepted
/// (@p incoming.error != kNone), echoing the command and request id its
/// header gave, so the client can tell which request was refused.
Reply rejectFrame(const IncomingRequest& incoming);

/// @brief Encodes and writes @p request. @return false on a write error.
bool writeRequest(const Fd& connection, const Request& request);
/// @brief Encodes and writes @p reply. @return false on a write error.
bool writeReply(const Fd& connection, const Reply& reply);

}  // namespace mc
