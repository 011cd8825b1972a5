/// @file records.hpp
/// @brief Fixed-size records that cross from the server to a service child
/// (through the request pipe) and back (through the reply pipe in stage 3, the
/// reply slot in shared memory in stage 4).
/// Runs in: the server and the service children.
///
/// Why fixed size: every record is one write(2) of at most PIPE_BUF bytes, and
/// POSIX makes such writes atomic. Many connection threads can write into one
/// pipe at once and the child still reads whole records, never a mix of two.
#pragma once

#include <climits>
#include <cstdint>
#include <optional>

#include "protocol.hpp"

namespace mc {

/// One request on its way to a service child.
struct RequestRecord {
  std::uint64_t trace_id;  ///< the request's id in a --trace file (0: not traced)
  std::uint32_t slot;  ///< stage 4: which reply slot to answer in (0 in stage 3)
  std::uint32_t request_id;       ///< as in Request
  std::uint32_t user_id;          ///< as in Request
  std::uint8_t command;           ///< a Command value
  std::uint8_t reserved;          ///< 0; keeps the layout explicit
  std::uint16_t payload_length;   ///< bytes used in payload
  char payload[kMaxRequestPayload];  ///< encodeFields() text, not NUL-terminated
};

/// One reply on its way back from a service child.
struct ReplyRecord {
  std::uint32_t request_id;      ///< as in Reply
  std::uint32_t pid;             ///< ServedBy::pid
  std::uint32_t tid;             ///< ServedBy::tid
  std::uint8_t command;          ///< a Command value
  std::uint8_t status;           ///< a Status value
  std::uint8_t service;          ///< a Service value: who answered
  std::uint8_t reserved;         ///< 0; keeps the layout explicit
  std::uint16_t payload_length;  ///< bytes used in payload
  char payload[kMaxReplyPayload];  ///< encodeFields() text, not NUL-terminated
};

static_assert(sizeof(RequestRecord) <= PIPE_BUF, "request pipe writes must be atomic");
static_assert(sizeof(ReplyRecord) <= PIPE_BUF, "reply pipe writes must be atomic");

/// @brief Packs @p request for the pipe, to be answered in @p slot.
/// @throws std::length_error if the fields do not fit.
RequestRecord packRequest(const Request& request, std::uint32_t slot);
/// @brief Unpacks a record; nullopt if it is corrupt (bad command or fields).
std::optional<Request> unpackRequest(const RequestRecord& record);
/// @brief The BAD_REQUEST reply to a record that does not unpack, from
/// @p service. It keeps the record's request_id, so the reply still names
/// the request it answers.
Reply refuseCorruptRequest(const RequestRecord& record, Service service);
/// @brief Packs @p reply; a reply too long for a record becomes INTERNAL_ERROR.
ReplyRecord packReply(const Reply& reply);
/// @brief Unpacks a record; nullopt if it is corrupt.
std::optional<Reply> unpackReply(const ReplyRecord& record);

}  // namespace mc
