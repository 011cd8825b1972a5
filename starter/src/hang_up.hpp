/// @file hang_up.hpp
/// @brief Closing a connection without destroying the last reply on its way.
/// Runs in: the server (a connection thread).
///
/// Why this is needed: when a socket is closed while bytes the peer sent are
/// still unread in our receive buffer, TCP does not send a polite FIN; it
/// sends a reset (RST). A reset makes the peer's kernel throw away whatever it
/// had not yet handed to the application, which may be the BAD_REQUEST reply we
/// wrote just before. So after a fatal frame error we first say "no more from
/// us" (shutdown SHUT_WR: the reply, then FIN), then read and discard what the
/// client still sends until it closes too, for a bounded time.
#pragma once

#include <chrono>

#include "fd.hpp"

namespace mc {

/// @brief Half-closes @p socket and discards what the peer still sends, until
/// it closes, @p limit passes or 64 KiB have been read. The caller still owns
/// and closes the descriptor. Never throws; thread-safe for distinct sockets.
void hangUpAfterLastReply(const Fd& socket, std::chrono::milliseconds limit = std::chrono::milliseconds{1000});

}  // namespace mc
