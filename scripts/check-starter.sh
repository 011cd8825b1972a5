#!/usr/bin/env bash
# check-starter.sh: the untouched starter must fail every lab, in the
# repository's own build (the student kit has scripts/check-kit.sh).
# Needs a configured and built default preset (scripts/test.sh does that).
set -euo pipefail
cd "$(dirname "$0")/.."

status=0

# Runs ctest with "$@" and prints only its summary line.
summary() { ctest "$@" 2>&1 | grep -E "tests passed|No tests were found" || true; }

echo "=== starter: the provided code's tests pass ==="
if ! ctest --preset starter -L kit > /tmp/mc-starter-kit.log 2>&1; then
  tail -n 30 /tmp/mc-starter-kit.log
  echo "FAIL: the starter's provided code fails its own tests"
  status=1
fi

echo "=== starter: every lab fails until its TODOs are done ==="
for lab in 1 2 3 4 5 6; do
  listed=$(ctest --preset starter -L "lab$lab" -N | grep -c "Test *#" || true)
  if [ "$listed" -eq 0 ]; then
    echo "FAIL: lab $lab has no starter tests"
    status=1
  elif ctest --preset starter -L "lab$lab" > "/tmp/mc-starter-lab$lab.log" 2>&1; then
    echo "FAIL: the untouched starter passes lab $lab: that lab's tests are broken"
    status=1
  else
    echo "lab $lab: $(grep -E 'tests passed' "/tmp/mc-starter-lab$lab.log")"
  fi
done

exit $status
