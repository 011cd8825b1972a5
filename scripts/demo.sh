#!/usr/bin/env bash
# demo.sh: builds, starts cabinetd on a free port with a fresh data dir, runs
# cabinet-demo (36 simulated users) against it, then stops the server with
# SIGTERM and checks that it shut down cleanly. Before building it installs
# what is missing (scripts/install-deps.sh), as scripts/test.sh does.
# In the student kit (no solution/) it runs the student's own cabinetd.
#   --stage N         run the server at stage N (default: cabinetd's, 4)
#   MC_BUILD_DIR=DIR  use the programs already built in DIR (no build step,
#                     no package check)
set -euo pipefail
cd "$(dirname "$0")/.."

stage_args=()
if [ "${1:-}" = "--stage" ] && [ -n "${2:-}" ]; then
  stage_args=(--stage "$2")
elif [ $# -gt 0 ]; then
  echo "usage: scripts/demo.sh [--stage N]" >&2
  exit 2
fi

# The reference server in the repository, the student's own in the kit.
if [ -d solution ]; then
  preset=default server_target=cabinetd_solution tree_bin=""
else
  preset=starter server_target=cabinetd_starter tree_bin=/starter
fi
if [ -n "${MC_BUILD_DIR:-}" ]; then
  tools="$MC_BUILD_DIR/bin"
else
  scripts/install-deps.sh
  cmake --preset "$preset"
  cmake --build --preset "$preset" --target "$server_target" cabinet-demo
  tools=build/bin
fi
bin="$tools$tree_bin"

data_dir=$(mktemp -d)
fifo="$data_dir/stdout"
mkfifo "$fifo"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap cleanup EXIT

# restock and status are staff operations: the demo's users know the PIN.
# The server reads it from a file only we may read (--staff-pin on the
# command line would show it to every local user in /proc).
export CABINET_PIN="demo-$$"
pin_file="$data_dir/staff-pin"
(umask 077 && printf '%s\n' "$CABINET_PIN" >"$pin_file")
"$bin/cabinetd" --port 0 --data-dir "$data_dir" --quiet --staff-pin-file "$pin_file" "${stage_args[@]}" >"$fifo" &
server_pid=$!
exec 3<"$fifo"

# The first stdout line is "listening on 127.0.0.1:PORT".
if ! read -r -t 10 line <&3; then
  echo "demo: cabinetd did not start" >&2
  exit 1
fi
port=${line##*:}
echo "demo: cabinetd pid $server_pid, $line"

status=0
"$tools/cabinet-demo" --port "$port" --users 36 || status=$?

kill -TERM "$server_pid"
for _ in $(seq 50); do  # 5 s at most
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$server_pid" 2>/dev/null; then
  echo "demo: cabinetd still running 5 s after SIGTERM" >&2
  exit 1
fi
server_status=0
wait "$server_pid" || server_status=$?
server_pid=""
exec 3<&-
if [ "$server_status" -ne 0 ]; then
  echo "demo: cabinetd exited with status $server_status" >&2
  exit 1
fi
echo "demo: cabinetd shut down cleanly (exit 0)"
exit "$status"
