# handout_hints.cmake: which help the student kit's lab files carry.
# include() it, then call mc_apply_handout_hints(STAGE_DIR MODE) on a staged kit.
#
# Each TODO in starter/lab/ states its contract and ends with one marker line,
#     // Hints: labs/01-sockets/HINTS.md#readexactly
# a path relative to the kit root and the GitHub anchor of a heading in that
# file. The heading's section holds numbered hints (1. 2. ...), each maybe
# continued on indented lines.
#
#   MODE contracts  the lab files stay as they are: each marker is a link.
#   MODE full       each marker becomes its section's hints, as comment lines
#                   at the marker's indentation:
#                       // Hints (labs/01-sockets/HINTS.md):
#                       //   1. ...
#
# Either way every marker must resolve: a missing file, a missing anchor, a
# section with no numbered hint or a malformed marker is a FATAL_ERROR, so a
# renamed heading cannot silently lose its hints. Nothing is written unless
# every marker resolves, and a second full run changes nothing.
include_guard(GLOBAL)

# CMake lists split on ';' and treat '[', ']' and '\' specially, and source
# or Markdown text holds all four: lines are kept encoded while they are
# list elements, and decoded only on the way out.
function(_mc_hints_encode text out)
  string(REPLACE "\r" "" text "${text}")
  string(REPLACE "\\" "@MC_BACKSLASH@" text "${text}")
  string(REPLACE ";" "@MC_SEMICOLON@" text "${text}")
  string(REPLACE "[" "@MC_LBRACKET@" text "${text}")
  string(REPLACE "]" "@MC_RBRACKET@" text "${text}")
  string(REPLACE "\n" ";" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

function(_mc_hints_decode text out)
  string(REPLACE "@MC_RBRACKET@" "]" text "${text}")
  string(REPLACE "@MC_LBRACKET@" "[" text "${text}")
  string(REPLACE "@MC_SEMICOLON@" ";" text "${text}")
  string(REPLACE "@MC_BACKSLASH@" "\\" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# GitHub's anchor for a heading: lower case; only letters, digits, '_', '-'
# and spaces kept; each space a '-'. "Server::shutDown" -> "servershutdown".
function(_mc_hints_anchor heading out)
  _mc_hints_decode("${heading}" heading)
  string(STRIP "${heading}" heading)
  string(TOLOWER "${heading}" anchor)
  string(REGEX REPLACE "[^a-z0-9 _-]" "" anchor "${anchor}")
  string(REPLACE " " "-" anchor "${anchor}")
  set(${out} "${anchor}" PARENT_SCOPE)
endfunction()

# Reads the Markdown file @p md. Sets, in the caller: ${prefix}_anchors, the
# list of its headings' anchors (a repeated one gets -1, -2, ... as on
# GitHub), and ${prefix}_<anchor>, the encoded lines of that section's
# numbered hints.
function(_mc_hints_read_sections md prefix)
  file(READ "${md}" text)
  _mc_hints_encode("${text}" lines)
  set(anchors "")
  set(section "")
  set(in_fence FALSE)
  set(in_item FALSE)
  foreach(line IN LISTS lines)
    if(line MATCHES "^[ ]*(```|~~~)")
      if(in_fence)
        set(in_fence FALSE)
      else()
        set(in_fence TRUE)
      endif()
      set(in_item FALSE)
    elseif(in_fence)
      continue()
    elseif(line MATCHES "^#+[ \t]+(.*)$")
      string(REGEX REPLACE "[ \t]+#*[ \t]*$" "" heading "${CMAKE_MATCH_1}")
      _mc_hints_anchor("${heading}" base)
      set(anchor "${base}")
      set(n 0)
      list(FIND anchors "${anchor}" seen)
      while(seen GREATER -1)
        math(EXPR n "${n} + 1")
        set(anchor "${base}-${n}")
        list(FIND anchors "${anchor}" seen)
      endwhile()
      list(APPEND anchors "${anchor}")
      set(section "${anchor}")
      set(hints_${section} "")
      set(in_item FALSE)
    elseif(NOT section STREQUAL "" AND line MATCHES "^[0-9]+\\. ")
      list(APPEND hints_${section} "${line}")
      set(in_item TRUE)
    elseif(in_item AND line MATCHES "^[ \t]+[^ \t]")
      list(APPEND hints_${section} "${line}")
    else()
      set(in_item FALSE)  # a blank line or a paragraph ends the item
    endif()
  endforeach()
  set(${prefix}_anchors "${anchors}" PARENT_SCOPE)
  foreach(anchor IN LISTS anchors)
    set(${prefix}_${anchor} "${hints_${anchor}}" PARENT_SCOPE)
  endforeach()
endfunction()

# Rewrites (MODE full) or only checks (MODE contracts) the markers of every
# starter/lab source file under @p STAGE_DIR. See the top of this file.
function(mc_apply_handout_hints STAGE_DIR MODE)
  if(NOT MODE STREQUAL "contracts" AND NOT MODE STREQUAL "full")
    message(FATAL_ERROR "mc_apply_handout_hints: MODE is `contracts` (TODOs link to "
                        "labs/*/HINTS.md) or `full` (the hints written into the TODOs), not `${MODE}`")
  endif()
  file(GLOB sources "${STAGE_DIR}/starter/lab/*.cpp" "${STAGE_DIR}/starter/lab/*.hpp")
  list(SORT sources)
  if(NOT sources)
    message(FATAL_ERROR "mc_apply_handout_hints: no starter/lab/*.cpp under ${STAGE_DIR}")
  endif()

  set(read_files "")  # the HINTS.md files read so far, by number: hints<N>_...
  set(markers 0)
  foreach(source IN LISTS sources)
    file(RELATIVE_PATH shown "${STAGE_DIR}" "${source}")
    file(READ "${source}" text)
    _mc_hints_encode("${text}" lines)
    # The new text is built as a string: list(APPEND) would drop a leading
    # empty line.
    set(out "")
    set(newline "")
    set(number 0)
    foreach(line IN LISTS lines)
      math(EXPR number "${number} + 1")
      if(NOT line MATCHES "^[ \t]*// Hints:")
        string(APPEND out "${newline}${line}")
        set(newline "\n")
        continue()
      endif()
      if(NOT line MATCHES "^([ \t]*)// Hints: ([A-Za-z0-9_./-]+\\.md)#([a-z0-9_-]+)[ \t]*$")
        _mc_hints_decode("${line}" line)
        message(FATAL_ERROR "${shown}:${number}: a hints marker must read "
                            "`// Hints: labs/NN-name/HINTS.md#anchor`, not: ${line}")
      endif()
      set(indent "${CMAKE_MATCH_1}")
      set(md "${CMAKE_MATCH_2}")
      set(anchor "${CMAKE_MATCH_3}")
      if(md MATCHES "(^|/)\\.\\.(/|$)" OR NOT EXISTS "${STAGE_DIR}/${md}")
        message(FATAL_ERROR "${shown}:${number}: hints file ${md} is not a file of the kit")
      endif()
      list(FIND read_files "${md}" index)
      if(index LESS 0)
        list(LENGTH read_files index)
        list(APPEND read_files "${md}")
        _mc_hints_read_sections("${STAGE_DIR}/${md}" hints${index})
      endif()
      list(FIND hints${index}_anchors "${anchor}" found)
      if(found LESS 0)
        message(FATAL_ERROR "${shown}:${number}: ${md} has no heading with anchor #${anchor} "
                            "(its anchors: ${hints${index}_anchors})")
      endif()
      set(hints "${hints${index}_${anchor}}")
      if(hints STREQUAL "")
        message(FATAL_ERROR "${shown}:${number}: ${md}#${anchor} holds no numbered hint (1. ...)")
      endif()
      math(EXPR markers "${markers} + 1")
      if(MODE STREQUAL "contracts")
        string(APPEND out "${newline}${line}")
        set(newline "\n")
        continue()
      endif()
      # Not "// Hints:": a marker no longer, so a second run leaves it alone.
      string(APPEND out "${newline}${indent}// Hints (${md}):")
      set(newline "\n")
      foreach(hint IN LISTS hints)
        string(REGEX REPLACE "[ \t]+$" "" hint "${hint}")
        if(hint MATCHES "@MC_BACKSLASH@$")
          message(FATAL_ERROR "${md}#${anchor}: a hint line ends in a backslash, which would "
                              "continue the // comment onto the next line of code")
        endif()
        string(APPEND out "\n${indent}//   ${hint}")
      endforeach()
    endforeach()
    set(new_text_${source} "${out}")
  endforeach()
  # Written only once every marker of every file has resolved: a failure
  # leaves the stage as it was, never half rewritten.
  if(MODE STREQUAL "full")
    foreach(source IN LISTS sources)
      _mc_hints_decode("${new_text_${source}}" text)
      file(WRITE "${source}" "${text}")
    endforeach()
  endif()
  message(STATUS "handout hints: ${markers} markers, ${MODE} version")
endfunction()
