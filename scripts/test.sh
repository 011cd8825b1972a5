#!/usr/bin/env bash
# test.sh: builds everything with the default preset and runs every test
# (unit and end-to-end, for each tree that exists).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset default
cmake --build --preset default
# The e2e tests start real servers; run them one at a time so that their
# /dev/shm and process checks see only their own server.
ctest --preset default
