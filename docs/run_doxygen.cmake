# run_doxygen.cmake: the docs target's Doxygen run (docs/CMakeLists.txt).
#   cmake -DDOXYGEN=... -DDOXYFILE=... -DLOG=... -P run_doxygen.cmake
# Doxygen writes its warnings to LOG (WARN_LOGFILE in the Doxyfile), not to
# the terminal, so this prints them after the run, and how many there were.
# Whether they fail the build is the Doxyfile's WARN_AS_ERROR: the instructor
# edition sets FAIL_ON_WARNINGS (every warning listed, then a failure), the
# student edition NO.
cmake_minimum_required(VERSION 3.22)

file(REMOVE ${LOG})
execute_process(COMMAND ${DOXYGEN} ${DOXYFILE} RESULT_VARIABLE failed)

set(count 0)
if(EXISTS ${LOG})
  file(READ ${LOG} text)
  if(NOT text STREQUAL "")
    message("${text}")
  endif()
  file(STRINGS ${LOG} warnings REGEX ": (warning|error): ")
  list(LENGTH warnings count)
endif()
if(failed)
  message(FATAL_ERROR "docs: Doxygen failed with ${count} warnings (${LOG})")
endif()
message(STATUS "docs: ${count} Doxygen warnings (${LOG})")
