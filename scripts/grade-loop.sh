#!/usr/bin/env bash
# grade-loop.sh: the autograder's verdict on the reference solution is stable.
# Runs `tests/grade --impl solution` N times in a row (default 20), each with
# a fresh random perturbation seed, ThreadSanitizer on and the concurrency
# tests repeated; stops at the first run that is not full marks and prints
# its failures and the seed that replays it.
#
#   ./scripts/grade-loop.sh            # 20 runs; ~5-10 min each on 2 cores
#   ./scripts/grade-loop.sh 5 --lab 4  # extra flags go to tests/grade
#
# One line per run goes to stdout and to build-grade/loop/runs.log:
# run number, score, seed, seconds. The build directory is reused, so only
# the first run compiles.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
shift || true
build="build-grade/loop"
mkdir -p "$build"
log="$build/runs.log"
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || echo '?') runs=$runs $*" >> "$log"

for run in $(seq 1 "$runs"); do
  began=$SECONDS
  tests/grade --impl solution --build-dir "$build/tree" --json "$build/run.json" "$@" > "$build/run.txt" 2>&1
  verdict=$(python3 - "$build/run.json" "$build/run.txt" <<'PY'
import json, re, sys
data = json.load(open(sys.argv[1]))
seed = re.search(r"--seed (\d+)", open(sys.argv[2]).read())
full = data["score"] >= data["max_score"] - 0.01
print(("full" if full else "MISSED"), f'{data["score"]}/{data["max_score"]}', "seed", seed.group(1) if seed else "-")
PY
)
  line="run $run/$runs: $verdict, $((SECONDS - began)) s"
  echo "$line" | tee -a "$log"
  case $verdict in
    full*) ;;
    *) grep -v ' passed$' "$build/run.txt" | head -n 60
       echo "grade-loop: run $run was not full marks (replay with the seed above)"
       exit 1 ;;
  esac
done
echo "grade-loop: full marks $runs times in a row" | tee -a "$log"
