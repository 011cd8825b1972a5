/// @file test_wire_codec.cpp
/// @brief Unit tests for protocol.cpp (names, lookups, makeReply) and
/// wire_codec.cpp (fields text, frames, header checks, golden bytes).
/// Runs in: the unit test process. Owns: nothing. No I/O.
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "protocol.hpp"
#include "wire_codec.hpp"

namespace mc {
namespace {

constexpr Command kAllCommands[] = {
    Command::kParcelDeposit, Command::kParcelPickup, Command::kFoodDeposit,
    Command::kFoodPickup,    Command::kVendingList,  Command::kVendingBuy,
    Command::kVendingRestock, Command::kStatus,
};

constexpr Status kAllStatuses[] = {
    Status::kOk,         Status::kWrongCode,   Status::kFull,      Status::kOutOfStock,
    Status::kUnknownProduct, Status::kBadRequest, Status::kUnavailable, Status::kBusy,
    Status::kLockedOut,  Status::kForbidden,   Status::kInternalError,
};

constexpr Service kAllServices[] = {Service::kServer, Service::kParcel, Service::kFood,
                                    Service::kVending};

// Fields whose encoding is exactly @p size bytes: "k=" + value + "\n".
Fields fieldsOfSize(std::size_t size) {
  Fields fields;
  fields.add("k", std::string(size - 3, 'x'));
  return fields;
}

Bytes bytesOf(std::string_view text) { return Bytes(text.begin(), text.end()); }

// The worked example of docs/protocol.md, byte for byte.
// PARCEL_PICKUP, request id 7, user 1001, code=482913.
const Bytes kGoldenRequest = [] {
  Bytes frame = {0x4D, 0x43, 0x01, 0x02,   // magic "MC", version 1, command 2
                 0x00, 0x00, 0x00, 0x07,   // request id 7
                 0x00, 0x00, 0x03, 0xE9,   // user id 1001
                 0x00, 0x0C, 0x00, 0x00};  // payload length 12, reserved
  Bytes payload = bytesOf("code=482913\n");
  frame.insert(frame.end(), payload.begin(), payload.end());
  return frame;
}();

// Its reply: OK from the parcel service, pid 4242, tid 4243.
const Bytes kGoldenReply = [] {
  Bytes frame = {0x4D, 0x43, 0x01, 0x02,   // magic, version 1, command 2 (echoed)
                 0x00, 0x00, 0x00, 0x07,   // request id 7 (echoed)
                 0x00, 0x01, 0x00, 0x27,   // status OK, service parcel, length 39
                 0x00, 0x00, 0x10, 0x92,   // pid 4242
                 0x00, 0x00, 0x10, 0x93,   // tid 4243
                 0x00, 0x00, 0x00, 0x00};  // reserved
  Bytes payload = bytesOf("message=Locker P-03 opened\nlocker=P-03\n");
  frame.insert(frame.end(), payload.begin(), payload.end());
  return frame;
}();

Request goldenRequest() {
  Request request;
  request.command = Command::kParcelPickup;
  request.request_id = 7;
  request.user_id = 1001;
  request.fields.add("code", "482913");
  return request;
}

Reply goldenReply() {
  Reply reply;
  reply.command = Command::kParcelPickup;
  reply.request_id = 7;
  reply.status = Status::kOk;
  reply.served_by = ServedBy{Service::kParcel, 4242, 4243};
  reply.fields.add("message", "Locker P-03 opened");
  reply.fields.add("locker", "P-03");
  return reply;
}

// A valid request frame for @p command with @p payload, for tampering with.
Bytes requestFrame(std::uint8_t command, std::string_view payload) {
  Bytes frame = encodeRequest(Request{});
  frame[3] = command;
  frame[12] = static_cast<std::uint8_t>(payload.size() >> 8);
  frame[13] = static_cast<std::uint8_t>(payload.size());
  frame.insert(frame.end(), payload.begin(), payload.end());
  return frame;
}

// ---------------------------------------------------------------------------
// protocol.cpp
// ---------------------------------------------------------------------------

TEST(ProtocolVocabulary, KnownCommandsAreExactlyOneToEight) {
  for (int code = 0; code < 256; ++code) {
    EXPECT_EQ(isKnownCommand(static_cast<std::uint8_t>(code)), code >= 1 && code <= 8) << code;
  }
}

TEST(ProtocolVocabulary, KnownStatusesAndServices) {
  for (int code = 0; code < 256; ++code) {
    EXPECT_EQ(isKnownStatus(static_cast<std::uint8_t>(code)), code <= 10) << code;
    EXPECT_EQ(isKnownService(static_cast<std::uint8_t>(code)), code <= 3) << code;
  }
}

TEST(ProtocolVocabulary, ServiceForEachCommand) {
  EXPECT_EQ(serviceFor(Command::kParcelDeposit), Service::kParcel);
  EXPECT_EQ(serviceFor(Command::kParcelPickup), Service::kParcel);
  EXPECT_EQ(serviceFor(Command::kFoodDeposit), Service::kFood);
  EXPECT_EQ(serviceFor(Command::kFoodPickup), Service::kFood);
  EXPECT_EQ(serviceFor(Command::kVendingList), Service::kVending);
  EXPECT_EQ(serviceFor(Command::kVendingBuy), Service::kVending);
  EXPECT_EQ(serviceFor(Command::kVendingRestock), Service::kVending);
  EXPECT_EQ(serviceFor(Command::kStatus), std::nullopt);
}

TEST(ProtocolVocabulary, CommandAndServiceNames) {
  EXPECT_EQ(commandName(Command::kParcelDeposit), "PARCEL_DEPOSIT");
  EXPECT_EQ(commandName(Command::kParcelPickup), "PARCEL_PICKUP");
  EXPECT_EQ(commandName(Command::kFoodDeposit), "FOOD_DEPOSIT");
  EXPECT_EQ(commandName(Command::kFoodPickup), "FOOD_PICKUP");
  EXPECT_EQ(commandName(Command::kVendingList), "VENDING_LIST");
  EXPECT_EQ(commandName(Command::kVendingBuy), "VENDING_BUY");
  EXPECT_EQ(commandName(Command::kVendingRestock), "VENDING_RESTOCK");
  EXPECT_EQ(commandName(Command::kStatus), "STATUS");
  EXPECT_EQ(serviceName(Service::kServer), "server");
  EXPECT_EQ(serviceName(Service::kParcel), "parcel");
  EXPECT_EQ(serviceName(Service::kFood), "food");
  EXPECT_EQ(serviceName(Service::kVending), "vending");
}

TEST(ProtocolVocabulary, StatusNamesRoundTrip) {
  EXPECT_EQ(statusName(Status::kOk), "OK");
  EXPECT_EQ(statusName(Status::kLockedOut), "LOCKED_OUT");
  EXPECT_EQ(statusName(Status::kInternalError), "INTERNAL_ERROR");
  std::set<std::string_view> seen;
  for (Status status : kAllStatuses) {
    EXPECT_TRUE(seen.insert(statusName(status)).second) << "duplicate name";
    EXPECT_EQ(statusFromName(statusName(status)), status);
  }
  EXPECT_EQ(statusFromName("ok"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(statusFromName(""), std::nullopt);
}

TEST(ProtocolVocabulary, MakeReplyEchoesAndNamesTheServer) {
  Request request = goldenRequest();
  Reply reply = makeReply(request, Status::kWrongCode, "no such code", Service::kParcel);
  EXPECT_EQ(reply.command, Command::kParcelPickup);
  EXPECT_EQ(reply.request_id, 7u);
  EXPECT_EQ(reply.status, Status::kWrongCode);
  EXPECT_EQ(reply.served_by.service, Service::kParcel);
  EXPECT_EQ(reply.served_by.pid, static_cast<std::uint32_t>(::getpid()));
  EXPECT_EQ(reply.served_by.tid, currentTid());
  ASSERT_EQ(reply.fields.entries().size(), 1u);
  EXPECT_EQ(reply.fields.entries()[0].first, "message");
  EXPECT_EQ(reply.fields.find("message"), "no such code");
}

TEST(ProtocolVocabulary, CurrentTidDiffersBetweenThreads) {
  std::uint32_t main_tid = currentTid();
  std::uint32_t other_tid = 0;
  std::thread other([&] { other_tid = currentTid(); });
  other.join();  // the thread does no blocking work
  EXPECT_EQ(main_tid, static_cast<std::uint32_t>(::getpid()));  // gtest runs on the main thread
  EXPECT_NE(other_tid, 0u);
  EXPECT_NE(other_tid, main_tid);
}

// ---------------------------------------------------------------------------
// Fields text
// ---------------------------------------------------------------------------

TEST(WireFields, EmptyTextIsNoFields) {
  std::optional<Fields> fields = decodeFields("");
  ASSERT_TRUE(fields);
  EXPECT_TRUE(fields->empty());
  EXPECT_EQ(encodeFields(Fields{}), "");
}

TEST(WireFields, RepeatedKeysKeepTheirOrder) {
  std::optional<Fields> fields =
      decodeFields("message=ok\nitem=A1;Cola;150;3\nitem=B2;Chips;90;0\n");
  ASSERT_TRUE(fields);
  EXPECT_EQ(fields->find("item"), "A1;Cola;150;3");
  std::vector<std::string_view> items = fields->findAll("item");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], "A1;Cola;150;3");
  EXPECT_EQ(items[1], "B2;Chips;90;0");
  EXPECT_EQ(fields->find("missing"), std::nullopt);
  EXPECT_TRUE(fields->findAll("missing").empty());
}

TEST(WireFields, ValuesMayBeEmptyOrHoldEqualsAndSpaces) {
  std::optional<Fields> fields = decodeFields("a=\nb==x= y\nc.d_9=caf\xC3\xA9\n");
  ASSERT_TRUE(fields);
  EXPECT_EQ(fields->find("a"), "");
  EXPECT_EQ(fields->find("b"), "=x= y");  // split at the first '='
  EXPECT_EQ(fields->find("c.d_9"), "caf\xC3\xA9");
}

TEST(WireFields, EncodeDecodeRoundTrip) {
  Fields fields;
  fields.add("message", "stored in locker 3");
  fields.add("item", "x;y");
  fields.add("item", "");
  fields.add("parcel.capacity", "12");
  std::string text = encodeFields(fields);
  EXPECT_EQ(text, "message=stored in locker 3\nitem=x;y\nitem=\nparcel.capacity=12\n");
  EXPECT_EQ(decodeFields(text), fields);
}

TEST(WireFields, BadLinesAreRejected) {
  EXPECT_EQ(decodeFields("code=1"), std::nullopt) << "missing final newline";
  EXPECT_EQ(decodeFields("code\n"), std::nullopt) << "missing '='";
  EXPECT_EQ(decodeFields("=1\n"), std::nullopt) << "empty key";
  EXPECT_EQ(decodeFields("Code=1\n"), std::nullopt) << "upper case key";
  EXPECT_EQ(decodeFields("my key=1\n"), std::nullopt) << "space in key";
  EXPECT_EQ(decodeFields("code-x=1\n"), std::nullopt) << "dash in key";
  EXPECT_EQ(decodeFields("\n"), std::nullopt) << "empty line";
  EXPECT_EQ(decodeFields("a=1\n\nb=2\n"), std::nullopt) << "blank line in the middle";
  EXPECT_EQ(decodeFields(std::string_view{"a=x\0y\n", 6}), std::nullopt) << "NUL in value";
  EXPECT_EQ(decodeFields("a=1\nb"), std::nullopt) << "good line then a broken one";
}

// ---------------------------------------------------------------------------
// Golden bytes: the exact frames of docs/protocol.md
// ---------------------------------------------------------------------------

TEST(WireCodec, GoldenRequestBytes) {
  EXPECT_EQ(encodeRequest(goldenRequest()), kGoldenRequest);
  Decoded<Request> decoded = decodeRequestFrame(kGoldenRequest);
  ASSERT_EQ(decoded.error, FrameError::kNone);
  ASSERT_TRUE(decoded.value);
  EXPECT_EQ(*decoded.value, goldenRequest());
}

TEST(WireCodec, GoldenReplyBytes) {
  EXPECT_EQ(encodeReply(goldenReply()), kGoldenReply);
  Decoded<Reply> decoded = decodeReplyFrame(kGoldenReply);
  ASSERT_EQ(decoded.error, FrameError::kNone);
  ASSERT_TRUE(decoded.value);
  EXPECT_EQ(*decoded.value, goldenReply());
}

TEST(WireCodec, HeadersAreBigEndianWithHighBitsSet) {
  Request request;
  request.command = Command::kStatus;
  request.request_id = 0xDEADBEEF;
  request.user_id = 0x80000001;
  Bytes frame = encodeRequest(request);
  ASSERT_EQ(frame.size(), kRequestHeaderSize);
  RequestHeader header = parseRequestHeader(std::span(frame).first<kRequestHeaderSize>());
  EXPECT_EQ(header.magic, 0x4D43);
  EXPECT_EQ(header.version, 1);
  EXPECT_EQ(header.command, 8);
  EXPECT_EQ(header.request_id, 0xDEADBEEFu);
  EXPECT_EQ(header.user_id, 0x80000001u);
  EXPECT_EQ(header.payload_length, 0);
  EXPECT_EQ(frame[4], 0xDE);
  EXPECT_EQ(frame[7], 0xEF);

  Reply reply;
  reply.served_by = ServedBy{Service::kVending, 0xFFFFFFFE, 0x01000000};
  Bytes reply_frame = encodeReply(reply);
  ReplyHeader reply_header = parseReplyHeader(std::span(reply_frame).first<kReplyHeaderSize>());
  EXPECT_EQ(reply_header.service, 3);
  EXPECT_EQ(reply_header.pid, 0xFFFFFFFEu);
  EXPECT_EQ(reply_header.tid, 0x01000000u);
}

// ---------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------

TEST(WireCodec, EveryCommandRoundTrips) {
  for (Command command : kAllCommands) {
    Request request;
    request.command = command;
    request.request_id = 1000 + static_cast<std::uint32_t>(command);
    request.user_id = 77;
    request.fields.add("product", "A1");
    request.fields.add("qty", "5");
    Decoded<Request> decoded = decodeRequestFrame(encodeRequest(request));
    ASSERT_EQ(decoded.error, FrameError::kNone) << commandName(command);
    EXPECT_EQ(decoded.value, request) << commandName(command);
  }
}

TEST(WireCodec, EveryStatusAndServiceRoundTrips) {
  for (Status status : kAllStatuses) {
    for (Service service : kAllServices) {
      Reply reply;
      reply.command = Command::kVendingBuy;
      reply.request_id = 99;
      reply.status = status;
      reply.served_by = ServedBy{service, 1234, 5678};
      reply.fields.add("message", std::string{statusName(status)});
      Decoded<Reply> decoded = decodeReplyFrame(encodeReply(reply));
      ASSERT_EQ(decoded.error, FrameError::kNone) << statusName(status);
      EXPECT_EQ(decoded.value, reply) << statusName(status) << " " << serviceName(service);
    }
  }
}

// ---------------------------------------------------------------------------
// Length limits
// ---------------------------------------------------------------------------

TEST(WireCodec, RequestPayloadLimitIsInclusive) {
  Request request;
  request.fields = fieldsOfSize(kMaxRequestPayload);
  Bytes frame = encodeRequest(request);
  EXPECT_EQ(frame.size(), kRequestHeaderSize + kMaxRequestPayload);
  EXPECT_EQ(decodeRequestFrame(frame).error, FrameError::kNone);

  request.fields = fieldsOfSize(kMaxRequestPayload + 1);
  EXPECT_THROW(encodeRequest(request), std::length_error);
}

TEST(WireCodec, ReplyPayloadLimitIsInclusive) {
  Reply reply;
  reply.fields = fieldsOfSize(kMaxReplyPayload);
  Bytes frame = encodeReply(reply);
  EXPECT_EQ(frame.size(), kReplyHeaderSize + kMaxReplyPayload);
  EXPECT_EQ(decodeReplyFrame(frame).error, FrameError::kNone);

  reply.fields = fieldsOfSize(kMaxReplyPayload + 1);
  EXPECT_THROW(encodeReply(reply), std::length_error);
}

TEST(WireCodec, HeaderLengthOverTheLimitIsFatal) {
  RequestHeader request_header{kMagic, kVersion, 1, 0, 0, kMaxRequestPayload};
  EXPECT_EQ(checkRequestHeader(request_header), FrameError::kNone);
  request_header.payload_length = kMaxRequestPayload + 1;
  EXPECT_EQ(checkRequestHeader(request_header), FrameError::kPayloadTooLong);
  request_header.payload_length = 0xFFFF;
  EXPECT_EQ(checkRequestHeader(request_header), FrameError::kPayloadTooLong);

  ReplyHeader reply_header{kMagic, kVersion, 1, 0, 0, 0, kMaxReplyPayload, 0, 0};
  EXPECT_EQ(checkReplyHeader(reply_header), FrameError::kNone);
  reply_header.payload_length = kMaxReplyPayload + 1;
  EXPECT_EQ(checkReplyHeader(reply_header), FrameError::kPayloadTooLong);
}

// ---------------------------------------------------------------------------
// Every FrameError
// ---------------------------------------------------------------------------

TEST(WireCodec, BadMagic) {
  Bytes frame = kGoldenRequest;
  frame[0] = 'G';  // "GE": an HTTP request hitting our port
  frame[1] = 'E';
  EXPECT_EQ(decodeRequestFrame(frame).error, FrameError::kBadMagic);
  Bytes reply = kGoldenReply;
  reply[1] = 0x44;
  EXPECT_EQ(decodeReplyFrame(reply).error, FrameError::kBadMagic);
}

TEST(WireCodec, BadVersion) {
  Bytes frame = kGoldenRequest;
  frame[2] = 2;
  EXPECT_EQ(decodeRequestFrame(frame).error, FrameError::kBadVersion);
  Bytes reply = kGoldenReply;
  reply[2] = 0;
  EXPECT_EQ(decodeReplyFrame(reply).error, FrameError::kBadVersion);
}

TEST(WireCodec, HeaderChecksRunInOrder) {
  // magic before version before length: the first failure is reported.
  RequestHeader all_bad{0x1234, 9, 1, 0, 0, 0xFFFF};
  EXPECT_EQ(checkRequestHeader(all_bad), FrameError::kBadMagic);
  all_bad.magic = kMagic;
  EXPECT_EQ(checkRequestHeader(all_bad), FrameError::kBadVersion);
  all_bad.version = kVersion;
  EXPECT_EQ(checkRequestHeader(all_bad), FrameError::kPayloadTooLong);
}

TEST(WireCodec, UnknownCommand) {
  for (std::uint8_t code : {0, 9, 200, 255}) {
    Decoded<Request> decoded = decodeRequestFrame(requestFrame(code, "a=1\n"));
    EXPECT_EQ(decoded.error, FrameError::kUnknownCommand) << int{code};
    EXPECT_FALSE(decoded.value);
  }
}

TEST(WireCodec, ReplyEchoesAnUnknownCommandByte) {
  // The server's BAD_REQUEST to command 42 echoes 42; the client must read it.
  Request unknown;
  unknown.command = static_cast<Command>(42);
  unknown.request_id = 5;
  Reply reply = makeReply(unknown, Status::kBadRequest, "unknown command");
  Decoded<Reply> decoded = decodeReplyFrame(encodeReply(reply));
  ASSERT_EQ(decoded.error, FrameError::kNone);
  EXPECT_EQ(static_cast<int>(decoded.value->command), 42);
  EXPECT_EQ(decoded.value->status, Status::kBadRequest);
  EXPECT_EQ(commandName(decoded.value->command), "UNKNOWN_COMMAND");
}

TEST(WireCodec, BadPayload) {
  Decoded<Request> decoded = decodeRequestFrame(requestFrame(2, "code 482913\n"));
  EXPECT_EQ(decoded.error, FrameError::kBadPayload);
  EXPECT_FALSE(decoded.value);
  EXPECT_EQ(decodeRequestFrame(requestFrame(2, "code=482913")).error, FrameError::kBadPayload);
}

TEST(WireCodec, FrameLengthMustMatchHeader) {
  Bytes longer = kGoldenRequest;
  longer.push_back('x');
  EXPECT_EQ(decodeRequestFrame(longer).error, FrameError::kBadPayload);
  Bytes shorter = kGoldenRequest;
  shorter.pop_back();
  EXPECT_EQ(decodeRequestFrame(shorter).error, FrameError::kBadPayload);
  Bytes header_only(kGoldenRequest.begin(), kGoldenRequest.begin() + 10);
  EXPECT_EQ(decodeRequestFrame(header_only).error, FrameError::kBadPayload);
  Bytes reply_short(kGoldenReply.begin(), kGoldenReply.begin() + 20);
  EXPECT_EQ(decodeReplyFrame(reply_short).error, FrameError::kBadPayload);
}

TEST(WireCodec, ReplyWithUnknownStatusOrServiceIsRejected) {
  Bytes bad_status = kGoldenReply;
  bad_status[8] = 11;
  EXPECT_EQ(decodeReplyFrame(bad_status).error, FrameError::kBadPayload);
  Bytes bad_service = kGoldenReply;
  bad_service[9] = 4;
  EXPECT_EQ(decodeReplyFrame(bad_service).error, FrameError::kBadPayload);
}

TEST(WireCodec, ReservedBytesAreIgnored) {
  Bytes frame = kGoldenRequest;
  frame[14] = 0xAB;
  frame[15] = 0xCD;
  Decoded<Request> decoded = decodeRequestFrame(frame);
  EXPECT_EQ(decoded.error, FrameError::kNone);
  EXPECT_EQ(decoded.value, goldenRequest());
}

TEST(WireCodec, OnlyHeaderErrorsAreFatal) {
  EXPECT_FALSE(isFatalFrameError(FrameError::kNone));
  EXPECT_TRUE(isFatalFrameError(FrameError::kBadMagic));
  EXPECT_TRUE(isFatalFrameError(FrameError::kBadVersion));
  EXPECT_TRUE(isFatalFrameError(FrameError::kPayloadTooLong));
  EXPECT_FALSE(isFatalFrameError(FrameError::kUnknownCommand));
  EXPECT_FALSE(isFatalFrameError(FrameError::kBadPayload));
}

TEST(WireCodec, EveryFrameErrorHasItsOwnText) {
  std::set<std::string_view> texts;
  for (FrameError error : {FrameError::kNone, FrameError::kBadMagic, FrameError::kBadVersion,
                           FrameError::kPayloadTooLong, FrameError::kUnknownCommand,
                           FrameError::kBadPayload}) {
    EXPECT_FALSE(frameErrorText(error).empty());
    EXPECT_TRUE(texts.insert(frameErrorText(error)).second);
  }
}

}  // namespace
}  // namespace mc
