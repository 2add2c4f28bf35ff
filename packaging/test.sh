#!/usr/bin/env bash
# Installs dependencies, builds everything (CUDA backend included when nvcc exists) and runs all tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/deps-debian.sh"
"$root/packaging/build.sh"
build="${DBSA_BUILD_DIR:-$root/build}"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
ctest --test-dir "$build" --output-on-failure -j "${DBSA_JOBS:-$(nproc)}"
