/// @file todo.hpp
/// @brief notImplemented(): what a lab function does until you write it.
/// Runs in: any process of the starter.
#pragma once

namespace mc {

/// @brief Prints "not implemented: lab N: WHAT" and aborts the process.
/// Every TODO(labN) body in starter/lab/ calls it, so an unfinished function
/// fails loudly the first time it runs instead of misbehaving quietly.
[[noreturn]] void notImplemented(int lab, const char* what);

}  // namespace mc
