# handin.cmake: packs a student's lab files for handing in, with a MANIFEST
# saying whose they are, when they were packed and what each file holds.
# Run by the `handin` target (`cmake --build --preset starter --target handin`):
#   cmake -DSOURCE_DIR=<kit> -DLAB_FILES=a.cpp,b.cpp,... [-DWORK_DIR=<scratch>]
#         [-DOUTPUT_DIR=<where>] [-DUSER_NAME=<name>] -P handin.cmake
#
# Writes OUTPUT_DIR/handin-USER.tar.gz (OUTPUT_DIR: the kit's root), holding
# only the files listed in LAB_FILES (MC_LAB_FILES of the root CMakeLists.txt),
# from starter/lab/, and a MANIFEST:
#   handin-USER/MANIFEST
#   handin-USER/lab/robust_io.cpp ...
# USER is USER_NAME, else $USER, else `id -un`, kept to [A-Za-z0-9_.-].
# The MANIFEST's format is read by tests/grader/handin.py (keep them in step):
#   user: alice
#   date: 2026-12-08T10:11:12Z            (UTC)
#   commit: <the kit's git commit, or none>
#   <sha256>  <size>  lab/robust_io.cpp   (one line per file)
cmake_minimum_required(VERSION 3.22)

if(NOT SOURCE_DIR OR NOT LAB_FILES)
  message(FATAL_ERROR "handin.cmake: needs -DSOURCE_DIR=... and -DLAB_FILES=a.cpp,b.cpp,...")
endif()
if(NOT OUTPUT_DIR)
  set(OUTPUT_DIR ${SOURCE_DIR})
endif()
if(NOT WORK_DIR)
  set(WORK_DIR ${OUTPUT_DIR}/.handin-work)
endif()
set(limit 2097152)  # what tests/grade accepts, uncompressed (handin.py LIMIT_BYTES)

# Whose: a name safe in a file name (the same cleaning as handin.py safe_name).
set(user "${USER_NAME}")
if(user STREQUAL "")
  set(user "$ENV{USER}")
endif()
if(user STREQUAL "")
  execute_process(COMMAND id -un OUTPUT_VARIABLE user OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
string(REGEX REPLACE "[^A-Za-z0-9_.-]" "_" user "${user}")
string(REGEX REPLACE "^[.-]+" "" user "${user}")
string(SUBSTRING "${user}" 0 64 user)
if(user STREQUAL "")
  set(user student)
endif()
set(top handin-${user})
set(output ${OUTPUT_DIR}/${top}.tar.gz)

# When, and from which commit (none when the kit is no git checkout).
string(TIMESTAMP date "%Y-%m-%dT%H:%M:%SZ" UTC)
set(commit none)
set(uncommitted "")
find_program(GIT git)
if(GIT)
  execute_process(COMMAND ${GIT} rev-parse HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE head RESULT_VARIABLE failed OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT failed AND head MATCHES "^[0-9a-f]+$")
    set(commit ${head})
    execute_process(COMMAND ${GIT} status --porcelain -- starter/lab WORKING_DIRECTORY ${SOURCE_DIR}
                    OUTPUT_VARIABLE changed ERROR_QUIET)
    if(NOT changed STREQUAL "")
      set(uncommitted "uncommitted: starter/lab has changes that commit does not hold\n")
    endif()
  endif()
endif()

# The lab files, copied (a symlink's target's bytes, never the link) into a
# folder of their own, each with its sha256 and size.
string(REPLACE "," ";" lab_files "${LAB_FILES}")
set(stage ${WORK_DIR}/${top})
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${stage}/lab)
set(lines "")
set(listing "")
set(missing "")
set(total 0)
set(count 0)
foreach(name IN LISTS lab_files)
  set(source ${SOURCE_DIR}/starter/lab/${name})
  if(NOT EXISTS ${source} OR IS_DIRECTORY ${source})
    list(APPEND missing ${name})
    continue()
  endif()
  file(COPY_FILE ${source} ${stage}/lab/${name})
  file(SHA256 ${stage}/lab/${name} sha)
  file(SIZE ${stage}/lab/${name} size)
  string(APPEND lines "${sha}  ${size}  lab/${name}\n")
  string(APPEND listing "  lab/${name}  ${size} bytes  sha256 ${sha}\n")
  math(EXPR total "${total} + ${size}")
  math(EXPR count "${count} + 1")
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "handin: no lab file found in ${SOURCE_DIR}/starter/lab")
endif()
if(total GREATER limit)
  message(FATAL_ERROR "handin: the lab files hold ${total} bytes, more than the grader accepts (${limit})")
endif()
file(WRITE ${stage}/MANIFEST
  "# MultiCabinet hand-in: cmake --build --preset starter --target handin\n"
  "user: ${user}\n"
  "date: ${date}\n"
  "commit: ${commit}\n"
  "${uncommitted}"
  "# sha256  size  file\n"
  "${lines}")

# Packed under a temporary name, then renamed: a hand-in is whole or absent.
execute_process(COMMAND ${CMAKE_COMMAND} -E tar czf ${output}.part ${top}
                WORKING_DIRECTORY ${WORK_DIR} RESULT_VARIABLE tar_failed)
if(tar_failed)
  file(REMOVE ${output}.part)
  message(FATAL_ERROR "handin: could not write ${output}")
endif()
file(RENAME ${output}.part ${output})
file(REMOVE_RECURSE ${WORK_DIR})

file(SIZE ${output} packed)
message(STATUS "handin: wrote ${output} (${packed} bytes)")
message(STATUS "  user ${user}, ${date}, kit commit ${commit}")
message(STATUS "  ${count} lab files, ${total} bytes, and their MANIFEST, under ${top}/:\n${listing}")
if(missing)
  list(JOIN missing ", " missing)
  message(WARNING "handin: not in starter/lab, so not handed in: ${missing}")
endif()
message(STATUS "Hand in that file. `tar tzvf ${top}.tar.gz` lists it; nothing else of the kit is in it.")
