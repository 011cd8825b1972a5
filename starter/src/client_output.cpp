/// @file client_output.cpp
/// @brief How the client shows a reply: sentences and small tables for a
/// person (formatHuman), one line of JSON for a script (formatJson).
/// Runs in: the client. Owns: nothing; pure functions, safe from any thread.
///
/// Reply fields by command (values are text on the wire; see protocol.hpp):
///   deposit  message, locker, code        pickup   message, locker
///   list     message, item... where item = "CODE;NAME;PRICE_CENTS;STOCK"
///   buy      message, product, name, price (cents), stock
///   restock  message, product, stock
///   status   message, parcel.capacity, parcel.occupied, food.capacity,
///            food.occupied, vending.products, vending.stock
/// An error reply carries just `message`.
///
/// JSON typing rules: counts and prices become JSON numbers, everything else
/// stays a string. A pickup code in particular stays a string: "042137" as a
/// number would lose its leading zero and no longer open the locker.
#include "client_output.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mc {

namespace {

// ---------------------------------------------------------------------------
// Reading field values
// ---------------------------------------------------------------------------

/// The whole of @p text as a decimal integer, or nullopt.
std::optional<std::int64_t> parseInteger(std::string_view text) {
  std::int64_t value = 0;
  const char* last = text.data() + text.size();
  const auto [end, error] = std::from_chars(text.data(), last, value);
  if (error != std::errc{} || end != last) return std::nullopt;  // empty, junk or overflow
  return value;
}

/// The value of @p key, or "" when the reply lacks it.
std::string_view fieldOr(const Reply& reply, std::string_view key) {
  return reply.fields.find(key).value_or(std::string_view{});
}

/// One catalogue entry, split out of "CODE;NAME;PRICE_CENTS;STOCK".
struct Item {
  std::string_view product;
  std::string_view name;
  std::int64_t price_cents = 0;
  std::int64_t stock = 0;
};

/// Splits an `item` value; nullopt if it is not four parts with numbers last.
/// The name is everything between the first and the last-but-one ';', so a
/// name that itself contains ';' still parses.
std::optional<Item> parseItem(std::string_view text) {
  const auto first = text.find(';');
  const auto last = text.rfind(';');
  if (first == std::string_view::npos || first == last) return std::nullopt;  // < 3 parts
  const auto middle = text.rfind(';', last - 1);
  if (middle == first) return std::nullopt;  // only 3 parts
  const auto price = parseInteger(text.substr(middle + 1, last - middle - 1));
  const auto stock = parseInteger(text.substr(last + 1));
  if (!price || !stock) return std::nullopt;
  return Item{text.substr(0, first), text.substr(first + 1, middle - first - 1), *price, *stock};
}

// ---------------------------------------------------------------------------
// UTF-8
// ---------------------------------------------------------------------------

/// Length of the well-formed UTF-8 character starting at text[at], or 0 if
/// the bytes there are not one (a stray continuation byte, an overlong form,
/// a surrogate, a character cut short). Table 3-7 of the Unicode standard.
std::size_t utf8CharLength(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[at + k]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  unsigned char low = 0x80;  // range allowed for the second byte
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // shorter forms are overlong
    if (lead == 0xED) high = 0x9F;  // D800..DFFF are surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // a continuation byte, or a lead byte UTF-8 never uses
  }
  if (at + length > text.size()) return 0;  // cut short
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(k) < 0x80 || byte(k) > 0xBF) return 0;
  }
  return length;
}

/// The code point of @p bytes, one well-formed UTF-8 character.
char32_t codePoint(std::string_view bytes) {
  static constexpr unsigned char kLeadBits[] = {0x7F, 0x1F, 0x0F, 0x07};  // by length 1..4
  char32_t cp = static_cast<unsigned char>(bytes[0]) & kLeadBits[bytes.size() - 1];
  for (std::size_t k = 1; k < bytes.size(); ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(bytes[k]) & 0x3F);  // 6 bits per continuation
  }
  return cp;
}

/// True for code points a terminal draws two columns wide: CJK ideographs,
/// kana, Hangul, fullwidth forms (a coarse version of Unicode's East Asian Width).
bool isWide(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || cp >= 0x20000;
}

/// Columns a terminal uses to show the UTF-8 text @p text, so that a table
/// of Chinese product names still lines up.
std::size_t displayWidth(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const std::size_t length = byte < 0x80 ? 1 : utf8CharLength(text, i);
    if (length == 0) {  // not UTF-8: the terminal shows one replacement mark
      width += 1;
      i += 1;
      continue;
    }
    width += isWide(codePoint(text.substr(i, length))) ? 2 : 1;
    i += length;
  }
  return width;
}

// ---------------------------------------------------------------------------
// formatHuman
// ---------------------------------------------------------------------------

/// 150 -> "1.50".
std::string formatCents(std::int64_t cents) {
  const char* sign = cents < 0 ? "-" : "";
  // Unsigned, so that negating the most negative int64 is not overflow.
  const std::uint64_t magnitude =
      cents < 0 ? 0 - static_cast<std::uint64_t>(cents) : static_cast<std::uint64_t>(cents);
  const std::uint64_t fraction = magnitude % 100;
  // Appended one piece at a time: `sign + std::to_string(...)` makes GCC 12
  // at -O3 warn of a memcpy that may overlap (-Wrestrict), which it cannot.
  std::string text{sign};
  text += std::to_string(magnitude / 100);
  text += fraction < 10 ? ".0" : ".";
  text += std::to_string(fraction);
  return text;
}

/// @p text padded with spaces to @p width, on the right (left-aligned) or the left.
std::string pad(std::string_view text, std::size_t width, bool align_right = false) {
  const std::size_t shown = displayWidth(text);
  const std::string spaces(shown < width ? width - shown : 0, ' ');
  return align_right ? spaces + std::string(text) : std::string(text) + spaces;
}

std::string_view goodsWord(Command command) {
  return command == Command::kParcelDeposit || command == Command::kParcelPickup ? "parcel"
                                                                                 : "food";
}

std::string humanDeposit(const Reply& reply) {
  const auto locker = reply.fields.find("locker");
  const auto code = reply.fields.find("code");
  if (!locker || !code) return std::string(fieldOr(reply, "message"));  // not the usual shape
  const std::string_view what = reply.command == Command::kParcelDeposit ? "Parcel" : "Food";
  return std::string(what) + " stored in locker " + std::string(*locker) +
         ". Pickup code: " + std::string(*code);
}

std::string humanPickup(const Reply& reply) {
  const auto locker = reply.fields.find("locker");
  if (!locker) return std::string(fieldOr(reply, "message"));  // not the usual shape
  return "Locker " + std::string(*locker) + " opened: take your " +
         std::string(goodsWord(reply.command)) + ".";
}

std::string humanList(const Reply& reply) {
  const std::vector<std::string_view> raw_items = reply.fields.findAll("item");
  std::vector<std::vector<std::string>> rows{{"CODE", "NAME", "PRICE", "STOCK"}};
  for (std::string_view raw : raw_items) {
    if (auto item = parseItem(raw)) {
      rows.push_back({std::string(item->product), std::string(item->name),
                      formatCents(item->price_cents), std::to_string(item->stock)});
    } else {
      rows.push_back({"?", std::string(raw), "", ""});  // shown as sent, not dropped
    }
  }

  std::size_t widths[4] = {0, 0, 0, 0};
  for (const auto& row : rows) {
    for (std::size_t column = 0; column < 4; ++column) {
      widths[column] = std::max(widths[column], displayWidth(row[column]));
    }
  }

  std::string text = std::to_string(raw_items.size()) + " products:";
  for (const auto& row : rows) {
    text += "\n  " + pad(row[0], widths[0]) + "  " + pad(row[1], widths[1]) + "  " +
            pad(row[2], widths[2], true) + "  " + pad(row[3], widths[3], true);
  }
  return text;
}

std::string humanBuy(const Reply& reply) {
  const auto product = reply.fields.find("product");
  const auto name = reply.fields.find("name");
  const auto price = parseInteger(fieldOr(reply, "price"));
  const auto stock = reply.fields.find("stock");
  if (!product || !name || !price || !stock) return std::string(fieldOr(reply, "message"));
  return "Bought " + std::string(*product) + " (" + std::string(*name) + ") for " +
         formatCents(*price) + ". " + std::string(*stock) + " left.";
}

std::string humanRestock(const Reply& reply) {
  const auto product = reply.fields.find("product");
  const auto stock = reply.fields.find("stock");
  if (!product || !stock) return std::string(fieldOr(reply, "message"));
  return "Restocked " + std::string(*product) + ": " + std::string(*stock) + " in stock.";
}

std::string humanStatus(const Reply& reply) {
  std::string text = "Cabinet status:";
  bool any = false;
  for (std::string_view service : {"parcel", "food"}) {
    const std::string prefix(service);
    const auto capacity = reply.fields.find(prefix + ".capacity");
    const auto occupied = reply.fields.find(prefix + ".occupied");
    if (!capacity || !occupied) continue;  // that service did not answer
    text += "\n  " + pad(prefix + " lockers", 16) + std::string(*occupied) + " of " +
            std::string(*capacity) + " occupied";
    any = true;
  }
  const auto products = reply.fields.find("vending.products");
  const auto stock = reply.fields.find("vending.stock");
  if (products && stock) {
    text += "\n  " + pad("vending", 16) + std::string(*products) + " products, " +
            std::string(*stock) + " items in stock";
    any = true;
  }
  return any ? text : std::string(fieldOr(reply, "message"));
}

/// What happened, without who served it.
std::string humanBody(const Reply& reply) {
  if (reply.status != Status::kOk) {
    return "Error " + std::string(statusName(reply.status)) + ": " +
           std::string(fieldOr(reply, "message"));
  }
  switch (reply.command) {
    case Command::kParcelDeposit:
    case Command::kFoodDeposit: return humanDeposit(reply);
    case Command::kParcelPickup:
    case Command::kFoodPickup: return humanPickup(reply);
    case Command::kVendingList: return humanList(reply);
    case Command::kVendingBuy: return humanBuy(reply);
    case Command::kVendingRestock: return humanRestock(reply);
    case Command::kStatus: return humanStatus(reply);
  }
  return std::string(fieldOr(reply, "message"));  // a command this client does not know
}

/// "parcel service, pid 4121, thread 4127" (or "server, ...").
std::string servedByText(const ServedBy& by) {
  std::string who(serviceName(by.service));
  if (by.service != Service::kServer) who += " service";
  return who + ", pid " + std::to_string(by.pid) + ", thread " + std::to_string(by.tid);
}

// ---------------------------------------------------------------------------
// formatJson
// ---------------------------------------------------------------------------

/// @p text as a JSON string literal, quotes included. JSON text must be
/// UTF-8, so a byte sequence that is not becomes U+FFFD instead of making
/// the whole line unparsable.
std::string jsonQuoted(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8CharLength(text, i);
      out += length == 0 ? std::string_view{"\\ufffd"} : text.substr(i, length);
      i += length == 0 ? 1 : length;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {  // other control characters have no short form
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out + "\"";
}

/// Builds one JSON object, member by member, on one line.
class JsonObject {
 public:
  void addString(std::string_view key, std::string_view value) {
    addRaw(key, jsonQuoted(value));
  }
  void addNumber(std::string_view key, std::int64_t value) { addRaw(key, std::to_string(value)); }
  void addBool(std::string_view key, bool value) { addRaw(key, value ? "true" : "false"); }
  /// @brief Adds @p json, which is already valid JSON (a nested object or array).
  void addRaw(std::string_view key, std::string_view json) {
    if (!empty()) text_ += ',';
    text_ += jsonQuoted(key);
    text_ += ':';
    text_ += json;
  }
  bool empty() const { return text_.size() == 1; }
  std::string text() const { return text_ + "}"; }

 private:
  std::string text_ = "{";
};

/// Field names (the part after the last '.') whose values are counts or cents.
bool isNumberKey(std::string_view name) {
  for (std::string_view key : {"price", "stock", "qty", "capacity", "occupied", "products"}) {
    if (name == key) return true;
  }
  return false;
}

/// Adds field @p name = @p value: a number if it is a count that parses, else a string.
void addField(JsonObject& object, std::string_view name, std::string_view value) {
  const auto number = isNumberKey(name) ? parseInteger(value) : std::nullopt;
  if (number) {
    object.addNumber(name, *number);
  } else {
    object.addString(name, value);
  }
}

/// "parcel.capacity" -> "parcel" when the prefix names a service, else "".
std::string_view serviceGroupOf(std::string_view key) {
  const auto dot = key.find('.');
  if (dot == std::string_view::npos) return {};
  const std::string_view prefix = key.substr(0, dot);
  for (Service service : kServices) {
    if (prefix == serviceName(service)) return prefix;
  }
  return {};
}

/// "items": [{"product","name","price","stock"}, ...]. An item that does not
/// parse is kept as {"raw": "..."} rather than dropped.
std::string jsonItems(const Reply& reply) {
  std::string array = "[";
  for (std::string_view raw : reply.fields.findAll("item")) {
    JsonObject entry;
    if (auto item = parseItem(raw)) {
      entry.addString("product", item->product);
      entry.addString("name", item->name);
      entry.addNumber("price", item->price_cents);
      entry.addNumber("stock", item->stock);
    } else {
      entry.addString("raw", raw);
    }
    if (array.size() > 1) array += ',';
    array += entry.text();
  }
  return array + "]";
}

/// {"capacity":20,"occupied":3} from the fields "<group>.*", in reply order.
std::string jsonGroup(const Reply& reply, std::string_view group) {
  JsonObject object;
  for (const auto& [key, value] : reply.fields.entries()) {
    if (serviceGroupOf(key) == group) addField(object, key.substr(group.size() + 1), value);
  }
  return object.text();
}

/// Every field but message, item and the service groups, in reply order.
/// A field this client does not know is kept as a string, its dots turned
/// into underscores ("a.b" -> "a_b") so scripts can still reach it.
void addPlainFields(JsonObject& object, const Reply& reply) {
  for (const auto& [key, value] : reply.fields.entries()) {
    if (key == "message" || key == "item" || !serviceGroupOf(key).empty()) continue;
    std::string name = key;
    for (char& c : name) {
      if (c == '.') c = '_';
    }
    addField(object, name, value);
  }
}

}  // namespace

std::string formatHuman(const Reply& reply) {
  const std::string body = humanBody(reply);
  const std::string by = servedByText(reply.served_by);
  // A sentence gets its server on the same line; a table gets a line of its own.
  if (body.find('\n') == std::string::npos) return body + "  (" + by + ")";
  return body + "\n(" + by + ")";
}

std::string formatJson(const Reply& reply) {
  JsonObject object;
  object.addBool("ok", reply.status == Status::kOk);
  object.addString("status", statusName(reply.status));
  object.addString("message", fieldOr(reply, "message"));
  object.addNumber("request_id", reply.request_id);
  addPlainFields(object, reply);
  for (Service service : kServices) {
    const std::string_view group = serviceName(service);
    const std::string nested = jsonGroup(reply, group);
    if (nested != "{}") object.addRaw(group, nested);
  }
  const bool is_catalogue = reply.command == Command::kVendingList && reply.status == Status::kOk;
  if (is_catalogue || reply.fields.find("item")) object.addRaw("items", jsonItems(reply));

  JsonObject served_by;
  served_by.addString("service", serviceName(reply.served_by.service));
  served_by.addNumber("pid", reply.served_by.pid);
  served_by.addNumber("tid", reply.served_by.tid);
  object.addRaw("served_by", served_by.text());
  return object.text();
}

std::string formatJsonError(std::string_view status, std::string_view message) {
  JsonObject object;
  object.addBool("ok", false);
  object.addString("status", status);
  object.addString("message", message);
  return object.text();
}

}  // namespace mc
