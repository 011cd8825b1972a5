# make_handout.cmake: writes the student kit, a tarball of the repository
# without the reference solution and without instructor-only material.
# Run by the `handout` target:
#   cmake -DSOURCE_DIR=... -DOUTPUT=... [-DHINTS=contracts|full] -P make_handout.cmake
#
# What is left out:
#   solution/           the complete lab files
#   docs/instructor/    grading notes
#   tests/mutants/      known-mistake patches of the solution
#   tests/cheats/       attempts to game the grader (patches of the starter)
#   tests/gradescope/   the instructor's Gradescope wrapper
#   tests/reliability/  tests of the reference server only
#   fuzz/               fuzzers of the reference code
#   .ci/                this repository's own CI
#   scripts/ that only maintainers run (checks, benchmarks, the autograder zip)
# Everything else (starter/, tests/, labs/, docs/, diagrams/, tools/) goes in,
# so the kit builds (only its starter tree) and runs its tests. What changes on
# the way:
#   README.md           the kit's own, starter/README.md (the repository's
#                       README is the maintainers')
#   CMakePresets.json   only the presets that build the student's tree
#   starter/lab/*.cpp   with HINTS=full, each TODO's "Hints:" line is replaced
#                       by its numbered hints (cmake/handout_hints.cmake);
#                       contracts (the default) leaves the contract alone
cmake_minimum_required(VERSION 3.22)

if(NOT DEFINED HINTS OR HINTS STREQUAL "")
  set(HINTS contracts)
endif()

set(excluded "^(solution/|docs/instructor/|tests/mutants/|tests/cheats/|tests/gradescope/|tests/reliability/|fuzz/|\\.ci/|build|starter/README\\.md$|scripts/(check-|bench|soak|fuzz|grade-loop|make-autograder|measure|run-readme|test\\.sh))")

# The files git tracks (plus new, not ignored ones), or, outside a checkout,
# every file but build output.
execute_process(
  COMMAND git ls-files --cached --others --exclude-standard
  WORKING_DIRECTORY ${SOURCE_DIR}
  OUTPUT_VARIABLE listed RESULT_VARIABLE git_failed ERROR_QUIET)
if(git_failed)
  file(GLOB_RECURSE listed RELATIVE ${SOURCE_DIR} ${SOURCE_DIR}/*)
else()
  string(REPLACE "\n" ";" listed "${listed}")
endif()

set(files "")
foreach(path IN LISTS listed)
  if(path STREQUAL "" OR path MATCHES "${excluded}" OR NOT EXISTS ${SOURCE_DIR}/${path})
    continue()
  endif()
  list(APPEND files ${path})
endforeach()

# Stage the files under one top-level folder, then pack it.
get_filename_component(stage_parent ${OUTPUT} DIRECTORY)
set(stage ${stage_parent}/multicabinet-handout)
file(REMOVE_RECURSE ${stage})
foreach(path IN LISTS files)
  get_filename_component(folder ${path} DIRECTORY)
  file(COPY ${SOURCE_DIR}/${path} DESTINATION ${stage}/${folder})
endforeach()

# The kit's README is written for students.
file(COPY_FILE ${SOURCE_DIR}/starter/README.md ${stage}/README.md)

# The kit's presets: the student's tree only (the maintainers' presets build
# the reference solution, which the kit has not got).
file(READ ${SOURCE_DIR}/CMakePresets.json presets)
foreach(kind configurePresets buildPresets testPresets)
  string(JSON count LENGTH "${presets}" ${kind})
  math(EXPR index "${count} - 1")
  while(index GREATER_EQUAL 0)
    string(JSON name GET "${presets}" ${kind} ${index} name)
    if(NOT name MATCHES "^starter")
      string(JSON presets REMOVE "${presets}" ${kind} ${index})
    endif()
    math(EXPR index "${index} - 1")
  endwhile()
endforeach()
file(WRITE ${stage}/CMakePresets.json "${presets}\n")

# How much help the TODOs carry: the instructor's choice.
include(${SOURCE_DIR}/cmake/handout_hints.cmake)
mc_apply_handout_hints(${stage} ${HINTS})
execute_process(
  COMMAND ${CMAKE_COMMAND} -E tar czf ${OUTPUT} multicabinet-handout
  WORKING_DIRECTORY ${stage_parent}
  RESULT_VARIABLE tar_failed)
if(tar_failed)
  message(FATAL_ERROR "could not write ${OUTPUT}")
endif()
file(REMOVE_RECURSE ${stage})
list(LENGTH files count)
message(STATUS "handout: ${OUTPUT} (${count} files, no solution/, hints: ${HINTS})")
