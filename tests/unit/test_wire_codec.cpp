/// @file test_wire_codec.cpp
/// @brief Unit tests for protocol.cpp (names, lookups, makeReply) and
/// wire_codec.cpp (fields text, frames, header checks, golden bytes).
/// Runs in: the unit test process. Owns: nothing. No I/O.
#include <gtest/gtest.h>
#include <unistd.h>

#include <iomanip>
#include <set>
#include <sstream>
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

// Where a failure message sends the student.
constexpr const char* kMistakes = "see labs/01-sockets/README.md, 'Classic mistakes'";
constexpr const char* kCheckOrder =
    "see labs/01-sockets/README.md, 'The ideas': check the header before you trust it";

// One header field of the table in wire_codec.hpp: its first byte, its size, its name.
struct HeaderField {
  std::size_t at;
  std::size_t size;
  const char* name;
};

constexpr HeaderField kRequestLayout[] = {
    {0, 2, "magic, u16"},        {2, 1, "version, u8"},         {3, 1, "command, u8"},
    {4, 4, "request id, u32"},   {8, 4, "user id, u32"},        {12, 2, "payload length, u16"},
    {14, 2, "reserved, u16, 0"},
};

constexpr HeaderField kReplyLayout[] = {
    {0, 2, "magic, u16"},      {2, 1, "version, u8"},          {3, 1, "command, u8"},
    {4, 4, "request id, u32"}, {8, 1, "status, u8"},           {9, 1, "service, u8"},
    {10, 2, "payload length, u16"}, {12, 4, "pid, u32"},       {16, 4, "tid, u32"},
    {20, 4, "reserved, u32, 0"},
};

std::string hexBytes(const Bytes& bytes, std::size_t from, std::size_t count) {
  std::ostringstream text;
  text << std::hex << std::uppercase << std::setfill('0');
  for (std::size_t i = from; i < from + count && i < bytes.size(); ++i) {
    text << (i == from ? "" : " ") << std::setw(2) << static_cast<int>(bytes[i]);
  }
  return text.str();
}

// Why the frame @p function made (@p got) is not @p want, byte by byte, in
// the words of the header table: the first byte that differs, the field it
// belongs to, and whether that field's bytes are merely reversed.
template <std::size_t N>
std::string frameDifference(const char* function, const Bytes& got, const Bytes& want,
                            const HeaderField (&layout)[N]) {
  const std::size_t header_size = layout[N - 1].at + layout[N - 1].size;
  // The explanation comes first, on one line (the grader shows a failure's
  // first lines); the bytes follow.
  const std::string bytes = "\n  made:    " + hexBytes(got, 0, got.size()) +
                            "\n  example: " + hexBytes(want, 0, want.size());
  std::ostringstream why;
  why << function << " made " << got.size() << " bytes; docs/protocol.md's example is " << want.size()
      << " (" << header_size << "-byte header, then the payload). ";
  std::size_t first = 0;
  while (first < got.size() && first < want.size() && got[first] == want[first]) ++first;
  if (first == got.size() && first == want.size()) return why.str() + bytes;
  if (first >= header_size) {
    why << "The header is right; the payload differs from byte " << first
        << ": after the header come the fields as \"key=value\\n\" text (encodeFields), nothing else";
    return why.str() + bytes;
  }
  for (const HeaderField& field : layout) {
    if (first < field.at || first >= field.at + field.size) continue;
    why << "First difference: byte " << first << ", in the " << field.name << " at bytes " << field.at;
    if (field.size > 1) why << '-' << field.at + field.size - 1;
    why << ": " << hexBytes(got, field.at, field.size) << " where the example has "
        << hexBytes(want, field.at, field.size) << ". ";
    bool reversed = field.size > 1 && got.size() >= field.at + field.size;
    for (std::size_t i = 0; reversed && i < field.size; ++i) {
      reversed = got[field.at + i] == want[field.at + field.size - 1 - i];
    }
    if (reversed) why << "Its bytes are reversed: little-endian, the CPU's own order. ";
    if (std::string_view{field.name}.starts_with("reserved")) {
      why << "Reserved bytes are sent as 0";
    } else if (field.size > 1) {
      why << "Integers go on the wire big-endian (most significant byte first), written one byte at a "
             "time with shifts (putU16, putU32), never by copying an int. Known mistake: integers "
             "copied with memcpy; "
          << kMistakes;
    } else {
      why << "Each field goes at its own offset, as the table at the top of wire_codec.hpp lays it out";
    }
    break;
  }
  return why.str() + bytes;
}

std::string hex32(std::uint32_t value) {
  std::ostringstream text;
  text << "0x" << std::hex << std::uppercase << value;
  return text.str();
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
  const Bytes frame = encodeRequest(goldenRequest());
  EXPECT_TRUE(frame == kGoldenRequest)
      << frameDifference("encodeRequest(PARCEL_PICKUP, request id 7, user 1001, code=482913)", frame,
                         kGoldenRequest, kRequestLayout);
  Decoded<Request> decoded = decodeRequestFrame(kGoldenRequest);
  ASSERT_EQ(decoded.error, FrameError::kNone)
      << "docs/protocol.md's example request was refused: parseRequestHeader reads each field at its "
         "offset (big-endian), checkRequestHeader and decodeRequest find nothing wrong with it";
  ASSERT_TRUE(decoded.value) << "decodeRequest said kNone but gave no request";
  EXPECT_EQ(*decoded.value, goldenRequest())
      << "decoding docs/protocol.md's example request (parseRequestHeader, then decodeRequest) must give "
         "back the request it encodes";
}

TEST(WireCodec, GoldenReplyBytes) {
  const Bytes frame = encodeReply(goldenReply());
  EXPECT_TRUE(frame == kGoldenReply)
      << frameDifference("encodeReply(OK to PARCEL_PICKUP 7, parcel pid 4242 tid 4243)", frame, kGoldenReply,
                         kReplyLayout);
  Decoded<Reply> decoded = decodeReplyFrame(kGoldenReply);
  ASSERT_EQ(decoded.error, FrameError::kNone)
      << "docs/protocol.md's example reply was refused: parseReplyHeader reads each field at its "
         "offset (big-endian), checkReplyHeader and decodeReply find nothing wrong with it";
  ASSERT_TRUE(decoded.value) << "decodeReply said kNone but gave no reply";
  EXPECT_EQ(*decoded.value, goldenReply())
      << "decoding docs/protocol.md's example reply (parseReplyHeader, then decodeReply) must give back "
         "the reply it encodes";
}

TEST(WireCodec, HeadersAreBigEndianWithHighBitsSet) {
  Request request;
  request.command = Command::kStatus;
  request.request_id = 0xDEADBEEF;
  request.user_id = 0x80000001;
  Bytes frame = encodeRequest(request);
  ASSERT_EQ(frame.size(), kRequestHeaderSize)
      << "encodeRequest of a request without fields: the 16-byte header alone";
  RequestHeader header = parseRequestHeader(std::span(frame).first<kRequestHeaderSize>());
  // What each wrong value here most likely means.
  const std::string round_trip = " after encodeRequest then parseRequestHeader (bytes: " +
                                 hexBytes(frame, 0, frame.size()) + ")";
  // Which side broke the u32 @p value at @p at of @p bytes: the encoder (the
  // bytes on the wire are wrong) or the parser (they are right).
  auto u32Hint = [](const Bytes& bytes, std::size_t at, std::uint32_t value) -> std::string {
    const Bytes big_endian = {static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
                              static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
    if (!std::equal(big_endian.begin(), big_endian.end(), bytes.begin() + static_cast<long>(at))) {
      return ". The bytes on the wire are wrong already: " + hexBytes(bytes, at, 4) + " at bytes " +
             std::to_string(at) + "-" + std::to_string(at + 3) + ", where big-endian is " +
             hexBytes(big_endian, 0, 4) + ". putU32 must append the most significant byte first, with "
             "shifts. Known mistake: integers copied with memcpy; " + std::string{kMistakes};
    }
    return ". The bytes on the wire are right (" + hexBytes(bytes, at, 4) + "), so the reading is wrong. A "
           "value with its top bit set comes back wrong when getU32 shifts a byte without widening it "
           "first: the uint8_t is promoted to a signed int, and a byte shifted into its top bit "
           "overflows. Widen each byte to std::uint32_t before the shift. Known mistake: getU32 shifting "
           "a uint8_t without widening it first; " + std::string{kMistakes};
  };
  EXPECT_EQ(header.magic, 0x4D43) << "magic" << round_trip;
  EXPECT_EQ(header.version, 1) << "version" << round_trip;
  EXPECT_EQ(header.command, 8) << "command (STATUS)" << round_trip;
  EXPECT_EQ(header.request_id, 0xDEADBEEFu) << "request id " << hex32(header.request_id) << ", not 0xDEADBEEF,"
                                            << round_trip << u32Hint(frame, 4, 0xDEADBEEF);
  EXPECT_EQ(header.user_id, 0x80000001u) << "user id " << hex32(header.user_id) << ", not 0x80000001,"
                                         << round_trip << u32Hint(frame, 8, 0x80000001);
  EXPECT_EQ(header.payload_length, 0) << "payload length" << round_trip;
  EXPECT_EQ(frame[4], 0xDE) << "encodeRequest must send request id 0xDEADBEEF big-endian, as DE AD BE EF "
                               "at bytes 4-7, most significant byte first; they are "
                            << hexBytes(frame, 4, 4);
  EXPECT_EQ(frame[7], 0xEF) << "encodeRequest must send request id 0xDEADBEEF big-endian, as DE AD BE EF "
                               "at bytes 4-7, most significant byte first; they are "
                            << hexBytes(frame, 4, 4);

  Reply reply;
  reply.served_by = ServedBy{Service::kVending, 0xFFFFFFFE, 0x01000000};
  Bytes reply_frame = encodeReply(reply);
  ReplyHeader reply_header = parseReplyHeader(std::span(reply_frame).first<kReplyHeaderSize>());
  const std::string reply_round_trip = " after encodeReply then parseReplyHeader (bytes: " +
                                       hexBytes(reply_frame, 0, kReplyHeaderSize) + ")";
  EXPECT_EQ(reply_header.service, 3) << "service (vending)" << reply_round_trip;
  EXPECT_EQ(reply_header.pid, 0xFFFFFFFEu)
      << "pid " << hex32(reply_header.pid) << ", not 0xFFFFFFFE," << reply_round_trip
      << u32Hint(reply_frame, 12, 0xFFFFFFFE);
  EXPECT_EQ(reply_header.tid, 0x01000000u)
      << "tid " << hex32(reply_header.tid) << ", not 0x1000000," << reply_round_trip
      << u32Hint(reply_frame, 16, 0x01000000);
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
    ASSERT_EQ(decoded.error, FrameError::kNone)
        << commandName(command) << ": a frame encodeRequest made was refused by the decoding steps "
        << "(parseRequestHeader, checkRequestHeader, decodeRequest): every command 1-8 is known";
    EXPECT_EQ(decoded.value, request)
        << commandName(command) << ": decoding what encodeRequest made must give the same request "
        << "back, field for field";
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
      ASSERT_EQ(decoded.error, FrameError::kNone)
          << statusName(status) << " from " << serviceName(service)
          << ": a frame encodeReply made was refused by the decoding steps (parseReplyHeader, "
          << "checkReplyHeader, decodeReply): every status 0-10 and service 0-3 is known";
      EXPECT_EQ(decoded.value, reply)
          << statusName(status) << " from " << serviceName(service)
          << ": decoding what encodeReply made must give the same reply back, served_by included";
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
  EXPECT_EQ(frame.size(), kRequestHeaderSize + kMaxRequestPayload)
      << "encodeRequest of a 256-byte payload: the 16-byte header, then the 256 bytes";
  EXPECT_EQ(decodeRequestFrame(frame).error, FrameError::kNone)
      << "a request payload of exactly 256 bytes (kMaxRequestPayload) is allowed: the limit is "
         "inclusive, so refuse only a length over it (> kMaxRequestPayload, not >=)";

  request.fields = fieldsOfSize(kMaxRequestPayload + 1);
  EXPECT_THROW(encodeRequest(request), std::length_error)
      << "encodeRequest of a 257-byte payload must throw std::length_error, building nothing: never "
         "send a frame the server must refuse";
}

TEST(WireCodec, ReplyPayloadLimitIsInclusive) {
  Reply reply;
  reply.fields = fieldsOfSize(kMaxReplyPayload);
  Bytes frame = encodeReply(reply);
  EXPECT_EQ(frame.size(), kReplyHeaderSize + kMaxReplyPayload)
      << "encodeReply of a 2048-byte payload: the 24-byte header, then the 2048 bytes";
  EXPECT_EQ(decodeReplyFrame(frame).error, FrameError::kNone)
      << "a reply payload of exactly 2048 bytes (kMaxReplyPayload) is allowed: the limit is inclusive, "
         "so refuse only a length over it (> kMaxReplyPayload, not >=)";

  reply.fields = fieldsOfSize(kMaxReplyPayload + 1);
  EXPECT_THROW(encodeReply(reply), std::length_error)
      << "encodeReply of a 2049-byte payload must throw std::length_error, building nothing";
}

TEST(WireCodec, HeaderLengthOverTheLimitIsFatal) {
  RequestHeader request_header{kMagic, kVersion, 1, 0, 0, kMaxRequestPayload};
  EXPECT_EQ(checkRequestHeader(request_header), FrameError::kNone)
      << "checkRequestHeader of a length of exactly 256: the limit itself is fine";
  request_header.payload_length = kMaxRequestPayload + 1;
  EXPECT_EQ(checkRequestHeader(request_header), FrameError::kPayloadTooLong)
      << "checkRequestHeader of a length of 257: over kMaxRequestPayload (256), so kPayloadTooLong";
  request_header.payload_length = 0xFFFF;
  EXPECT_EQ(checkRequestHeader(request_header), FrameError::kPayloadTooLong)
      << "checkRequestHeader of a length of 65535: over kMaxRequestPayload (256), so kPayloadTooLong";

  ReplyHeader reply_header{kMagic, kVersion, 1, 0, 0, 0, kMaxReplyPayload, 0, 0};
  EXPECT_EQ(checkReplyHeader(reply_header), FrameError::kNone)
      << "checkReplyHeader of a length of exactly 2048: the limit itself is fine";
  reply_header.payload_length = kMaxReplyPayload + 1;
  EXPECT_EQ(checkReplyHeader(reply_header), FrameError::kPayloadTooLong)
      << "checkReplyHeader of a length of 2049: over kMaxReplyPayload (2048), so kPayloadTooLong";
}

// ---------------------------------------------------------------------------
// Every FrameError
// ---------------------------------------------------------------------------

TEST(WireCodec, BadMagic) {
  Bytes frame = kGoldenRequest;
  frame[0] = 'G';  // "GE": an HTTP request hitting our port
  frame[1] = 'E';
  EXPECT_EQ(decodeRequestFrame(frame).error, FrameError::kBadMagic)
      << "a request whose first two bytes are \"GE\" (0x4745, an HTTP GET), not \"MC\" (0x4D43): "
         "checkRequestHeader must say kBadMagic";
  Bytes reply = kGoldenReply;
  reply[1] = 0x44;
  EXPECT_EQ(decodeReplyFrame(reply).error, FrameError::kBadMagic)
      << "a reply whose magic is 0x4D44, not 0x4D43: checkReplyHeader must say kBadMagic";
}

TEST(WireCodec, BadVersion) {
  Bytes frame = kGoldenRequest;
  frame[2] = 2;
  EXPECT_EQ(decodeRequestFrame(frame).error, FrameError::kBadVersion)
      << "a request of version 2 (we speak 1): checkRequestHeader must say kBadVersion";
  Bytes reply = kGoldenReply;
  reply[2] = 0;
  EXPECT_EQ(decodeReplyFrame(reply).error, FrameError::kBadVersion)
      << "a reply of version 0 (we speak 1): checkReplyHeader must say kBadVersion";
}

TEST(WireCodec, HeaderChecksRunInOrder) {
  // magic before version before length: the first failure is reported.
  RequestHeader all_bad{0x1234, 9, 1, 0, 0, 0xFFFF};
  EXPECT_EQ(checkRequestHeader(all_bad), FrameError::kBadMagic)
      << "checkRequestHeader of a header with a wrong magic, version and length: it checks magic, then "
         "version, then length, and reports the first that fails (a frame of another protocol is "
         "\"bad magic\", whatever its bytes 12-13 hold); "
      << kCheckOrder;
  all_bad.magic = kMagic;
  EXPECT_EQ(checkRequestHeader(all_bad), FrameError::kBadVersion)
      << "checkRequestHeader of a header with the right magic but a wrong version and length: version "
         "is checked before length; "
      << kCheckOrder;
  all_bad.version = kVersion;
  EXPECT_EQ(checkRequestHeader(all_bad), FrameError::kPayloadTooLong)
      << "checkRequestHeader of a header with only its length (65535) wrong";
}

TEST(WireCodec, UnknownCommand) {
  for (std::uint8_t code : {0, 9, 200, 255}) {
    Decoded<Request> decoded = decodeRequestFrame(requestFrame(code, "a=1\n"));
    EXPECT_EQ(decoded.error, FrameError::kUnknownCommand)
        << "decodeRequest of a well-framed request with command byte " << int{code}
        << ": only 1-8 are commands, so kUnknownCommand (checkRequestHeader leaves the command alone)";
    EXPECT_FALSE(decoded.value) << "decodeRequest gave a request along with an error, for command " << int{code};
  }
}

TEST(WireCodec, ReplyEchoesAnUnknownCommandByte) {
  // The server's BAD_REQUEST to command 42 echoes 42; the client must read it.
  Request unknown;
  unknown.command = static_cast<Command>(42);
  unknown.request_id = 5;
  Reply reply = makeReply(unknown, Status::kBadRequest, "unknown command");
  Decoded<Reply> decoded = decodeReplyFrame(encodeReply(reply));
  ASSERT_EQ(decoded.error, FrameError::kNone)
      << "decodeReply refused a reply echoing the unknown command byte 42: a reply's command byte is "
         "echoed, never judged (the server's BAD_REQUEST to an unknown command echoes it); only an "
         "unknown status or service is kBadPayload";
  EXPECT_EQ(static_cast<int>(decoded.value->command), 42)
      << "encodeReply and decodeReply must carry the command byte as it is, 42 included";
  EXPECT_EQ(decoded.value->status, Status::kBadRequest) << "the reply's status byte (8)";
  EXPECT_EQ(commandName(decoded.value->command), "UNKNOWN_COMMAND");
}

TEST(WireCodec, BadPayload) {
  Decoded<Request> decoded = decodeRequestFrame(requestFrame(2, "code 482913\n"));
  EXPECT_EQ(decoded.error, FrameError::kBadPayload)
      << "decodeRequest of the payload \"code 482913\\n\" (no '='): decodeFields (given) refuses it, "
         "so kBadPayload";
  EXPECT_FALSE(decoded.value) << "decodeRequest gave a request along with an error";
  EXPECT_EQ(decodeRequestFrame(requestFrame(2, "code=482913")).error, FrameError::kBadPayload)
      << "decodeRequest of the payload \"code=482913\" (no final '\\n'): decodeFields refuses it, so "
         "kBadPayload";
}

TEST(WireCodec, FrameLengthMustMatchHeader) {
  Bytes longer = kGoldenRequest;
  longer.push_back('x');
  EXPECT_EQ(decodeRequestFrame(longer).error, FrameError::kBadPayload)
      << "decodeRequest of a 13-byte payload under a header that says 12: a payload whose size is not "
         "the header's length is kBadPayload";
  Bytes shorter = kGoldenRequest;
  shorter.pop_back();
  EXPECT_EQ(decodeRequestFrame(shorter).error, FrameError::kBadPayload)
      << "decodeRequest of an 11-byte payload under a header that says 12: a payload whose size is not "
         "the header's length is kBadPayload";
  Bytes header_only(kGoldenRequest.begin(), kGoldenRequest.begin() + 10);
  EXPECT_EQ(decodeRequestFrame(header_only).error, FrameError::kBadPayload)
      << "10 bytes, less than a request header (decodeRequestFrame, given)";
  Bytes reply_short(kGoldenReply.begin(), kGoldenReply.begin() + 20);
  EXPECT_EQ(decodeReplyFrame(reply_short).error, FrameError::kBadPayload)
      << "20 bytes, less than a reply header (decodeReplyFrame, given)";
}

TEST(WireCodec, ReplyWithUnknownStatusOrServiceIsRejected) {
  Bytes bad_status = kGoldenReply;
  bad_status[8] = 11;
  EXPECT_EQ(decodeReplyFrame(bad_status).error, FrameError::kBadPayload)
      << "decodeReply of a reply with status byte 11: statuses are 0-10 (isKnownStatus), and a reply "
         "with an unknown one is meaningless: kBadPayload";
  Bytes bad_service = kGoldenReply;
  bad_service[9] = 4;
  EXPECT_EQ(decodeReplyFrame(bad_service).error, FrameError::kBadPayload)
      << "decodeReply of a reply with service byte 4: services are 0-3 (isKnownService): kBadPayload";
}

TEST(WireCodec, ReservedBytesAreIgnored) {
  Bytes frame = kGoldenRequest;
  frame[14] = 0xAB;
  frame[15] = 0xCD;
  Decoded<Request> decoded = decodeRequestFrame(frame);
  EXPECT_EQ(decoded.error, FrameError::kNone)
      << "a request whose reserved bytes 14-15 hold AB CD was refused: the reserved bytes are sent as 0 "
         "but ignored on reading, whatever they hold (parseRequestHeader skips them)";
  EXPECT_EQ(decoded.value, goldenRequest())
      << "reserved bytes AB CD changed the decoded request: parseRequestHeader must not read them into "
         "any field";
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
