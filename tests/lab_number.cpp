/// @file lab_number.cpp
/// @brief labNumber(): which lab this test executable grades. Compiled once
/// per suite with MC_LAB=N (tests/CMakeLists.txt), so that the e2e sources,
/// compiled once for every lab, ask at run time which stages to check.
/// Runs in: every test executable.
#include "test_client.hpp"

#ifndef MC_LAB
#error "compile with -DMC_LAB=N (0 for suites of no lab)"
#endif

namespace mc::test {

int labNumber() { return MC_LAB; }

}  // namespace mc::test
