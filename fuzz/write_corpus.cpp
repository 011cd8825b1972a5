/// @file write_corpus.cpp
/// @brief fuzz_write_corpus DIR: writes the seed corpus of both fuzz targets,
/// DIR/fuzz_frame_decoder/ and DIR/fuzz_request_handler/, from real encoders,
/// so that no seed is hand-made hex that drifts from the protocol.
/// Runs in: its own short process (scripts/fuzz.sh --write-corpus, or by hand).
/// Owns: the files it writes.
///
/// Seeds: one valid frame per command, a reply per kind of answer, packed pipe
/// records, a pipelined session, and the broken frames the issue lists (bad
/// magic, bad version, length over the limit, unknown command, bad payload,
/// half a frame). Each file starts with the target's selector byte
/// (fuzz_support.hpp).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "records.hpp"
#include "wire_codec.hpp"

namespace mc::fuzz {
namespace {

namespace fs = std::filesystem;

Request makeRequest(Command command, std::uint32_t id, Fields fields = {}) {
  Request request;
  request.command = command;
  request.request_id = id;
  request.user_id = 1000 + id;
  request.fields = std::move(fields);
  return request;
}

Fields oneField(std::string key, std::string value) {
  Fields fields;
  fields.add(std::move(key), std::move(value));
  return fields;
}

/// One valid request of every command, with the fields it needs.
std::vector<std::pair<std::string, Request>> everyCommand() {
  Fields restock = oneField("product", "A1");
  restock.add("qty", "5");
  restock.add("pin", std::string{kStaffPin});
  return {
      {"parcel-deposit", makeRequest(Command::kParcelDeposit, 1)},
      {"parcel-pickup", makeRequest(Command::kParcelPickup, 2, oneField("code", "482913"))},
      {"food-deposit", makeRequest(Command::kFoodDeposit, 3)},
      {"food-pickup", makeRequest(Command::kFoodPickup, 4, oneField("code", "000000"))},
      {"vending-list", makeRequest(Command::kVendingList, 5)},
      {"vending-buy", makeRequest(Command::kVendingBuy, 6, oneField("product", "A1"))},
      {"vending-restock", makeRequest(Command::kVendingRestock, 7, restock)},
      {"status", makeRequest(Command::kStatus, 8, oneField("pin", std::string{kStaffPin}))},
  };
}

Bytes concat(std::vector<Bytes> parts) {
  Bytes all;
  for (const Bytes& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

Bytes textBytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

template <typename Record>
Bytes recordBytes(const Record& record) {
  Bytes bytes(sizeof record);
  std::memcpy(bytes.data(), &record, sizeof record);
  return bytes;
}

/// A valid frame with one header byte changed: the broken frames.
Bytes patched(Bytes frame, std::size_t at, std::uint8_t value) {
  frame[at] = value;
  return frame;
}

/// Writes seeds into one target's folder, each prefixed with a selector byte.
class SeedWriter {
 public:
  explicit SeedWriter(fs::path dir) : dir_{std::move(dir)} { fs::create_directories(dir_); }

  void write(std::uint8_t selector, const std::string& name, const Bytes& bytes) {
    std::ofstream out(dir_ / (std::to_string(selector) + "-" + name), std::ios::binary);
    out.put(static_cast<char>(selector));
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write seed " + name);
    ++count_;
  }
  int count() const { return count_; }

 private:
  fs::path dir_;
  int count_ = 0;
};

/// The broken request frames of the hostile-input list, named.
std::vector<std::pair<std::string, Bytes>> brokenRequests() {
  const Bytes pickup = encodeRequest(makeRequest(Command::kParcelPickup, 9, oneField("code", "123456")));
  Bytes no_newline = pickup;
  no_newline.back() = 'x';  // the last line lacks its '\n'
  return {
      {"bad-magic", patched(pickup, 0, 'G')},
      {"bad-version", patched(pickup, 2, 2)},
      {"too-long", patched(patched(pickup, 12, 0x01), 13, 0x01)},  // 257 bytes claimed
      {"unknown-command", patched(pickup, 3, 0x63)},
      {"bad-payload", no_newline},
      {"half-header", Bytes(pickup.begin(), pickup.begin() + 7)},
      {"half-payload", Bytes(pickup.begin(), pickup.end() - 4)},
      {"non-digit-code", encodeRequest(makeRequest(Command::kParcelPickup, 10, oneField("code", "12a4b6")))},
      {"restock-without-pin", encodeRequest(makeRequest(Command::kVendingRestock, 11, oneField("qty", "5")))},
      {"http", textBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")},
  };
}

/// Several requests back to back, as a pipelining client sends them.
Bytes session() {
  std::vector<Bytes> frames;
  for (const auto& [name, request] : everyCommand()) frames.push_back(encodeRequest(request));
  frames.push_back(encodeRequest(makeRequest(Command::kParcelDeposit, 20)));
  frames.push_back(encodeRequest(makeRequest(Command::kParcelPickup, 21, oneField("code", "999999"))));
  return concat(std::move(frames));
}

void writeDecoderSeeds(SeedWriter& seeds) {
  const auto mode = [](DecoderMode m) { return static_cast<std::uint8_t>(m); };
  for (const auto& [name, request] : everyCommand()) {
    seeds.write(mode(DecoderMode::kRequestFrame), name, encodeRequest(request));
    seeds.write(mode(DecoderMode::kRequestRecord), name, recordBytes(packRequest(request, 3)));
  }
  for (const auto& [name, frame] : brokenRequests()) {
    seeds.write(mode(DecoderMode::kRequestFrame), name, frame);
    seeds.write(mode(DecoderMode::kRequestStream), "after-valid-" + name,
                concat({session(), frame}));
  }
  seeds.write(mode(DecoderMode::kRequestStream), "session", session());

  Reply stored = makeReply(makeRequest(Command::kParcelDeposit, 1), Status::kOk, "stored", Service::kParcel);
  stored.fields.add("locker", "P-01");
  stored.fields.add("code", "482913");
  Reply catalogue = makeReply(makeRequest(Command::kVendingList, 5), Status::kOk, "2 products", Service::kVending);
  catalogue.fields.add("item", "A1;Cola;150;10");
  catalogue.fields.add("item", "A2;Mineral water;100;0");
  Request unknown = makeRequest(Command::kStatus, 7);
  unknown.command = static_cast<Command>(0x63);  // replies echo unknown commands
  const Reply rejected = makeReply(unknown, Status::kBadRequest, "unknown command");
  for (const auto& [name, reply] : {std::pair{"deposit-ok", stored}, std::pair{"list-ok", catalogue},
                                    std::pair{"bad-request", rejected}}) {
    seeds.write(mode(DecoderMode::kReplyFrame), name, encodeReply(reply));
    seeds.write(mode(DecoderMode::kReplyRecord), name, recordBytes(packReply(reply)));
  }
  seeds.write(mode(DecoderMode::kFieldsText), "catalogue", textBytes(encodeFields(catalogue.fields)));
  seeds.write(mode(DecoderMode::kFieldsText), "equals-in-value", textBytes("k=a=b\nx.y_1=\n"));
}

void writeHandlerSeeds(SeedWriter& seeds) {
  for (HandlerMode handler : {HandlerMode::kRequests, HandlerMode::kConnection}) {
    const auto mode = static_cast<std::uint8_t>(handler);
    for (const auto& [name, request] : everyCommand()) seeds.write(mode, name, encodeRequest(request));
    seeds.write(mode, "session", session());
    for (const auto& [name, frame] : brokenRequests())
      seeds.write(mode, "session-then-" + name, concat({session(), frame, session()}));
  }
}

}  // namespace
}  // namespace mc::fuzz

/// @brief Writes both targets' seed folders under argv[1].
int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  mc::fuzz::SeedWriter decoder(root / "fuzz_frame_decoder");
  mc::fuzz::SeedWriter handler(root / "fuzz_request_handler");
  mc::fuzz::writeDecoderSeeds(decoder);
  mc::fuzz::writeHandlerSeeds(handler);
  std::printf("wrote %d + %d seeds under %s\n", decoder.count(), handler.count(), argv[1]);
  return 0;
}
