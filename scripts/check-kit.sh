#!/usr/bin/env bash
# check-kit.sh: the student kit, tried as a student would (run by .ci/run).
#  1. Both editions of the kit (MC_HANDOUT_HINTS=contracts and full) build
#     on their own, without solution/, their provided-code tests pass and
#     every lab fails on the untouched starter.
#  2. Every command of the kit's README runs in the contracts kit, as handed
#     out: the lab commands fail (the TODOs are not done), the rest work.
#  3. The same kit with the reference's lab files in starter/lab (a student
#     who has finished): every README command succeeds, tests/grade gives
#     full marks, and grading again with nothing changed is timed.
# Needs a configured default preset (scripts/test.sh does that).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

# KIT_PARENT: where to extract the kits (.ci/run: inside the clone, for ccache).
work=$(mktemp -d "${KIT_PARENT:-${TMPDIR:-/tmp}}/build-kit.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }

# make_kit HINTS: writes and extracts one edition; prints its folder.
make_kit() {
  local hints=$1
  cmake -DSOURCE_DIR="$repo" -DOUTPUT="$work/kit-$hints.tar.gz" -DHINTS="$hints" \
        -P cmake/make_handout.cmake > /dev/null
  mkdir -p "$work/$hints"
  tar xzf "$work/kit-$hints.tar.gz" -C "$work/$hints"
  echo "$work/$hints/multicabinet-handout"
}

# check_untouched KIT HINTS: builds the kit as handed out; every lab must fail.
check_untouched() {
  local kit=$1 hints=$2
  [ -e "$kit/solution" ] && fail "the $hints kit contains solution/"
  grep -q "^# MultiCabinet: your lab kit" "$kit/README.md" || fail "the $hints kit's README is not the student one"
  if [ "$hints" = full ] && grep -rq "// Hints: labs/" "$kit/starter/lab"; then
    fail "the full kit still has Hints: lines instead of the hints"
  fi
  (cd "$kit" && cmake --preset starter > "$kit/configure.log" 2>&1) || { tail -n 20 "$kit/configure.log"; fail "the $hints kit does not configure"; return; }
  (cd "$kit" && cmake --build --preset starter > "$kit/build.log" 2>&1) || { tail -n 30 "$kit/build.log"; fail "the $hints kit does not build"; return; }
  if ! (cd "$kit" && ctest --preset starter -L kit > "$kit/kit.log" 2>&1); then
    tail -n 30 "$kit/kit.log"
    fail "the $hints kit's provided-code tests fail"
  fi
  for lab in 1 2 3 4 5 6; do
    if (cd "$kit" && ctest --preset starter -L "lab$lab" > "$kit/lab$lab.log" 2>&1); then
      fail "the untouched $hints kit passes lab $lab"
    elif ! grep -qE "tests failed out of [1-9]" "$kit/lab$lab.log"; then
      tail -n 10 "$kit/lab$lab.log"
      fail "lab $lab of the $hints kit failed without running a test"
    else
      echo "  $hints kit, lab $lab: $(grep -E 'tests passed' "$kit/lab$lab.log")"
    fi
  done
}

echo "=== the kit, both editions: builds alone, every lab fails untouched ==="
contracts=$(make_kit contracts)
full=$(make_kit full)
check_untouched "$full" full
rm -rf "$full"  # the rest uses the contracts edition
check_untouched "$contracts" contracts
# The edition's TODOs differ only in their comments.
if diff -rq "$repo/starter/lab" "$contracts/starter/lab" > /dev/null; then
  echo "  contracts kit: starter/lab as in the repository"
else
  fail "the contracts kit's starter/lab differs from the repository's"
fi

if command -v doxygen > /dev/null; then
  echo "=== the kit's docs: the student edition ==="
  (cd "$contracts" && cmake --build --preset starter --target docs > "$work/docs.log" 2>&1) \
    || { tail -n 20 "$work/docs.log"; fail "the kit's docs do not build"; }
  grep -q "docs: 0 Doxygen warnings" "$work/docs.log" || { grep -i warning "$work/docs.log" | head; fail "the kit's docs warn"; }
  if find "$contracts/build/docs/html" -name '*solution*' -print -quit | grep -q . \
      || grep -rqE "solution/[a-z_]+\.cpp" "$contracts/build/docs/html" --include='*.html'; then
    fail "the kit's docs have pages of solution/ files"
  fi
  echo "  $(ls "$contracts/build/docs/html" | wc -l) files, $(grep -o "docs: [0-9]* Doxygen warnings" "$work/docs.log")"
fi

echo "=== the kit's README, every command, as handed out ==="
scripts/run-readme.py "$contracts" --expect untouched --log "$work/readme-untouched.log" \
  || fail "a README command of the untouched kit did not do what it should"

echo "=== the kit's README, every command, with every lab done ==="
cp solution/*.cpp "$contracts/starter/lab/"
scripts/run-readme.py "$contracts" --expect finished --log "$work/readme-finished.log" \
  || fail "a README command of the finished kit failed"
grade_log="$work/regrade.log"
started=$SECONDS
(cd "$contracts" && tests/grade --lab 1 > "$grade_log" 2>&1) || fail "tests/grade failed in the finished kit"
echo "  re-grading lab 1 of an unchanged kit: $((SECONDS - started)) s in all; $(grep -m1 -iE '^ *build' "$grade_log" || echo 'no build line')"
grep "^TOTAL" "$grade_log" | tail -n 1 | sed "s/^/  /" || true
if ! grep -qx "TOTAL 20/20" "$grade_log"; then
  tail -n 30 "$grade_log"
  fail "the finished kit does not get full marks in lab 1"
fi
handin=$(ls "$contracts"/handin-*.tar.gz 2>/dev/null | head -n 1 || true)
if [ -z "$handin" ]; then
  fail "the handin target wrote no handin-*.tar.gz"
else
  echo "=== the instructor grades the handin tarball ==="
  tar tzf "$handin" | sed 's/^/  /' | head -n 4 || true
  tests/grade --impl "$handin" --lab 1 --repeat 1 --no-tsan --build-dir "$work/handin-grade" \
    > "$work/handin-grade.log" 2>&1 || fail "tests/grade --impl $(basename "$handin") failed"
  grep -qx "TOTAL 20/20" "$work/handin-grade.log" || { tail -n 20 "$work/handin-grade.log"; fail "the handed-in lab files do not get full marks in lab 1"; }
  echo "  $(grep -m1 -x "TOTAL 20/20" "$work/handin-grade.log")"
fi

exit $status
