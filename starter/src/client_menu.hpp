/// @file client_menu.hpp
/// @brief The interactive menu `cabinet` shows when it is given no command.
/// Runs in: the client. Owns: one ClientSession for the whole menu.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace mc {

/// The language of the menu's own text (replies are shown by formatHuman).
enum class Language { kEnglish, kChinese };

/// Where the menu connects and how it talks.
struct MenuOptions {
  std::string host = "127.0.0.1";                       ///< cabinetd's address
  std::uint16_t port = 0;                               ///< cabinetd's port
  std::chrono::milliseconds timeout = std::chrono::seconds(10);  ///< per reply
  Language language = Language::kEnglish;               ///< menu text: en or zh
  std::string staff_pin;  ///< sent as field `pin` with Status (a staff command); empty = none
};

/// @brief Shows a numbered menu on @p out, reads choices and their details
/// (user id, pickup code, product) from @p in, sends each as a request and
/// shows the reply, until the user picks Quit or @p in reaches EOF.
/// One connection serves the whole menu; if the server closed it (its idle
/// timeout, say), the menu reconnects once and sends the request again.
/// @return the exit status: 0 after Quit or EOF, 2 if the server could not be
/// reached at the start. Never throws for a network error.
/// Thread safety: uses @p in and @p out; run one menu per pair of streams.
int runMenu(const MenuOptions& options, std::istream& in, std::ostream& out);

}  // namespace mc
