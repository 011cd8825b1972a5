#!/usr/bin/env bash
# check-starter.sh: the untouched starter must fail every lab, and the student
# kit (the `handout` tarball, without solution/) must build and run its tests.
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

echo "=== handout: the student kit builds without solution/ ==="
cmake --build --preset default --target handout
# KIT_PARENT: where to extract the kit (.ci/run: inside the clone, for ccache).
kit=$(mktemp -d "${KIT_PARENT:-${TMPDIR:-/tmp}}/build-kit.XXXXXX")
trap 'rm -rf "$kit"' EXIT
tar xzf build/multicabinet-handout.tar.gz -C "$kit"
if [ -e "$kit/multicabinet-handout/solution" ]; then
  echo "FAIL: the handout contains solution/"
  status=1
fi
cmake -S "$kit/multicabinet-handout" -B "$kit/multicabinet-handout/build" > /dev/null
cmake --build "$kit/multicabinet-handout/build" -j 2 > "$kit/build.log" 2>&1 || { tail -n 30 "$kit/build.log"; echo "FAIL: the kit does not build"; exit 1; }
if ! ctest --test-dir "$kit/multicabinet-handout/build" -L kit > "$kit/kit.log" 2>&1; then
  tail -n 30 "$kit/kit.log"
  echo "FAIL: the kit's provided-code tests fail"
  status=1
fi
if ctest --test-dir "$kit/multicabinet-handout/build" -L lab1 > "$kit/lab1.log" 2>&1; then
  echo "FAIL: the kit passes lab 1 without any work"
  status=1
fi
echo "handout kit: $(grep -E 'tests passed' "$kit/kit.log") (kit tests); lab 1 fails as it should"

exit $status
