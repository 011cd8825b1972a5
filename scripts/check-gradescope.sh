#!/usr/bin/env bash
# check-gradescope.sh: Gradescope's default container, simulated on one CPU,
# as an instructor would meet it (run by .ci/run).
#  1. scripts/make-autograder.sh makes the zip; it is unpacked into a fake
#     /autograder (AUTOGRADER_ROOT, in a temporary folder);
#  2. setup.sh runs once (apt skipped: the packages are here already) and
#     must finish within 12 minutes;
#  3. run_autograder grades, each pinned to one CPU (taskset) and measured
#     with scripts/measure.py (wall, CPU of the whole tree, peak memory):
#       complete    the solution's lab files: 100/100, at most 240 CPU-s and
#                   600 MiB, inside the 540 s budget;
#       half-done   labs 1-2 done, the rest the starter's: full marks in
#                   labs 1-2, 0 in labs 3-4;
#       deadlock    a lab 4 whose semaphores never wake anyone
#                   (tests/gradescope/deadlock-lab4.patch), graded as a lab 4
#                   assignment (LAB=4) with a DEADLOCK_BUDGET s budget
#                   (default 240): results.json written, with the hang
#                   diagnosis, before the budget ends.
#  Each results.json must be valid for Gradescope. The figures are printed.
#   GRADESCOPE_CPU=N   the CPU to pin to (default 0)
#   KEEP=1             keep the fake /autograder and every results.json
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
for tool in python3 taskset unzip zip patch git; do
  command -v "$tool" > /dev/null || { echo "check-gradescope: needs $tool"; exit 1; }
done
cpu=${GRADESCOPE_CPU:-0}
deadlock_budget=${DEADLOCK_BUDGET:-240}
work=$(mktemp -d)
if [ -n "${KEEP:-}" ]; then echo "keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
ag=$work/autograder
status=0
figures=()

fail() { echo "FAIL: $*"; status=1; }

# measured NAME COMMAND...: runs it on one CPU and keeps its figures in $work/NAME.cost.
measured() {
  local name=$1
  shift
  taskset -c "$cpu" python3 scripts/measure.py --json "$work/$name.cost" -- "$@"
}

cost() {  # cost NAME FIELD
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/$1.cost" "$2"
}

echo "=== the zip, unpacked into a fake /autograder ==="
git diff --quiet HEAD -- tests starter CMakeLists.txt || echo "note: the zip holds HEAD, not uncommitted changes"
scripts/make-autograder.sh --out "$work/autograder.zip"
mkdir -p "$ag/source" "$ag/submission" "$ag/results"
unzip -q "$work/autograder.zip" -d "$ag/source"
export AUTOGRADER_ROOT=$ag
ccache_note="no compiler cache"
[ -n "${CCACHE_DIR:-}" ] && command -v ccache > /dev/null && ccache_note="with CI's compiler cache"

echo "=== setup.sh, once, on CPU $cpu ($ccache_note) ==="
SKIP_APT=1 measured setup bash "$ag/source/setup.sh" > "$work/setup.log" 2>&1 || {
  tail -n 30 "$work/setup.log"; fail "setup.sh failed"; exit 1; }
[ "$(cost setup wall_s | cut -d. -f1)" -lt 720 ] || fail "setup.sh took $(cost setup wall_s) s (limit 720)"
figures+=("$(printf '%-10s wall %6s s  CPU %6s s  peak %5s MiB' setup "$(cost setup wall_s)" "$(cost setup cpu_s)" "$(cost setup peak_mib)")")

# grade NAME: runs run_autograder on what is in $ag/submission.
grade() {
  local name=$1
  rm -f "$ag/results/results.json"
  measured "$name" bash "$ag/source/run_autograder" > "$work/$name.out" 2>&1 || true
  figures+=("$(printf '%-10s wall %6s s  CPU %6s s  peak %5s MiB' "$name" "$(cost "$name" wall_s)" "$(cost "$name" cpu_s)" "$(cost "$name" peak_mib)")")
  if [ ! -f "$ag/results/results.json" ]; then
    fail "$name: no results.json"; tail -n 20 "$work/$name.out"; return 1
  fi
  cp "$ag/results/results.json" "$work/$name.results.json"
  python3 - "$work/$name.results.json" <<'PY' || fail "$name: results.json is not valid for Gradescope"
import json, sys
sys.path.insert(0, "tests")
from grader.report import validate_results
problems = validate_results(json.load(open(sys.argv[1])))
if problems:
    sys.exit(f"{sys.argv[1]}: {problems}")
PY
}

# labs NAME: "lab1 20/20 ..." from its results.json, and what it says of
# ThreadSanitizer and the budget.
labs() {
  python3 -c "
import json, sys
data = json.load(open(sys.argv[1]))
print('  '.join(f'{lab} {s}/{m}' for lab, (s, m) in data['extra_data']['labs'].items()), '| total', data['score'])
for line in data['output'].splitlines():
    if 'ThreadSanitizer' in line or 'budget' in line:
        print('  ' + line)
" "$work/$1.results.json"
}

# expect NAME PYTHON-EXPRESSION MESSAGE: over `lab` (name -> score) and `data`.
expect() {
  python3 - "$work/$1.results.json" "$2" "$3" <<'PY' || status=1
import json, sys
data = json.load(open(sys.argv[1]))
lab = {name: score for name, (score, _max) in data["extra_data"]["labs"].items()}
if not eval(sys.argv[2]):
    print("FAIL:", sys.argv[3], lab)
    sys.exit(1)
PY
}

echo "=== a complete submission (the solution's lab files) ==="
cp solution/*.cpp "$ag/submission/"
grade complete && labs complete
expect complete 'data["score"] >= 99.99' "the complete submission is not at full marks"
[ "$(cost complete cpu_s | cut -d. -f1)" -le 240 ] || fail "complete: $(cost complete cpu_s) CPU-s (limit 240)"
[ "$(cost complete peak_mib)" -le 600 ] || fail "complete: $(cost complete peak_mib) MiB (limit 600)"

echo "=== a half-done submission (labs 1-2) ==="
rm -f "$ag/submission"/*
mkdir -p "$ag/submission/lab"
cp starter/lab/*.cpp "$ag/submission/lab/"
for file in robust_io wire_codec frame_io listen_socket connection connection_threads inline_dispatcher server; do
  cp "solution/$file.cpp" "$ag/submission/lab/"
done
grade half && labs half
expect half 'lab["lab1"] == 20 and lab["lab2"] == 20 and lab["lab3"] == 0 and lab["lab4"] == 0' \
  "the half-done submission: want labs 1-2 full, labs 3-4 at 0"

echo "=== a deadlocking lab 4, graded as a lab 4 assignment in ${deadlock_budget} s ==="
rm -rf "$ag/submission"/*
cp solution/*.cpp "$ag/submission/"
patch -s -d "$ag/submission" < tests/gradescope/deadlock-lab4.patch
cp "$ag/source/autograder.conf" "$work/autograder.conf.all"
printf 'LAB=4\nTIME_BUDGET=%s\n' "$deadlock_budget" > "$ag/source/autograder.conf"
grade deadlock && labs deadlock
cp "$work/autograder.conf.all" "$ag/source/autograder.conf"
[ "$(cost deadlock wall_s | cut -d. -f1)" -le "$deadlock_budget" ] \
  || fail "deadlock: the grade took $(cost deadlock wall_s) s, over its ${deadlock_budget} s budget"
expect deadlock 'lab["lab4"] < 25 and list(lab) == ["lab4"]' "the deadlock is not graded as lab 4 alone, below full marks"
expect deadlock 'any("probable deadlock" in t["output"] or "time budget" in t["output"] for t in data["tests"])' \
  "the deadlock's report names neither a hang nor the budget"

echo "=== figures (one CPU: taskset -c $cpu; $ccache_note) ==="
printf '  %s\n' "${figures[@]}"
echo "  limits: setup 720 s; complete 240 CPU-s and 600 MiB; deadlock within ${deadlock_budget} s"
exit $status
