/// @file log.hpp
/// @brief One line per event on stderr, never interleaved between threads.
/// Runs in: the server and its service children.
#pragma once

#include <string_view>

namespace mc {

/// @brief Writes "[cabinetd <who> pid P tid T] <text>\n" to stderr in one
/// write(2), so lines from many threads and processes never mix.
/// Thread-safe and safe to call in a forked child.
void logLine(std::string_view who, std::string_view text);

/// @brief When @p quiet, logLine drops everything but errors (logError).
void setLogQuiet(bool quiet);

/// @brief Like logLine, but printed even when quiet.
void logError(std::string_view who, std::string_view text);

}  // namespace mc
