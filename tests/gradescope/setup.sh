#!/usr/bin/env bash
# setup.sh: Gradescope runs this once, as root, when it builds the
# autograder image. It installs what tests/grade needs, then builds
# everything that does not depend on a submission (provided code, the test
# harness and the tests; the plain and the ThreadSanitizer trees) into
# /autograder/build, so that each submission compiles only its lab files.
# The repository is already in /autograder/source; autograder.conf there
# (written by scripts/make-autograder.sh) may name one lab (LAB=N).
# Anything that fails here fails the image build, loudly: an autograder that
# half-built would only fail later, on every student's submission.
# (AUTOGRADER_ROOT and SKIP_APT are for trying it outside Gradescope.)
set -euo pipefail
ag=${AUTOGRADER_ROOT:-/autograder}
export DEBIAN_FRONTEND=noninteractive
if [ -z "${SKIP_APT:-}" ]; then
  apt-get update
  apt-get install -y --no-install-recommends cmake g++ make libsqlite3-dev libgtest-dev libgmock-dev \
    pkg-config python3 gdb patch
  # The kit is C++20 and needs g++ 12 or newer (Debian 12, Ubuntu 24.04 have it).
  # On an older base image (Ubuntu 22.04), install g++-12 and make it the default.
  if [ "$(g++ -dumpversion | cut -d. -f1)" -lt 12 ]; then
    apt-get install -y --no-install-recommends g++-12
    update-alternatives --install /usr/bin/g++ g++ /usr/bin/g++-12 100
    update-alternatives --install /usr/bin/c++ c++ /usr/bin/g++-12 100
  fi
fi
LAB=""
[ -f "$ag/source/autograder.conf" ] && . "$ag/source/autograder.conf"
cd "$ag/source"
tests/grade --prebuild --build-dir "${GRADE_BUILD_DIR:-$ag/build}" ${LAB:+--lab "$LAB"}
