/// @file server_config.cpp
/// @brief cabinetd's command line: flags in, a ServerConfig (or a message) out.
/// Runs in: the server process, before anything else.
/// Owns: nothing. Reads argv, and the file --staff-pin-file names; never
/// exits (main decides that).
///
/// Every flag that takes a value accepts both "--port 7007" and "--port=7007".
/// Numbers are parsed strictly: the whole argument must be a decimal integer
/// in range, so "80x", "1e3", " 80" and "" are errors rather than
/// silently becoming 80, 1000 or 0 the way atoi() would have it.
#include "server_config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string_view>
#include <string>

namespace mc {

namespace {

// After "usage: PROGRAM": cabinetd, or a tool built from the same main
// (cabinetd-floor), says its own name.
constexpr std::string_view kUsage =
    " [options]\n"
    "  --host H              address to listen on (default 127.0.0.1)\n"
    "  --port P              TCP port, 0..65535; 0 picks a free one (default 7007)\n"
    "  --data-dir D          directory of the SQLite files (default ./var)\n"
    "  --stage N             1..4: how requests reach the services (default 4)\n"
    "                          1 one thread   2 a thread per connection\n"
    "                          3 + a child process per service, pipes\n"
    "                          4 + semaphores and shared reply slots\n"
    "  --parcel-lockers N    parcel compartments, 1..999 (default 20)\n"
    "  --food-slots N        food compartments, 1..999 (default 10)\n"
    "  --idle-timeout S      close a connection silent for S seconds, 1..3600 (default 60)\n"
    "  --frame-timeout S     a request frame must arrive whole within S seconds of its\n"
    "                          first byte, 1..3600, or it is answered BAD_REQUEST and\n"
    "                          the connection closed (default 10)\n"
    "  --backlog N           listen(2) backlog, 1..65535 (default 1024)\n"
    "  --max-connections N   clients served at once, 1..65535; one more gets a BUSY\n"
    "                          reply and is closed (default 512; lowered to fit\n"
    "                          the open-file limit)\n"
    "  --staff-pin PIN       the PIN that restock and status need (request field pin),\n"
    "                          1..64 printable characters, no spaces; without it\n"
    "                          restock and status are FORBIDDEN for everyone.\n"
    "                          Every local user can read it in /proc: prefer\n"
    "  --staff-pin-file F    the staff PIN from file F (its first line), which only\n"
    "                          its owner may read or write (mode 0600 or 0400)\n"
    "  --lockout-attempts K  wrong pickup codes that lock a user out, 1..1000 (default 5)\n"
    "  --lockout-seconds T   ... if within T seconds, for T seconds, 1..86400 (default 60)\n"
    "  --code-quarantine-hours H\n"
    "                        a picked-up code is not handed out again for H hours,\n"
    "                          0..8760; 0 lets it come back at once (default 24)\n"
    "  --pool N              stage 4: N worker threads per service child, 0..256;\n"
    "                          0 starts a thread per request (default 0)\n"
    "  --trace FILE          record every hop of every request as Chrome trace-event\n"
    "                          JSON (open it in ui.perfetto.dev or chrome://tracing)\n"
    "  --quiet               log errors only, not every connection\n"
    "  --help                print this text and exit\n";

/// A flag split at its '=': "--port=80" -> {"--port", "80"}; "--port" -> {"--port", nullopt}.
struct SplitFlag {
  std::string_view name;
  std::optional<std::string_view> inline_value;
};

SplitFlag splitFlag(std::string_view arg) {
  const auto equals = arg.find('=');
  if (equals == std::string_view::npos) return {arg, std::nullopt};
  return {arg.substr(0, equals), arg.substr(equals + 1)};
}

/// The whole of @p text as an integer in [low, high], or nullopt.
std::optional<int> parseIntInRange(std::string_view text, int low, int high) {
  int value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  const auto [end, error] = std::from_chars(first, last, value);
  if (error != std::errc{} || end != last) return std::nullopt;  // not all digits, or overflow
  if (value < low || value > high) return std::nullopt;           // out of range
  return value;
}

/// Parses the value of number flag @p name into @p out (left alone on error).
/// @return nullopt on success, else the error text.
std::optional<std::string> readNumber(std::string_view name, std::string_view value, int low,
                                      int high, int& out) {
  const auto number = parseIntInRange(value, low, high);
  if (!number) {
    return std::string(name) + " needs a whole number in " + std::to_string(low) + ".." +
           std::to_string(high) + ", not '" + std::string(value) + "'";
  }
  out = *number;
  return std::nullopt;
}

/// Stores a --staff-pin value in @p out (left alone on error). A PIN must
/// survive the wire (no newline) and the shell (no spaces).
/// @return nullopt on success, else the error text.
std::optional<std::string> readStaffPin(std::string_view value, std::string& out) {
  constexpr std::size_t kMaxPin = 64;
  bool printable = value.size() <= kMaxPin;
  for (char c : value) printable = printable && c > ' ' && c <= '~';
  if (!printable) return "--staff-pin needs 1..64 printable characters without spaces";
  out = std::string(value);
  return std::nullopt;
}

/// The staff PIN from the first line of file @p path, which must be the
/// caller's own and closed to everyone else (no group or other bits): a PIN
/// that others can read is no better than one on the command line.
std::optional<std::string> readStaffPinFile(std::string_view path, std::string& out) {
  const std::string name{path};
  std::ifstream file{name};
  struct stat info {};
  if (!file || ::stat(name.c_str(), &info) != 0) return "--staff-pin-file " + name + ": cannot be read";
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return "--staff-pin-file " + name + ": mode " + mode + " lets others read or change it; chmod 600 " + name;
  }
  std::string line;
  std::getline(file, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (readStaffPin(line, out)) return "--staff-pin-file " + name + ": the first line must be 1..64 printable characters without spaces";
  return std::nullopt;
}

/// A timeout flag: whole seconds 1..3600, stored in @p out_ms as milliseconds.
std::optional<std::string> readTimeout(std::string_view name, std::string_view value, int& out_ms) {
  int seconds = 0;
  auto error = readNumber(name, value, 1, 3600, seconds);
  if (!error) out_ms = seconds * 1000;
  return error;
}

/// The flags that take a value; applyValue() handles exactly these.
bool takesValue(std::string_view name) {
  for (std::string_view known :
       {"--host", "--port", "--data-dir", "--stage", "--parcel-lockers", "--food-slots",
        "--idle-timeout", "--frame-timeout", "--backlog", "--pool", "--trace", "--max-connections", "--staff-pin", "--staff-pin-file",
        "--lockout-attempts", "--lockout-seconds", "--code-quarantine-hours"}) {
    if (name == known) return true;
  }
  return false;
}

/// Stores @p value of flag @p name in @p config.
/// @return nullopt on success, else the error text.
std::optional<std::string> applyValue(ServerConfig& config, std::string_view name,
                                      std::string_view value) {
  if (value.empty()) return std::string(name) + " needs a value";  // "--host=" or "--host ''"

  if (name == "--host") {
    config.host = std::string(value);
    return std::nullopt;
  }
  if (name == "--data-dir") {
    config.services.data_dir = std::string(value);
    return std::nullopt;
  }
  if (name == "--trace") {
    config.trace_path = std::string(value);
    return std::nullopt;
  }
  if (name == "--port") {
    int port = 0;
    auto error = readNumber(name, value, 0, 65535, port);
    if (!error) config.port = static_cast<std::uint16_t>(port);
    return error;
  }
  if (name == "--idle-timeout") return readTimeout(name, value, config.idle_timeout_ms);
  if (name == "--frame-timeout") return readTimeout(name, value, config.frame_timeout_ms);
  if (name == "--stage") return readNumber(name, value, 1, 4, config.stage);
  if (name == "--parcel-lockers") {
    return readNumber(name, value, 1, 999, config.services.parcel_lockers);
  }
  if (name == "--food-slots") return readNumber(name, value, 1, 999, config.services.food_slots);
  if (name == "--backlog") return readNumber(name, value, 1, 65535, config.backlog);
  if (name == "--pool") return readNumber(name, value, 0, 256, config.pool);
  if (name == "--max-connections") return readNumber(name, value, 1, 65535, config.max_connections);
  if (name == "--staff-pin") {
    config.warnings.push_back("--staff-pin: the PIN is visible to every local user in /proc/" +
                              std::to_string(::getpid()) + "/cmdline; use --staff-pin-file");
    return readStaffPin(value, config.services.staff_pin);
  }
  if (name == "--staff-pin-file") return readStaffPinFile(value, config.services.staff_pin);
  if (name == "--lockout-attempts") {
    return readNumber(name, value, 1, 1000, config.services.lockout.attempts);
  }
  if (name == "--lockout-seconds") {
    return readNumber(name, value, 1, 86400, config.services.lockout.seconds);
  }
  if (name == "--code-quarantine-hours") {
    return readNumber(name, value, 0, 8760, config.services.code_quarantine_hours);
  }
  return "unknown option " + std::string(name);  // unreachable while takesValue() agrees
}

// The program's name as it was run, without its directory.
std::string programName(int argc, char** argv) {
  if (argc < 1 || argv[0] == nullptr || argv[0][0] == '\0') return "cabinetd";
  const std::string_view path = argv[0];
  return std::string(path.substr(path.rfind('/') + 1));
}

std::string usage(const std::string& program) { return "usage: " + program + std::string(kUsage); }

ArgsExit usageError(const std::string& program, const std::string& what) {
  return ArgsExit{program + ": " + what + "\n" + usage(program), 2};
}

}  // namespace

std::variant<ServerConfig, ArgsExit> parseServerArgs(int argc, char** argv) {
  ServerConfig config;
  const std::string program = programName(argc, argv);
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto [name, inline_value] = splitFlag(arg);

    if (name == "--help" || name == "--quiet") {
      if (inline_value) return usageError(program, std::string(name) + " takes no value");
      if (name == "--help") return ArgsExit{usage(program), 0};
      config.quiet = true;
      continue;
    }
    if (!takesValue(name)) return usageError(program, "unknown argument '" + std::string(arg) + "'");

    std::string_view value;
    if (inline_value) {
      value = *inline_value;  // --flag=value
    } else if (i + 1 < argc) {
      value = argv[++i];  // --flag value
    } else {
      return usageError(program, std::string(name) + " needs a value");  // flag was the last word
    }
    if (auto error = applyValue(config, name, value)) return usageError(program, *error);
  }
  return config;
}

}  // namespace mc
