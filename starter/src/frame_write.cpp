/// @file frame_write.cpp
/// @brief writeRequest and writeReply: one whole frame, in one writeAll; and
/// rejectFrame, the reply to a frame the server could not accept.
/// Runs in: the server's connection threads and the client.
/// Owns: nothing (borrows the caller's connection Fd).
///
/// Encoding the whole frame into one buffer first matters: two writes (header,
/// then payload) would let another writer on the same descriptor slip between
/// them, and would cost two syscalls. Reading is lab 1's (frame_io.cpp).
#include "frame_io.hpp"

#include <string>

namespace mc {

Reply rejectFrame(const IncomingRequest& incoming) {
  Request echo;
  echo.command = static_cast<Command>(incoming.header.command);
  echo.request_id = incoming.header.request_id;
  return makeReply(echo, Status::kBadRequest, std::string(frameErrorText(incoming.error)));
}

bool writeRequest(const Fd& connection, const Request& request) {
  Bytes frame = encodeRequest(request);
  return writeAll(connection, frame.data(), frame.size());
}

bool writeReply(const Fd& connection, const Reply& reply) {
  Bytes frame = encodeReply(reply);
  return writeAll(connection, frame.data(), frame.size());
}

}  // namespace mc
