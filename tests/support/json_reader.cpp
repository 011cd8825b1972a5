/// @file json_reader.cpp
/// @brief A recursive-descent JSON parser for tests (json_reader.hpp).
/// Strict where it matters to our checks (structure, strings, commas), lax
/// about number syntax, which std::stod settles.
#include "json_reader.hpp"

#include <cctype>

namespace mc::test {

namespace {

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : text_{text} {}

  std::shared_ptr<Json> document() {
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

  bool takeWord(const char* word, std::size_t length) {
    if (text_.compare(at_, length, word) != 0) return false;
    at_ += length;
    return true;
  }

  static std::shared_ptr<Json> make(auto value) { return std::make_shared<Json>(Json{std::move(value)}); }

  std::shared_ptr<Json> parseValue() {
    skipSpace();
    if (at_ >= text_.size()) return nullptr;
    switch (text_[at_]) {
      case '{': return parseObject();
      case '[': return parseArray();
      case '"': {
        std::string text;
        return parseString(text) ? make(std::move(text)) : nullptr;
      }
    }
    if (takeWord("true", 4)) return make(true);
    if (takeWord("false", 5)) return make(false);
    if (takeWord("null", 4)) return make(nullptr);
    return parseNumber();
  }

  std::shared_ptr<Json> parseNumber() {
    const std::size_t start = at_;
    auto numeric = [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
    };
    while (at_ < text_.size() && numeric(text_[at_])) ++at_;
    if (at_ == start) return nullptr;
    try {
      return make(std::stod(text_.substr(start, at_ - start)));
    } catch (const std::exception&) {  // "-", "1e", ...: not a number
      return nullptr;
    }
  }

  bool parseString(std::string& out) {
    if (!take('"')) return false;
    while (at_ < text_.size() && text_[at_] != '"') {
      if (static_cast<unsigned char>(text_[at_]) < 0x20) return false;  // raw control character
      if (text_[at_] == '\\') ++at_;  // keeps the escaped character as it is: enough for our files
      if (at_ >= text_.size()) return false;
      out += text_[at_++];
    }
    return take('"');
  }

  std::shared_ptr<Json> parseArray() {
    take('[');
    JsonArray items;
    if (take(']')) return make(std::move(items));
    do {
      auto item = parseValue();
      if (!item) return nullptr;
      items.push_back(std::move(item));
    } while (take(','));
    return take(']') ? make(std::move(items)) : nullptr;
  }

  std::shared_ptr<Json> parseObject() {
    take('{');
    JsonObject members;
    if (take('}')) return make(std::move(members));
    do {
      std::string key;
      skipSpace();
      if (!parseString(key) || !take(':')) return nullptr;
      auto value = parseValue();
      if (!value) return nullptr;
      members[key] = std::move(value);
    } while (take(','));
    return take('}') ? make(std::move(members)) : nullptr;
  }

  const std::string& text_;
  std::size_t at_ = 0;
};

}  // namespace

std::shared_ptr<Json> parseJson(const std::string& text) { return JsonParser(text).document(); }

}  // namespace mc::test
