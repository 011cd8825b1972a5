/// @file records.cpp
/// @brief Packing Requests and Replies into the fixed-size pipe records.
/// Runs in: the server (packs requests, unpacks replies) and the service
/// children (unpack requests, pack replies).
/// Owns: nothing. Pure functions: safe from any thread.
///
/// A record goes into a pipe or shared memory byte for byte, padding
/// included, so each one is zeroed before it is filled: no stale stack bytes
/// leak across a process boundary (and Valgrind/MSan stay quiet). The fields
/// travel as the same "key=value\n" text as on the wire (encodeFields).
/// Unpacking trusts nothing: a length or enum byte out of range means a
/// corrupt record, and the caller gets nullopt instead of a half-read value.
#include "records.hpp"

#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include "wire_codec.hpp"

namespace mc {

RequestRecord packRequest(const Request& request, std::uint32_t slot) {
  std::string payload = encodeFields(request.fields);
  RequestRecord record;
  if (payload.size() > sizeof record.payload) throw std::length_error("request fields too long");

  std::memset(&record, 0, sizeof record);  // padding too: no stale bytes in the pipe
  record.slot = slot;
  record.trace_id = request.trace_id;
  record.request_id = request.request_id;
  record.user_id = request.user_id;
  record.command = static_cast<std::uint8_t>(request.command);
  record.payload_length = static_cast<std::uint16_t>(payload.size());
  std::memcpy(record.payload, payload.data(), payload.size());
  return record;
}

std::optional<Request> unpackRequest(const RequestRecord& record) {
  if (!isKnownCommand(record.command)) return std::nullopt;                // bad command
  if (record.payload_length > sizeof record.payload) return std::nullopt;  // bad length
  std::optional<Fields> fields =
      decodeFields(std::string_view{record.payload, record.payload_length});
  if (!fields) return std::nullopt;  // bad fields text

  Request request;
  request.command = static_cast<Command>(record.command);
  request.request_id = record.request_id;
  request.user_id = record.user_id;
  request.trace_id = record.trace_id;
  request.fields = std::move(*fields);
  return request;
}

Reply refuseCorruptRequest(const RequestRecord& record, Service service) {
  Request echo;  // the command byte may be the corrupt part: only the id is kept
  echo.request_id = record.request_id;
  return makeReply(echo, Status::kBadRequest, "corrupt request record", service);
}

namespace {

// Fills @p record from @p reply whose encoded fields are @p payload.
// Caller checked that payload fits.
void fillReplyRecord(ReplyRecord& record, const Reply& reply, const std::string& payload) {
  std::memset(&record, 0, sizeof record);  // padding too: no stale bytes in the pipe
  record.request_id = reply.request_id;
  record.pid = reply.served_by.pid;
  record.tid = reply.served_by.tid;
  record.command = static_cast<std::uint8_t>(reply.command);
  record.status = static_cast<std::uint8_t>(reply.status);
  record.service = static_cast<std::uint8_t>(reply.served_by.service);
  record.payload_length = static_cast<std::uint16_t>(payload.size());
  std::memcpy(record.payload, payload.data(), payload.size());
}

}  // namespace

ReplyRecord packReply(const Reply& reply) {
  ReplyRecord record;
  std::string payload = encodeFields(reply.fields);
  if (payload.size() <= sizeof record.payload) {
    fillReplyRecord(record, reply, payload);
    return record;
  }
  // Too long to send: the client still gets an answer to its request id,
  // from the same process and thread, saying the server failed.
  Reply failed = reply;
  failed.status = Status::kInternalError;
  failed.fields = Fields{};
  failed.fields.add("message", "reply too long");
  fillReplyRecord(record, failed, encodeFields(failed.fields));
  return record;
}

std::optional<Reply> unpackReply(const ReplyRecord& record) {
  if (!isKnownCommand(record.command)) return std::nullopt;                // bad command
  if (!isKnownStatus(record.status)) return std::nullopt;                  // bad status
  if (!isKnownService(record.service)) return std::nullopt;                // bad service
  if (record.payload_length > sizeof record.payload) return std::nullopt;  // bad length
  std::optional<Fields> fields =
      decodeFields(std::string_view{record.payload, record.payload_length});
  if (!fields) return std::nullopt;  // bad fields text

  Reply reply;
  reply.command = static_cast<Command>(record.command);
  reply.request_id = record.request_id;
  reply.status = static_cast<Status>(record.status);
  reply.served_by =
      ServedBy{static_cast<Service>(record.service), record.pid, record.tid};
  reply.fields = std::move(*fields);
  return reply;
}

}  // namespace mc
