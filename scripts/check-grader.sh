#!/usr/bin/env bash
# check-grader.sh: the autograder grades what it should (run by .ci/run).
#  1. the reference solution gets full marks (ThreadSanitizer on, concurrency
#     tests repeated);
#  2. every known mistake (tests/mutants/*.patch applied to a copy of
#     solution/) loses points in the lab it belongs to;
#  3. the untouched starter gets 0 in every lab that still has TODOs, and
#     no attempt to game the grader (tests/cheats/*.patch applied to a copy of
#     starter/) scores more than it in any lab;
#  4. batch mode grades a folder of three submissions into one CSV row each;
#  5. each results.json is valid for Gradescope and names the replay seed;
#  6. points.json fits the tests (every graded test in a promise, each promise
#     at least 10% of its lab, at least half of every lab's points in promises
#     with an end-to-end test), and no e2e test executable holds a symbol of
#     a lab file (scripts/check-e2e-symbols.py).
# One build directory serves every grade (only the lab files that differ are
# recompiled), so after the first build each mutant costs seconds.
#   GRADER_BUILD=DIR   build there (default build-grade/check)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
for tool in python3 patch; do
  command -v "$tool" > /dev/null || { echo "check-grader: needs $tool (apt-get install $tool)"; exit 1; }
done
build="${GRADER_BUILD:-$root/build-grade/check}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
timings=()
started=$SECONDS

# step NAME COMMAND...: runs it, remembers how long it took.
step() {
  local name=$1 begin=$SECONDS
  shift
  "$@" || status=1
  timings+=("$(printf '%-44s %4d s' "$name" $((SECONDS - begin)))")
}

# json_check FILE PYTHON-EXPRESSION MESSAGE: fails with MESSAGE unless the
# expression (over `data`, the parsed results.json, and `lab(n)`, lab n's
# score and maximum) is true.
json_check() {
  python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
sys.path.insert(0, "tests")
from grader.report import validate_results
data = json.load(open(sys.argv[1]))
problems = validate_results(data)
if problems:
    sys.exit(f"{sys.argv[1]}: invalid results.json: {problems}")
def lab(n):
    tests = [t for t in data["tests"] if t["name"].startswith(f"Lab {n}: ")]
    return max(0.0, sum(t["score"] for t in tests)), sum(t["max_score"] for t in tests)
if not eval(sys.argv[2]):
    sys.exit(sys.argv[3])
EOF
}

grade_solution() {
  echo "=== the solution: full marks ==="
  tests/grade --impl solution --build-dir "$build" --json "$work/solution.json" > "$work/solution.txt"
  tail -n 2 "$work/solution.txt"
  json_check "$work/solution.json" 'data["score"] >= data["extra_data"]["max_score"] - 0.01' \
    "FAIL: the solution does not get full marks (see above)" || { grep -v ' kept (' "$work/solution.txt" | head -n 60; return 1; }
  json_check "$work/solution.json" '"replay: --seed" in data["output"]' \
    "FAIL: results.json does not say how to replay the perturbation seed"
}

check_points() {
  echo "=== points.json against the tests, and the e2e executables' symbols ==="
  tests/grade --check-points --build-dir "$build" || return 1
  python3 scripts/check-e2e-symbols.py "$build"
}

# copy_patched FROM PATCH COPY [SUBDIR]: makes COPY, a copy of FROM, and
# applies PATCH in COPY/SUBDIR. False, with a FAIL line, if it no longer applies.
copy_patched() {
  local from=$1 patch=$2 copy=$3 subdir=${4:-.}
  cp -r "$from" "$copy"
  patch -p1 -s -d "$copy/$subdir" < "$patch" && return 0
  echo "FAIL: $(basename "$patch" .patch): the patch no longer applies to $from/ (update $patch)"
  return 1
}

# Every mutant is graded in its own lab, each lab's mutants as one batch: two
# at a time, each in namespaces of its own (tests/grade --batch --parallel 2),
# so a mutant's processes and shared memory never meet another's.
grade_mutants() {
  echo "=== known mistakes: each must lose points ==="
  local patch name lab copy
  for patch in tests/mutants/*.patch; do
    name=$(basename "$patch" .patch)
    lab=$(sed -n 's/^Lab: *\([0-9]\).*/\1/p' "$patch" | head -n 1)
    mkdir -p "$work/mutants-lab$lab"
    copy="$work/mutants-lab$lab/$name"
    mkdir -p "$copy"
    copy_patched solution "$patch" "$copy/lab" || { status=1; continue; }
  done
  for lab in 1 2 3 4 5; do
    [ -d "$work/mutants-lab$lab" ] || continue
    tests/grade --batch "$work/mutants-lab$lab" --csv "$work/mutants-out$lab/grades.csv" --lab "$lab" \
      --repeat 1 --no-tsan --parallel 2 --build-dir "$build" > "$work/mutants-lab$lab.txt" 2>&1 \
      || { tail -n 20 "$work/mutants-lab$lab.txt"; status=1; }
  done
  for patch in tests/mutants/*.patch; do
    name=$(basename "$patch" .patch)
    lab=$(sed -n 's/^Lab: *\([0-9]\).*/\1/p' "$patch" | head -n 1)
    local result="$work/mutants-out$lab/$name.results.json"
    [ -f "$result" ] || { echo "FAIL: $name: no result (see the batch's output above)"; status=1; continue; }
    # A mutant that does not compile is graded with the starter's file in its
    # place: it would lose points for a reason that is not its mistake.
    if grep -q 'did not compile' "$result"; then
      echo "FAIL: $name: the mutant does not compile (update tests/mutants/$name.patch)"
      status=1
      continue
    fi
    # "Expect: not caught" marks a known gap in the tests (known-mistakes.md).
    known_gap=$(grep -c '^Expect: not caught' "$patch" || true)
    if json_check "$result" "lab($lab)[0] < lab($lab)[1] - 0.01" "not caught" 2>/dev/null; then
      printf '  %-40s lab %s: %s\n' "$name" "$lab" "$(awk -F, -v name="$name" '$1 == name { print $3 "/" $4 }' "$work/mutants-out$lab/grades.csv")"
      [ "$known_gap" = 0 ] || echo "  NOTE: $name is caught now: remove its 'Expect: not caught' line"
    elif [ "$known_gap" != 0 ]; then
      printf '  %-40s lab %s: not caught (known gap, see docs/instructor/known-mistakes.md)\n' "$name" "$lab"
    else
      echo "FAIL: $name: not caught in lab $lab"
      status=1
    fi
  done
}

grade_starter() {
  echo "=== the untouched starter: 0 in every lab with TODOs ==="
  tests/grade --impl starter --repeat 1 --no-tsan --build-dir "$build" --json "$work/starter.json" \
    > "$work/starter.txt"
  tail -n 2 "$work/starter.txt"
  local lab
  for lab in 1 2 3 4 5; do
    grep -q "TODO(lab$lab)" starter/lab/*.cpp || continue
    json_check "$work/starter.json" "lab($lab)[0] == 0" "FAIL: the starter scores points in lab $lab" || {
      grep "^lab$lab " "$work/starter.txt" | grep ' kept (' | head -n 10
      status=1
    }
  done
}

# lab_not_above CHEAT.json STARTER.json LAB: true if the cheat's score in LAB
# is at most the starter's.
lab_not_above() {
  python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
def lab(path, n):
    data = json.load(open(path))
    return max(0.0, sum(t["score"] for t in data["tests"] if t["name"].startswith(f"Lab {n}: ")))
sys.exit(0 if lab(sys.argv[1], int(sys.argv[3])) <= lab(sys.argv[2], int(sys.argv[3])) + 0.01 else 1)
EOF
}

grade_cheats() {
  echo "=== attempts to game the grader: none may beat the untouched starter ==="
  local patch name copy lab
  for patch in tests/cheats/*.patch; do
    name=$(basename "$patch" .patch)
    copy="$work/cheat-$name"
    copy_patched starter "$patch" "$copy" lab || { status=1; continue; }
    tests/grade --impl "$copy" --repeat 1 --no-tsan --build-dir "$build" \
      --json "$work/cheat-$name.json" > "$work/cheat-$name.txt" 2> "$work/cheat-$name.err" || true
    printf '  %-28s %s\n' "$name" "$(tail -n 1 "$work/cheat-$name.txt")"
    for lab in 1 2 3 4 5; do
      lab_not_above "$work/cheat-$name.json" "$work/starter.json" "$lab" || {
        echo "FAIL: cheat $name scores more than the untouched starter in lab $lab"
        grep "^lab$lab " "$work/cheat-$name.txt" | grep ' kept (' | head -n 5
        status=1
      }
    done
  done
}

grade_batch() {
  echo "=== batch mode: three submissions, two at a time, isolated; one CSV; --merge ==="
  local batch="$work/batch" out="$work/batch-out"
  mkdir -p "$batch" "$out"
  cp -r starter "$batch/alice"                      # returned untouched
  cp -r starter "$batch/bob"
  cp solution/*.cpp "$batch/bob/lab/"               # returned complete
  cp -r "$batch/bob" "$batch/carol"
  patch -p1 -s -d "$batch/carol/lab" < tests/mutants/single-read.patch  # a lab 1 mistake
  # Two workers, each in namespaces of its own, each keeping a build directory
  # under the check's (w0, w1) for the students it grades: a student's build
  # must not leak into the next one's (bob's complete files, then carol's one
  # mistake, may well meet in one worker).
  tests/grade --batch "$batch" --csv "$out/grades.csv" --lab 1 --repeat 1 --no-tsan --parallel 2 \
    --build-dir "$build" > "$out/batch.txt" 2>&1 || { tail -n 20 "$out/batch.txt"; return 1; }
  grep -q "namespaces of its own" "$out/batch.txt" || echo "NOTE: batch mode ran unisolated: $(grep namespaces "$out/batch.txt")"
  cat "$out/grades.csv"
  # A batch split over machines comes back as NAME.results.json files: merged,
  # they must give the same CSV.
  tests/grade --merge "$out" --csv "$work/merged.csv" --lab 1 > /dev/null 2>&1 \
    && cmp -s "$out/grades.csv" "$work/merged.csv" \
    || { echo "FAIL: --merge of the batch's results.json does not give its CSV"; diff "$out/grades.csv" "$work/merged.csv"; return 1; }
  python3 - "$out" <<'EOF'
import csv, json, sys
from pathlib import Path
sys.path.insert(0, "tests")
from grader.report import validate_results
out = Path(sys.argv[1])
rows = {row["name"]: row for row in csv.DictReader(open(out / "grades.csv"))}
problems = []
if sorted(rows) != ["alice", "bob", "carol"]:
    problems.append(f"rows for {sorted(rows)}, not alice, bob, carol")
else:
    lab1 = {name: float(row["lab1"]) for name, row in rows.items()}
    if not (lab1["alice"] == 0 and lab1["bob"] == float(rows["bob"]["max"]) and 0 < lab1["carol"] < lab1["bob"]):
        problems.append(f"lab 1 scores {lab1}: want alice 0, bob full marks, carol in between")
for name in rows:
    problems += [f"{name}.results.json: {p}" for p in validate_results(json.load(open(out / f"{name}.results.json")))]
if problems:
    sys.exit("FAIL: batch mode: " + "; ".join(problems))
EOF
}

step "grade the solution (TSan, repeat 3)" grade_solution
step "points.json and e2e symbols" check_points
step "grade the mutants (one lab each)" grade_mutants
step "grade the starter" grade_starter
step "grade the cheats (every lab)" grade_cheats
step "batch mode (lab 1, three students, --parallel 2)" grade_batch

echo "=== timing ==="
printf '  %s\n' "${timings[@]}"
echo "  total $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
exit $status
