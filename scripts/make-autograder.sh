#!/usr/bin/env bash
# make-autograder.sh: the zip to upload to Gradescope as a "zip file upload"
# autograder (docs/instructor/gradescope.md).
#
#   scripts/make-autograder.sh [--lab N] [--time-budget SECONDS] [--out FILE.zip]
#
# --lab N          the zip grades lab N only, out of that lab's points (one
#                  Gradescope assignment per lab); default: labs 1-5, out of 100
# --time-budget S  seconds a grade may take, report included (default 540:
#                  inside Gradescope's default 10-minute limit)
# --out FILE       where to write it (default autograder.zip, or
#                  autograder-labN.zip with --lab)
#
# The zip holds the committed repository (HEAD) without the solution, the
# mutants, the cheats and the instructor docs, plus, at its root, setup.sh,
# run_autograder and autograder.conf (LAB, TIME_BUDGET). Uncommitted changes
# are not in it: the script says so.
set -euo pipefail
cd "$(dirname "$0")/.."
lab="" budget=540 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --lab) lab=$2; shift 2 ;;
    --time-budget) budget=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "make-autograder: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -n "$lab" ] && ! [[ "$lab" =~ ^[1-5]$ ]]; then
  echo "make-autograder: --lab takes 1 to 5 (lab 6 has no points)" >&2; exit 2
fi
if ! [[ "$budget" =~ ^[0-9]+$ ]] || [ "$budget" -lt 120 ]; then
  echo "make-autograder: --time-budget takes whole seconds, at least 120" >&2; exit 2
fi
for tool in git zip; do
  command -v "$tool" > /dev/null || { echo "make-autograder: needs $tool (apt-get install $tool)" >&2; exit 1; }
done
out=${out:-autograder${lab:+-lab$lab}.zip}
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "make-autograder: note: uncommitted changes are not in the zip (it is made from HEAD)" >&2
fi

extra=$(mktemp -d)
trap 'rm -rf "$extra"' EXIT
cp tests/gradescope/setup.sh tests/gradescope/run_autograder "$extra/"
{
  echo "# Written by scripts/make-autograder.sh on $(date -u +%Y-%m-%d) from commit $(git rev-parse --short HEAD)."
  echo "LAB=$lab"
  echo "TIME_BUDGET=$budget"
} > "$extra/autograder.conf"
rm -f "$out"
git archive --format=zip -o "$out" HEAD \
  ':!solution' ':!tests/mutants' ':!tests/cheats' ':!docs/instructor' ':!.ci'
(cd "$extra" && zip -q "$out" setup.sh run_autograder autograder.conf)
echo "wrote $out: $(if [ -n "$lab" ]; then echo "lab $lab only"; else echo "labs 1-5"; fi), time budget ${budget} s"
