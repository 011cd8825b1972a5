/// @file cabinet_main.cpp
/// @brief `cabinet`: the command-line client. One command, one request, one
/// reply printed for a person or (--json) for a script; no command: the menu.
/// Runs in: the client process. Owns: one ClientSession while a command runs.
///
///   cabinet [--host H] [--port P] [--json] [--timeout SECONDS] [--lang en|zh]
///           [--user ID] [--pin PIN] COMMAND ...
///
/// Options may come before or after the command. Exit status, which scripts
/// and the tests rely on:
///   0  the server answered OK
///   1  the server answered, and refused (any other status)
///   2  usage error, or no answer (cannot connect, timed out, connection lost)
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "client_menu.hpp"
#include "client_output.hpp"
#include "client_session.hpp"
#include "server_config.hpp"

namespace {

using namespace mc;

constexpr std::string_view kUsage =
    "usage: cabinet [options] COMMAND ...\n"
    "commands:\n"
    "  deposit parcel|food         store something; prints the locker and pickup code\n"
    "  pickup parcel|food CODE     open the locker holding CODE\n"
    "  list                        the vending catalogue\n"
    "  buy PRODUCT                 buy one of PRODUCT\n"
    "  restock PRODUCT QTY         add QTY to PRODUCT's stock (staff: needs --pin)\n"
    "  status                      occupancy and stock of every service (staff: needs --pin)\n"
    "  (none)                      an interactive menu\n"
    "options (before or after the command):\n"
    "  --host H          server address (default 127.0.0.1)\n"
    "  --port P          server port (default 7007)\n"
    "  --user ID         your user id (default 0)\n"
    "  --pin PIN         the staff PIN for restock and status (cabinetd --staff-pin);\n"
    "                    default: the environment variable CABINET_PIN, which\n"
    "                    keeps the PIN out of the process list\n"
    "  --json            print the reply as one line of JSON\n"
    "  --timeout S       seconds to wait for a reply (default 10)\n"
    "  --lang en|zh      language of the menu (default en)\n"
    "  --help            print this text\n"
    "exit status: 0 OK, 1 refused by the server, 2 usage or connection error\n";

/// A mistake on the command line: reported with the usage text, exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Everything the command line says.
struct ClientArgs {
  std::string host = "127.0.0.1";
  std::uint16_t port = kDefaultPort;
  std::uint32_t user_id = 0;
  std::string pin;  ///< staff PIN, sent with restock and status; empty = none
  bool json = false;
  bool help = false;
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  Language language = Language::kEnglish;
  std::vector<std::string> words;  ///< the command and its operands, in order
};

/// The whole of @p text as an integer in [low, high].
/// @throws UsageError naming @p flag otherwise.
template <typename Number>
Number parseNumber(std::string_view flag, std::string_view text, Number low, Number high) {
  Number value{};
  const char* last = text.data() + text.size();
  const auto [end, error] = std::from_chars(text.data(), last, value);
  if (error != std::errc{} || end != last || value < low || value > high) {
    throw UsageError(std::string(flag) + " needs a number in " + std::to_string(low) + ".." +
                     std::to_string(high) + ", not '" + std::string(text) + "'");
  }
  return value;
}

/// "--timeout 2" or "--timeout 0.5": seconds, more than 0 and at most an hour.
std::chrono::milliseconds parseTimeout(std::string_view text) {
  double seconds = 0;
  const char* last = text.data() + text.size();
  const auto [end, error] = std::from_chars(text.data(), last, seconds);
  if (error != std::errc{} || end != last || !(seconds > 0 && seconds <= 3600)) {
    throw UsageError("--timeout needs seconds in (0, 3600], not '" + std::string(text) + "'");
  }
  const auto ms = static_cast<std::int64_t>(std::ceil(seconds * 1000));
  return std::chrono::milliseconds(ms);
}

/// Stores the value of option @p name.
/// @throws UsageError for an unknown option or a bad value.
void applyOption(ClientArgs& args, std::string_view name, std::string_view value) {
  if (name == "--host") {
    if (value.empty()) throw UsageError("--host needs a value");
    args.host = std::string(value);
  } else if (name == "--port") {
    args.port = parseNumber<std::uint16_t>(name, value, 1, 65535);
  } else if (name == "--user") {
    args.user_id = parseNumber<std::uint32_t>(name, value, 0, UINT32_MAX);
  } else if (name == "--pin") {
    if (value.empty() || value.find('\n') != std::string_view::npos)
      throw UsageError("--pin needs a value without newlines");
    args.pin = std::string(value);
  } else if (name == "--timeout") {
    args.timeout = parseTimeout(value);
  } else if (name == "--lang") {
    if (value != "en" && value != "zh") throw UsageError("--lang is en or zh");
    args.language = value == "zh" ? Language::kChinese : Language::kEnglish;
  } else {
    throw UsageError("unknown option " + std::string(name));
  }
}

/// Reads argv: options ("--flag value" or "--flag=value") anywhere, every
/// other word part of the command.
/// @throws UsageError.
ClientArgs parseClientArgs(int argc, char** argv) {
  ClientArgs args;
  if (const char* pin = std::getenv("CABINET_PIN"); pin != nullptr) args.pin = pin;  // --pin wins
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!arg.starts_with("--")) {
      if (arg == "-h") {
        args.help = true;
      } else {
        args.words.emplace_back(arg);  // the command or an operand ("-5" included)
      }
      continue;
    }
    const auto equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    if (name == "--json" || name == "--help") {
      if (equals != std::string_view::npos) throw UsageError(std::string(name) + " takes no value");
      (name == "--json" ? args.json : args.help) = true;
      continue;
    }
    std::string_view value;
    if (equals != std::string_view::npos) {
      value = arg.substr(equals + 1);  // --flag=value
    } else if (i + 1 < argc) {
      value = argv[++i];  // --flag value
    } else {
      throw UsageError(std::string(name) + " needs a value");  // flag was the last word
    }
    applyOption(args, name, value);
  }
  return args;
}

/// Throws unless the command has exactly @p count operands.
void expectOperands(const ClientArgs& args, std::size_t count, std::string_view synopsis) {
  if (args.words.size() != count + 1) throw UsageError("usage: cabinet " + std::string(synopsis));
}

/// Adds a request field typed by the user. The wire format is one
/// "key=value\n" line per field, so a value may not hold a newline.
void addOperand(Request& request, std::string key, const std::string& value) {
  if (value.find('\n') != std::string::npos) throw UsageError(key + " may not contain a newline");
  request.fields.add(std::move(key), value);
}

/// Adds field `pin` to a staff request when the user gave one; without it
/// the server answers FORBIDDEN, which is the right message to show.
void addStaffPin(Request& request, const ClientArgs& args) {
  if (!args.pin.empty()) addOperand(request, "pin", args.pin);
}

/// "parcel" or "food" -> the command for that goods type.
Command goodsCommand(const std::string& goods, Command parcel, Command food) {
  if (goods == "parcel") return parcel;
  if (goods == "food") return food;
  throw UsageError("expected parcel or food, not '" + goods + "'");
}

/// The request the command words ask for.
/// @throws UsageError for an unknown command or wrong operands.
Request buildRequest(const ClientArgs& args) {
  const std::vector<std::string>& words = args.words;
  const std::string& command = words[0];
  Request request;
  request.user_id = args.user_id;
  if (command == "deposit") {
    expectOperands(args, 1, "deposit parcel|food [--user ID]");
    request.command = goodsCommand(words[1], Command::kParcelDeposit, Command::kFoodDeposit);
  } else if (command == "pickup") {
    expectOperands(args, 2, "pickup parcel|food CODE [--user ID]");
    request.command = goodsCommand(words[1], Command::kParcelPickup, Command::kFoodPickup);
    addOperand(request, "code", words[2]);
  } else if (command == "list") {
    expectOperands(args, 0, "list");
    request.command = Command::kVendingList;
  } else if (command == "buy") {
    expectOperands(args, 1, "buy PRODUCT [--user ID]");
    request.command = Command::kVendingBuy;
    addOperand(request, "product", words[1]);
  } else if (command == "restock") {
    expectOperands(args, 2, "restock PRODUCT QTY [--user ID]");
    request.command = Command::kVendingRestock;
    addOperand(request, "product", words[1]);
    addOperand(request, "qty", words[2]);  // the server checks that it is a number
    addStaffPin(request, args);
  } else if (command == "status") {
    expectOperands(args, 0, "status");
    request.command = Command::kStatus;
    addStaffPin(request, args);
  } else {
    throw UsageError("unknown command '" + command + "'");
  }
  return request;
}

/// Reports a failure that left no reply to show. @return 2.
int reportFailure(bool json, std::string_view status, const std::string& message,
                  bool with_usage) {
  std::cerr << "cabinet: " << message << "\n";
  if (with_usage) std::cerr << kUsage;
  if (json) std::cout << formatJsonError(status, message) << "\n";
  return 2;
}

/// Sends @p request and prints its reply. @return the exit status.
int runCommand(const ClientArgs& args, const Request& request) {
  const std::string where = args.host + ":" + std::to_string(args.port);
  std::optional<ClientSession> session;
  try {
    session.emplace(args.host, args.port, args.timeout);
  } catch (const std::system_error& error) {
    return reportFailure(args.json, "CONNECTION_ERROR",
                         "cannot connect to " + where + ": " + error.what(), false);
  }

  ClientSession::Result result = session->call(request);
  if (!result.ok) {
    return reportFailure(args.json, "CONNECTION_ERROR", where + ": " + result.error, false);
  }
  std::cout << (args.json ? formatJson(result.reply) : formatHuman(result.reply)) << "\n";
  return result.reply.status == Status::kOk ? 0 : 1;  // 1: the server said no
}

/// True when --json is anywhere on the line, so that even a usage error
/// found before reaching it is reported as JSON.
bool wantsJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--json") return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  // A server that closes while we write must give EPIPE, not kill us
  // (robust_io uses MSG_NOSIGNAL on sockets; this covers everything else).
  std::signal(SIGPIPE, SIG_IGN);

  const bool json = wantsJson(argc, argv);
  try {
    const ClientArgs args = parseClientArgs(argc, argv);
    if (args.help) {
      std::cout << kUsage;
      return 0;
    }
    if (args.words.empty()) {
      if (args.json) throw UsageError("--json needs a COMMAND (the menu is for people)");
      const MenuOptions options{args.host, args.port, args.timeout, args.language, args.pin};
      return runMenu(options, std::cin, std::cout);
    }
    return runCommand(args, buildRequest(args));
  } catch (const UsageError& error) {
    return reportFailure(json, "USAGE", error.what(), true);
  }
}
