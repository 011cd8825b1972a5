# make_handout.cmake: writes the student kit, a tarball of the repository
# without the reference solution and without instructor-only material.
# Run by the `handout` target:  cmake -DSOURCE_DIR=... -DOUTPUT=... -P make_handout.cmake
#
# What is left out:
#   solution/          the complete lab files
#   docs/instructor/   grading notes
#   tests/mutants/     known-mistake patches of the solution
#   tests/cheats/      attempts to game the grader (patches of the starter)
#   .ci/               this repository's own CI
# Everything else (starter/, tests/, labs/, docs/, diagrams/, tools/, scripts/)
# goes in, so the kit builds (only its starter tree) and runs its tests.
cmake_minimum_required(VERSION 3.22)

set(excluded "^(solution/|docs/instructor/|tests/mutants/|tests/cheats/|\\.ci/|build)")

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
execute_process(
  COMMAND ${CMAKE_COMMAND} -E tar czf ${OUTPUT} multicabinet-handout
  WORKING_DIRECTORY ${stage_parent}
  RESULT_VARIABLE tar_failed)
if(tar_failed)
  message(FATAL_ERROR "could not write ${OUTPUT}")
endif()
file(REMOVE_RECURSE ${stage})
list(LENGTH files count)
message(STATUS "handout: ${OUTPUT} (${count} files, no solution/)")
