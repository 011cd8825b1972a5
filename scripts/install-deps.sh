#!/usr/bin/env bash
# install-deps.sh: installs what MultiCabinet needs to build and test
# (Debian/Ubuntu), but only when something is missing.
#   run as root: installs with apt-get
#   otherwise:   prints the command to run, and fails
# The checking tools are installed too when we are root, but never required
# for a build: doxygen + graphviz (the `docs` target), python3 + patch + gdb
# (the autograder, tests/grade, and its hang diagnosis), clang + libFuzzer's
# runtime (scripts/fuzz.sh), ccache (.ci/run's builds share one cache), zip +
# unzip (scripts/make-autograder.sh, scripts/check-gradescope.sh).
set -euo pipefail

packages=(cmake g++ libsqlite3-dev libgtest-dev libgmock-dev pkg-config)
docs_packages=(doxygen graphviz python3 patch gdb clang libclang-rt-14-dev ccache zip unzip)

missing_from() {
  for package in "$@"; do
    if ! dpkg -s "$package" >/dev/null 2>&1; then
      echo "$package"
    fi
  done
}
mapfile -t missing < <(missing_from "${packages[@]}")
mapfile -t missing_docs < <(missing_from "${docs_packages[@]}")

if [ "$(id -u)" -ne 0 ] || [ "${#missing_docs[@]}" -eq 0 ]; then
  if [ "${#missing_docs[@]}" -gt 0 ]; then
    echo "install-deps: for the docs, the grader and the fuzzers, also install: ${missing_docs[*]}"
  fi
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: all present (${packages[*]})"
    exit 0
  fi
fi

missing+=("${missing_docs[@]}")
echo "install-deps: missing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y "${missing[@]}"
