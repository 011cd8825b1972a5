/// @file json_reader.hpp
/// @brief Reading the JSON our tools write (cabinetd --trace, cabinet-bench
/// --json) back in a test: a strict parser, just big enough for that, so a
/// test can check the file is valid JSON and look at its values.
/// Runs in: test processes only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace mc::test {

struct Json;
using JsonObject = std::map<std::string, std::shared_ptr<Json>>;
using JsonArray = std::vector<std::shared_ptr<Json>>;

/// One JSON value. Numbers are doubles, as in JavaScript.
struct Json {
  std::variant<std::nullptr_t, bool, double, std::string, JsonArray, JsonObject> value;
};

/// @brief Parses @p text as one JSON document.
/// @return the document, or nullptr when the text is not strict JSON
/// (trailing garbage, a raw control character in a string, a missing comma...).
std::shared_ptr<Json> parseJson(const std::string& text);

}  // namespace mc::test
