#!/usr/bin/env bash
# setup.sh: Gradescope runs this once, as root, when it builds the
# autograder image. It installs what tests/grade needs; the repository itself
# is already in /autograder/source (docs/instructor/gradescope.md).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends cmake g++ make libsqlite3-dev libgtest-dev libgmock-dev pkg-config python3 gdb patch
# The kit is C++20 and needs g++ 12 or newer (Debian 12, Ubuntu 24.04 have it).
# On an older base image (Ubuntu 22.04), install g++-12 and make it the default.
if [ "$(g++ -dumpversion | cut -d. -f1)" -lt 12 ]; then
  apt-get install -y --no-install-recommends g++-12
  update-alternatives --install /usr/bin/g++ g++ /usr/bin/g++-12 100
  update-alternatives --install /usr/bin/c++ c++ /usr/bin/g++-12 100
fi
# Build the provided code and the tests once now, so that each submission only
# compiles its own lab files: grade the starter into the build directory that
# run_autograder reuses.
cd /autograder/source
tests/grade --impl starter --no-tsan --repeat 1 --build-dir /autograder/build > /dev/null 2>&1 || true
