/// @file client_menu.cpp
/// @brief `cabinet` without a command: a numbered menu, in English or Chinese.
/// Runs in: the client. Owns: the menu's ClientSession (one connection for
/// every request, replaced only when it breaks).
#include "client_menu.hpp"

#include <charconv>
#include <istream>
#include <optional>
#include <ostream>
#include <string_view>
#include <system_error>

#include "client_output.hpp"
#include "client_session.hpp"

namespace mc {

namespace {

/// Everything the menu says, in one language.
struct MenuText {
  std::string_view title;          ///< followed by " host:port"
  std::string_view entries[8];     ///< the choices 1..8; the last is Quit
  std::string_view choose;         ///< prompt for a choice
  std::string_view user;           ///< prompt for the user id, followed by " [N]: "
  std::string_view code;           ///< prompt for a pickup code
  std::string_view product;        ///< prompt for a product code
  std::string_view bad_choice;     ///< the choice was not 1..8
  std::string_view bad_user;       ///< the user id was not a number
  std::string_view cannot_connect; ///< followed by the system error
  std::string_view failed;         ///< followed by ClientSession's error
  std::string_view reconnecting;   ///< the server closed the connection
  std::string_view bye;
};

constexpr MenuText kEnglishText{
    .title = "MultiCabinet at",
    .entries = {"Deposit a parcel", "Pick up a parcel", "Deposit food", "Pick up food",
                "List products", "Buy a product", "Show status", "Quit"},
    .choose = "Choose 1-8: ",
    .user = "User id",
    .code = "Pickup code: ",
    .product = "Product code: ",
    .bad_choice = "Please type a number from 1 to 8.",
    .bad_user = "The user id must be a number.",
    .cannot_connect = "Cannot connect to the server: ",
    .failed = "Request failed: ",
    .reconnecting = "The server closed the connection; reconnecting...",
    .bye = "Bye.",
};

constexpr MenuText kChineseText{
    .title = "MultiCabinet 智能柜, 服务器",
    .entries = {"存入包裹", "取出包裹", "存入外卖", "取出外卖", "查看商品", "购买商品",
                "查看状态", "退出"},
    .choose = "请选择 (1-8): ",
    .user = "用户编号",
    .code = "取件码: ",
    .product = "商品编号: ",
    .bad_choice = "请输入 1 到 8 之间的数字。",
    .bad_user = "用户编号必须是数字。",
    .cannot_connect = "无法连接服务器: ",
    .failed = "请求失败: ",
    .reconnecting = "服务器关闭了连接, 正在重新连接……",
    .bye = "再见。",
};

/// What menu entry 1..7 sends: the command, and the one field it asks for.
struct MenuEntry {
  Command command;
  bool needs_user;
  std::string_view field;  ///< "code", "product", or empty
};

constexpr MenuEntry kEntries[7] = {
    {Command::kParcelDeposit, true, ""}, {Command::kParcelPickup, true, "code"},
    {Command::kFoodDeposit, true, ""},   {Command::kFoodPickup, true, "code"},
    {Command::kVendingList, false, ""},  {Command::kVendingBuy, true, "product"},
    {Command::kStatus, false, ""},
};
constexpr int kQuitChoice = 8;

/// @p text without spaces, tabs or a '\r' (from a Windows terminal) at either end.
std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kBlank = " \t\r";
  const auto first = text.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlank) - first + 1);
}

/// Shows @p prompt and reads one line; nullopt at EOF.
std::optional<std::string> ask(std::istream& in, std::ostream& out, std::string_view prompt) {
  out << prompt << std::flush;
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;  // EOF (or a broken stdin)
  return std::string(trimmed(line));
}

/// The whole of @p text as an unsigned number, or nullopt.
template <typename Number>
std::optional<Number> parseNumber(std::string_view text) {
  Number value{};
  const char* last = text.data() + text.size();
  const auto [end, error] = std::from_chars(text.data(), last, value);
  if (error != std::errc{} || end != last) return std::nullopt;
  return value;
}

void showMenu(std::ostream& out, const MenuText& text, const MenuOptions& options) {
  out << "\n" << text.title << " " << options.host << ":" << options.port << "\n";
  for (int i = 0; i < kQuitChoice; ++i) out << "  " << i + 1 << ") " << text.entries[i] << "\n";
}

/// What asking for a request's details came to.
enum class Asked { kReady, kInvalid, kEndOfInput };

/// Asks for what @p entry needs and fills in @p request. @p user_id is the
/// last id typed: an empty answer keeps it, so it is typed once per session.
/// Status, a staff command, carries @p pin (cabinet --pin) when there is one.
Asked askDetails(const MenuEntry& entry, std::istream& in, std::ostream& out,
                 const MenuText& text, std::uint32_t& user_id, const std::string& pin,
                 Request& request) {
  request.command = entry.command;
  if (entry.needs_user) {
    const std::string prompt =
        std::string(text.user) + " [" + std::to_string(user_id) + "]: ";
    const auto answer = ask(in, out, prompt);
    if (!answer) return Asked::kEndOfInput;
    if (!answer->empty()) {
      const auto number = parseNumber<std::uint32_t>(*answer);
      if (!number) {
        out << text.bad_user << "\n";
        return Asked::kInvalid;
      }
      user_id = *number;
    }
  }
  request.user_id = user_id;
  if (entry.command == Command::kStatus && !pin.empty()) request.fields.add("pin", pin);
  if (!entry.field.empty()) {
    const auto answer = ask(in, out, entry.field == "code" ? text.code : text.product);
    if (!answer) return Asked::kEndOfInput;
    request.fields.add(std::string(entry.field), *answer);  // getline leaves no '\n'
  }
  return Asked::kReady;
}

/// Opens @p session if it is not open. @return an error text, or "" if open.
std::string ensureConnected(std::optional<ClientSession>& session, const MenuOptions& options,
                            const MenuText& text) {
  if (session) return {};
  try {
    session.emplace(options.host, options.port, options.timeout);
    return {};
  } catch (const std::system_error& error) {
    return std::string(text.cannot_connect) + error.what();
  }
}

/// Sends @p request and returns what to show. If the server had closed the
/// connection, connects again and sends it once more.
std::string callWithReconnect(std::optional<ClientSession>& session, const Request& request,
                              const MenuOptions& options, const MenuText& text,
                              std::ostream& out) {
  for (int attempt = 1;; ++attempt) {
    if (std::string error = ensureConnected(session, options, text); !error.empty()) return error;
    ClientSession::Result result = session->call(request);
    if (result.ok) return formatHuman(result.reply);

    session.reset();  // a failed session may be out of step: never reuse it
    if (!result.connection_closed || attempt == 2) return std::string(text.failed) + result.error;
    out << text.reconnecting << "\n";  // and round once more
  }
}

}  // namespace

int runMenu(const MenuOptions& options, std::istream& in, std::ostream& out) {
  const MenuText& text = options.language == Language::kChinese ? kChineseText : kEnglishText;

  std::optional<ClientSession> session;
  if (std::string error = ensureConnected(session, options, text); !error.empty()) {
    out << error << "\n";
    return 2;  // nobody to talk to
  }

  std::uint32_t user_id = 0;
  for (;;) {
    showMenu(out, text, options);
    const auto answer = ask(in, out, text.choose);
    if (!answer) break;  // EOF: like Quit
    const auto choice = parseNumber<int>(*answer);
    if (choice == kQuitChoice) break;
    if (!choice || *choice < 1 || *choice > kQuitChoice) {
      out << text.bad_choice << "\n";
      continue;
    }

    Request request;
    const Asked asked =
        askDetails(kEntries[*choice - 1], in, out, text, user_id, options.staff_pin, request);
    if (asked == Asked::kEndOfInput) break;
    if (asked == Asked::kInvalid) continue;
    out << callWithReconnect(session, request, options, text, out) << "\n";
  }
  out << text.bye << "\n";
  return 0;
}

}  // namespace mc
