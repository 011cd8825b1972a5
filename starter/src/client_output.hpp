/// @file client_output.hpp
/// @brief How the client shows a reply: a sentence for people, JSON for scripts.
/// Runs in: the client. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "protocol.hpp"

namespace mc {

/// @brief One or more lines for a person, ending with who served it, e.g.
/// "Parcel stored in locker P-07. Pickup code: 482913  (parcel service, pid 4121, thread 4127)".
/// No trailing newline. Thread safety: pure, safe from any thread.
std::string formatHuman(const Reply& reply);

/// @brief One JSON object on one line: ok, status, message, request_id, the
/// operation's fields, served_by {service, pid, tid}. See docs/protocol.md.
/// No trailing newline. Thread safety: pure, safe from any thread.
std::string formatJson(const Reply& reply);

/// @brief {"ok":false,"status":@p status,"message":@p message} on one line:
/// what `cabinet --json` prints when there is no reply to show (status
/// "USAGE" or "CONNECTION_ERROR"). Thread safety: pure.
std::string formatJsonError(std::string_view status, std::string_view message);

}  // namespace mc
