/// @file test_trace.cpp
/// @brief `cabinetd --trace FILE`: the file is valid JSON in Chrome's
/// trace-event format, holds events from the server and all three service
/// children, and every request's hops appear in causal order.
/// Runs in: the tools test process; starts cabinetd at stage 4 (and 3).
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "server_process.hpp"
#include "test_client.hpp"
#include "trace.hpp"

namespace mc::test {
namespace {

// A JSON value, just enough to check a trace: the parser below rejects
// anything that is not strict JSON.
struct Json;
using JsonObject = std::map<std::string, std::shared_ptr<Json>>;
using JsonArray = std::vector<std::shared_ptr<Json>>;
struct Json {
  std::variant<std::nullptr_t, bool, double, std::string, JsonArray, JsonObject> value;
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : text_{text} {}

  std::shared_ptr<Json> parseDocument() {
    auto value = parseValue();
    skipSpace();
    if (!value || at_ != text_.size()) return nullptr;  // trailing garbage
    return value;
  }

 private:
  void skipSpace() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  bool take(char expected) {
    skipSpace();
    if (at_ < text_.size() && text_[at_] == expected) return ++at_, true;
    return false;
  }
  std::shared_ptr<Json> parseValue() {
    skipSpace();
    if (at_ >= text_.size()) return nullptr;
    const char c = text_[at_];
    if (c == '{') return parseObject();
    if (c == '[') return parseArray();
    if (c == '"') {
      std::string s;
      return parseString(s) ? std::make_shared<Json>(Json{s}) : nullptr;
    }
    if (text_.compare(at_, 4, "true") == 0) return at_ += 4, std::make_shared<Json>(Json{true});
    if (text_.compare(at_, 5, "false") == 0) return at_ += 5, std::make_shared<Json>(Json{false});
    if (text_.compare(at_, 4, "null") == 0) return at_ += 4, std::make_shared<Json>(Json{nullptr});
    return parseNumber();
  }
  std::shared_ptr<Json> parseNumber() {
    const std::size_t start = at_;
    if (at_ < text_.size() && text_[at_] == '-') ++at_;
    while (at_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[at_])) || text_[at_] == '.' ||
                                  text_[at_] == 'e' || text_[at_] == 'E' || text_[at_] == '+' || text_[at_] == '-'))
      ++at_;
    if (at_ == start) return nullptr;
    return std::make_shared<Json>(Json{std::stod(text_.substr(start, at_ - start))});
  }
  bool parseString(std::string& out) {
    if (!take('"')) return false;
    while (at_ < text_.size() && text_[at_] != '"') {
      if (static_cast<unsigned char>(text_[at_]) < 0x20) return false;  // raw control character
      if (text_[at_] == '\\') ++at_;
      out += text_[at_++];
    }
    return take('"');
  }
  std::shared_ptr<Json> parseArray() {
    take('[');
    JsonArray items;
    if (take(']')) return std::make_shared<Json>(Json{items});
    do {
      auto item = parseValue();
      if (!item) return nullptr;
      items.push_back(item);
    } while (take(','));
    return take(']') ? std::make_shared<Json>(Json{items}) : nullptr;
  }
  std::shared_ptr<Json> parseObject() {
    take('{');
    JsonObject members;
    if (take('}')) return std::make_shared<Json>(Json{members});
    do {
      std::string key;
      skipSpace();
      if (!parseString(key) || !take(':')) return nullptr;
      auto value = parseValue();
      if (!value) return nullptr;
      members[key] = value;
    } while (take(','));
    return take('}') ? std::make_shared<Json>(Json{members}) : nullptr;
  }

  const std::string& text_;
  std::size_t at_ = 0;
};

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

// One hop slice ("ph":"X") of the trace.
struct HopEvent {
  std::string name;
  double ts = 0;
  int pid = 0;
  std::uint64_t request = 0;
};

std::vector<HopEvent> hopsOf(const Json& document) {
  std::vector<HopEvent> hops;
  for (const auto& item : std::get<JsonArray>(document.value)) {
    const auto& event = std::get<JsonObject>(item->value);
    if (!event.contains("ph") || std::get<std::string>(event.at("ph")->value) != "X") continue;
    HopEvent hop;
    hop.name = std::get<std::string>(event.at("name")->value);
    hop.ts = std::get<double>(event.at("ts")->value);
    hop.pid = static_cast<int>(std::get<double>(event.at("pid")->value));
    const auto& args = std::get<JsonObject>(event.at("args")->value);
    hop.request = static_cast<std::uint64_t>(std::get<double>(args.at("request")->value));
    hops.push_back(hop);
  }
  return hops;
}

int hopRank(const std::string& name) {
  for (int hop = 0; hop <= static_cast<int>(Hop::kReply); ++hop)
    if (name == hopName(static_cast<Hop>(hop))) return hop;
  return -1;
}

class Trace : public ::testing::TestWithParam<int> {};

TEST_P(Trace, EveryRequestsHopsAreRecordedInOrder) {
  TempDir dir("trace");
  const auto file = dir.path() / "trace.json";
  ServerOptions options;
  options.stage = GetParam();
  options.extra_args = {"--trace", file.string()};
  ServerProcess server{options};
  {
    ClientSession session = server.connect();
    Reply stored = callExpecting(session, depositParcel(), Status::kOk);
    callExpecting(session, pickupParcel(fieldOf(stored, "code")), Status::kOk);
    callExpecting(session, depositFood(), Status::kOk);
    callExpecting(session, buy("A1"), Status::kOk);
    callExpecting(session, status(), Status::kOk);
  }
  ASSERT_TRUE(exitedCleanly(server.stop(SIGTERM)));

  const std::string text = readFile(file);
  std::shared_ptr<Json> document = JsonParser(text).parseDocument();
  ASSERT_TRUE(document) << "the trace is not valid JSON:\n" << text.substr(0, 2000);
  const std::vector<HopEvent> hops = hopsOf(*document);

  std::set<int> pids;
  std::map<std::uint64_t, std::vector<HopEvent>> by_request;
  for (const HopEvent& hop : hops) {
    pids.insert(hop.pid);
    by_request[hop.request].push_back(hop);
  }
  EXPECT_TRUE(pids.contains(server.pid())) << "no events from the server";
  EXPECT_EQ(pids.size(), 4u) << "events must come from the server and all three children";
  EXPECT_EQ(by_request.size(), 5u) << "5 requests, 5 trace ids";

  for (auto& [request, events] : by_request) {
    std::stable_sort(events.begin(), events.end(), [](const HopEvent& a, const HopEvent& b) { return a.ts < b.ts; });
    EXPECT_EQ(events.front().name, "read") << "request " << request << " does not start with its read";
    EXPECT_EQ(events.back().name, "reply") << "request " << request << " does not end with its reply";
    bool in_child = false;
    for (const HopEvent& hop : events) in_child |= hop.pid != server.pid();
    EXPECT_TRUE(in_child) << "request " << request << " never reached a service child";
    // Within one process the hops follow the pipeline's order (STATUS asks
    // every service in turn, so its server-side hops repeat: not checked).
    std::set<std::string> seen;
    bool fan_out = false;
    for (const HopEvent& hop : events) fan_out |= hop.pid == server.pid() && !seen.insert(hop.name).second;
    if (fan_out) continue;
    std::map<int, int> last_rank;
    for (const HopEvent& hop : events) {
      const int rank = hopRank(hop.name);
      ASSERT_GE(rank, 0) << "unknown hop " << hop.name;
      EXPECT_GE(rank, last_rank[hop.pid]) << "request " << request << ": " << hop.name << " out of order";
      last_rank[hop.pid] = rank;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stages, Trace, ::testing::Values(3, 4), stageName);

}  // namespace
}  // namespace mc::test
