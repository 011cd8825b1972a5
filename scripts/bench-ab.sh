#!/usr/bin/env bash
# bench-ab.sh: a before/after measurement taken the way docs/performance.md's
# are: two cabinetd builds running side by side, benched in turn, A then B,
# for several pairs, so that this VM's drift from one minute to the next
# (docs/performance.md, "Results") falls on both alike. Prints every run,
# then the mean throughput and p99 of each and B's change against A.
#
#   scripts/bench-ab.sh A_CABINETD B_CABINETD [--pairs 6] [--clients 64] [--seconds 3]
#                       [-- more cabinetd flags, e.g. --stage 4 --pool 1]
#
# A and B may be the same program: DATA_A=/tmp/a DATA_B=/dev/shm/b compares
# data directories (disk against tmpfs). Default data: fresh temporary ones.
# A build of another commit: git worktree add /tmp/wt-old <rev>, then a
# Release build there (scripts/bench.sh's cmake lines, BUILD_DIR=...).
# The load: build-bench/bin/cabinet-bench, or $BENCH.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bench="${BENCH:-$root/build-bench/bin/cabinet-bench}"
usage() {
  echo "usage: scripts/bench-ab.sh A_CABINETD B_CABINETD [--pairs 6] [--clients 64] [--seconds 3] [-- cabinetd flags]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
a=$1 b=$2
shift 2
pairs=6 clients=64 seconds=3
while [ $# -gt 0 ]; do
  case $1 in
    --pairs) pairs=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --) shift; break ;;
    *) usage ;;
  esac
done
for program in "$a" "$b" "$bench"; do
  [ -x "$program" ] || { echo "bench-ab: $program is not an executable" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
# Stops both servers (SIGTERM: a clean shutdown) whatever happens.
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME PROGRAM DATA_DIR [FLAGS...]: starts one server on a port of the
# kernel's choosing and sets $port to it, read from its "listening on" line.
# The flags are those cabinet-bench gives the servers it starts (makePlans in
# tools/cabinet_bench.cpp): the load restocks with its staff PIN, bench-pin.
start() {
  local name=$1 program=$2 data=$3
  shift 3
  mkdir -p "$data"
  "$program" --port 0 --data-dir "$data" --quiet --parcel-lockers 999 --food-slots 999 \
    --idle-timeout 3600 --max-connections 65535 --staff-pin bench-pin "$@" \
    > "$work/$name.out" 2> "$work/$name.err" &
  local pid=$! waited=0
  pids+=("$pid")
  until grep -q '^listening on' "$work/$name.out"; do
    sleep 0.1
    waited=$((waited + 1))
    if [ $waited -ge 100 ] || ! kill -0 "$pid" 2> /dev/null; then  # 10 s, or it exited
      echo "bench-ab: $program did not start:" >&2
      cat "$work/$name.err" >&2
      exit 2
    fi
  done
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/$name.out")
}

start a "$a" "${DATA_A:-$work/data-a}" "$@"
port_a=$port
start b "$b" "${DATA_B:-$work/data-b}" "$@"
port_b=$port
echo "A: $a (port $port_a)"
echo "B: $b (port $port_b)"
echo "$pairs pairs of $seconds s at $clients clients, flags: ${*:-none}"

# One run: "req/s p99_us errors" from the bench's table row.
run() {
  "$bench" --port "$1" --clients "$clients" --seconds "$seconds" 2> /dev/null \
    | awk '/^server :/ {print $4, $8, $11}'
}

for i in $(seq 1 "$pairs"); do
  read -r rate_a p99_a errors_a <<< "$(run "$port_a")"
  read -r rate_b p99_b errors_b <<< "$(run "$port_b")"
  printf 'pair %2d   A %8.0f req/s  p99 %6d us  errors %s   B %8.0f req/s  p99 %6d us  errors %s\n' \
    "$i" "$rate_a" "$p99_a" "$errors_a" "$rate_b" "$p99_b" "$errors_b"
  echo "$rate_a $p99_a $errors_a $rate_b $p99_b $errors_b" >> "$work/runs"
done
awk '{ra += $1; pa += $2; ea += $3; rb += $4; pb += $5; eb += $6; n++}
     END {
       printf "mean     A %8.0f req/s  p99 %6.0f us              B %8.0f req/s  p99 %6.0f us\n", ra/n, pa/n, rb/n, pb/n
       printf "B against A: throughput %+.1f%%, p99 %+.1f%%\n", 100 * (rb/ra - 1), 100 * (pb/pa - 1)
       if (ea + eb > 0) { printf "errors: A %d, B %d\n", ea, eb; exit 1 }
     }' "$work/runs"
