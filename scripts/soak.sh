#!/usr/bin/env bash
# soak.sh: run the stage-4 server for a few minutes under mixed load, then
# check that nothing leaked (issue 6). Not part of ctest: it takes minutes.
#
#   ./scripts/soak.sh            # 180 s
#   ./scripts/soak.sh 60         # a shorter run
#   BUILD_DIR=build-asan ./scripts/soak.sh 120   # an existing (sanitizer) build
#
# The load, all at once until the time is up:
#   - cabinet-bench --port: rounds of 1..200 clients doing deposit, pickup,
#     buy (restocking with the staff PIN), list;
#   - connect-and-close storms, half frames and garbage, over bash's /dev/tcp;
#   - the cabinet client, one connection per command (status with the PIN,
#     wrong pickup codes that end in a lockout).
# The checks, once the load has stopped:
#   - the server's descriptors and threads are back to their warm-up figures;
#   - its three service children are the same processes, none a zombie;
#   - SIGTERM stops it with exit status 0 within 10 s, its children are gone,
#     and /dev/shm holds no more entries than before it started.
# Exit status 0 when every check passes. Figures are printed at the end.
set -euo pipefail

duration="${1:-180}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
# The bench's restocks send its own PIN (tools/bench_load.hpp), so the server uses it.
pin="bench-pin"

if [ ! -x "$build/bin/cabinetd" ] || [ ! -x "$build/bin/cabinet-bench" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMC_BUILD_STARTER=OFF >/dev/null
  cmake --build "$build" --target cabinetd_solution cabinet_solution cabinet-bench >/dev/null
fi
bin="$build/bin"

work="$(mktemp -d /tmp/mc-soak-XXXXXX)"
server_pid=""
loaders=()
cleanup() {
  for pid in "${loaders[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT

fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
thread_count() { awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
children_of() { pgrep -P "$1" | sort | tr '\n' ' ' || true; }
shm_count() { ls /dev/shm | wc -l; }

shm_before=$(shm_count)
mkfifo "$work/out"
"$bin/cabinetd" --stage 4 --port 0 --data-dir "$work/data" --quiet --idle-timeout 5 \
  --parcel-lockers 999 --food-slots 999 --staff-pin "$pin" \
  --lockout-attempts 3 --lockout-seconds 2 >"$work/out" 2>"$work/cabinetd.log" &
server_pid=$!
exec 3<"$work/out"
if ! read -r -t 10 line <&3; then
  echo "soak: cabinetd did not start" >&2
  cat "$work/cabinetd.log" >&2
  exit 1
fi
port=${line##*:}
echo "soak: cabinetd pid $server_pid on port $port, ${duration} s of load"

# Warm up (threads, databases, children), then take the base figures.
"$bin/cabinet" --port "$port" --pin "$pin" status >/dev/null
sleep 1
fd_base=$(fd_count "$server_pid")
threads_base=$(thread_count "$server_pid")
children_base=$(children_of "$server_pid")
deadline=$((SECONDS + duration))

# --- the loaders: each writes one count per line to its own file -----------
bench_loop() {
  local rounds=0
  while [ "$SECONDS" -lt "$deadline" ]; do
    if "$bin/cabinet-bench" --port "$port" --clients 1,16,64,200 --seconds 2 >"$work/bench.last" 2>&1; then
      rounds=$((rounds + 1))
    else
      echo "bench round failed:" >>"$work/errors"
      tail -5 "$work/bench.last" >>"$work/errors"
    fi
    echo "$rounds" >"$work/bench.rounds"
  done
}

storm_loop() {
  local n=0
  while [ "$SECONDS" -lt "$deadline" ]; do
    for _ in $(seq 50); do
      { exec 4<>"/dev/tcp/127.0.0.1/$port" && exec 4>&-; } 2>/dev/null || true
      n=$((n + 1))
    done
    # Half a header, then close; garbage, then close.
    { exec 4<>"/dev/tcp/127.0.0.1/$port" && printf 'MC\001' >&4 && exec 4>&-; } 2>/dev/null || true
    { exec 4<>"/dev/tcp/127.0.0.1/$port" && printf 'GET / HTTP/1.0\r\n\r\n' >&4 && exec 4>&-; } 2>/dev/null || true
    n=$((n + 2))
    echo "$n" >"$work/storm.count"
  done
}

client_loop() {
  local n=0 bad=0
  while [ "$SECONDS" -lt "$deadline" ]; do
    "$bin/cabinet" --port "$port" --pin "$pin" status >/dev/null || bad=$((bad + 1))
    code=$("$bin/cabinet" --port "$port" --json --user 77 deposit parcel |
           sed -n 's/.*"code":"\([0-9]*\)".*/\1/p') || true
    [ -n "$code" ] || bad=$((bad + 1))
    # Three wrong codes lock user 99 out for 2 s; the right code from user 77 still opens.
    for _ in 1 2 3 4; do "$bin/cabinet" --port "$port" --user 99 pickup parcel 000000 >/dev/null || true; done
    "$bin/cabinet" --port "$port" --user 77 pickup parcel "$code" >/dev/null || bad=$((bad + 1))
    n=$((n + 7))
    echo "$n $bad" >"$work/client.count"
  done
}

bench_loop & loaders+=($!)
storm_loop & loaders+=($!)
client_loop & loaders+=($!)

fd_max=$fd_base
threads_max=$threads_base
while [ "$SECONDS" -lt "$deadline" ]; do
  sleep 5
  kill -0 "$server_pid" 2>/dev/null || { echo "soak: FAIL: the server died" >&2; exit 1; }
  fds=$(fd_count "$server_pid"); threads=$(thread_count "$server_pid")
  [ "$fds" -gt "$fd_max" ] && fd_max=$fds
  [ "$threads" -gt "$threads_max" ] && threads_max=$threads
done
for pid in "${loaders[@]}"; do wait "$pid" || true; done
loaders=()

# --- checks ---------------------------------------------------------------
failures=0
check() {  # check NAME CONDITION-RESULT DETAIL
  if [ "$2" = 0 ]; then echo "  ok    $1 ($3)"; else echo "  FAIL  $1 ($3)"; failures=$((failures + 1)); fi
}

# Connections end when their clients leave, or after the 5 s idle timeout.
for _ in $(seq 100); do
  [ "$(fd_count "$server_pid")" -le "$fd_base" ] && [ "$(thread_count "$server_pid")" -le "$threads_base" ] && break
  sleep 0.1
done
fd_end=$(fd_count "$server_pid")
threads_end=$(thread_count "$server_pid")
children_end=$(children_of "$server_pid")
zombies=0
for child in $children_end; do
  [ "$(awk '{print $3}' "/proc/$child/stat" 2>/dev/null)" = "Z" ] && zombies=$((zombies + 1))
done
served_after=0
"$bin/cabinet" --port "$port" --pin "$pin" status >/dev/null || served_after=1

echo "soak: checks"
check "descriptors back to base" "$([ "$fd_end" -le "$fd_base" ]; echo $?)" "base $fd_base, peak $fd_max, end $fd_end"
check "threads back to base" "$([ "$threads_end" -le "$threads_base" ]; echo $?)" "base $threads_base, peak $threads_max, end $threads_end"
check "same service children, no zombie" "$([ "$children_end" = "$children_base" ] && [ "$zombies" = 0 ]; echo $?)" "before: $children_base; after: $children_end; zombies $zombies"
check "still serves" "$served_after" "status after the load"

kill -TERM "$server_pid"
status=0
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then status=timeout; else wait "$server_pid" || status=$?; fi
server_pid=""
check "clean shutdown" "$([ "$status" = 0 ]; echo $?)" "exit status $status"
left=0
for child in $children_end; do [ -e "/proc/$child" ] && left=$((left + 1)); done
check "children gone" "$([ "$left" = 0 ]; echo $?)" "$left left"
shm_after=$(shm_count)
check "no IPC objects left" "$([ "$shm_after" -le "$shm_before" ]; echo $?)" "/dev/shm entries: $shm_before before, $shm_after after"

bench_rounds=$(cat "$work/bench.rounds" 2>/dev/null || echo 0)
storm=$(cat "$work/storm.count" 2>/dev/null || echo 0)
read -r client_ops client_bad < <(cat "$work/client.count" 2>/dev/null || echo "0 0")
check "client commands answered as expected" "$([ "$client_bad" = 0 ]; echo $?)" "$client_bad unexpected of $client_ops"
check "bench rounds without errors" "$([ ! -s "$work/errors" ]; echo $?)" "$bench_rounds rounds ok"
[ -s "$work/errors" ] && head -20 "$work/errors"

echo "soak: figures"
echo "  duration            ${duration} s"
echo "  bench rounds        $bench_rounds (281 connections each: 1+16+64+200 clients)"
echo "  bench connections   $((bench_rounds * 281))"
echo "  storm connections   $storm (connect+close, half frames, garbage)"
echo "  client commands     $client_ops (one connection each)"
echo "  total connections   $((bench_rounds * 281 + storm + client_ops))"
echo "  server fds          base $fd_base, peak $fd_max, end $fd_end"
echo "  server threads      base $threads_base, peak $threads_max, end $threads_end"
if [ "$failures" -ne 0 ]; then
  echo "soak: FAILED ($failures checks)"; tail -20 "$work/cabinetd.log"; exit 1
fi
echo "soak: PASSED"
