#!/usr/bin/env bash
# bench.sh: build the Release server and cabinet-bench, then measure every
# stage, the thread pool, the echo baseline and the floor (cabinetd-floor: the
# pipeline without its database) in one run, and write the figures and the
# plot used by docs/performance.md.
#
#   ./scripts/bench.sh                 # ~5 minutes: 3 s per point
#   SECONDS_PER_POINT=10 ./scripts/bench.sh
#   ./scripts/bench.sh --clients 1,64  # extra flags go to cabinet-bench
#
# Output: a table on stdout, docs/performance/results.json and
# docs/performance/throughput.svg; the load average before and after on
# stderr. Build dir: build-bench (Release), or $BUILD_DIR.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
out="$root/docs/performance"
mkdir -p "$out"

# -O2: g++ 12 at -O3 warns falsely (-Wrestrict) in std::string code, and we build with -Werror.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" >/dev/null
cmake --build "$build" --target cabinetd_solution cabinet-bench cabinet-echo cabinetd-floor cabinet-thread-cost >/dev/null

# The machine's load, before and after: quote the figures with it.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)" >&2
status=0
"$build/bin/cabinet-bench" \
  --baseline echo --floor on --stages 1,2,3,4 --pools 1,8 \
  --clients 1,8,64,256,1000 --seconds "${SECONDS_PER_POINT:-3}" \
  --json "$out/results.json" --svg "$out/throughput.svg" "$@" || status=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exit "$status"
