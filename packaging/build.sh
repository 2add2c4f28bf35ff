#!/usr/bin/env bash
# Configures and builds into build/ (or $DBSA_BUILD_DIR). Shared by run.sh and test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DBSA_BUILD_DIR:-$root/build}"
jobs="${DBSA_JOBS:-$(nproc)}"
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDBSA_WERROR="${DBSA_WERROR:-$werror}" "$@"
cmake --build "$build" -j "$jobs"
