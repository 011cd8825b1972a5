#!/usr/bin/env bash
# install-deps.sh: installs what MultiCabinet needs to build and test
# (Debian/Ubuntu), but only when something is missing.
#   run as root: installs with apt-get
#   otherwise:   prints the command to run, and fails
set -euo pipefail

packages=(cmake g++ libsqlite3-dev libgtest-dev libgmock-dev pkg-config)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg -s "$package" >/dev/null 2>&1; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all present (${packages[*]})"
  exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y "${missing[@]}"
