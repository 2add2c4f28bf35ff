#!/usr/bin/env bash
# Configures and builds into build/ (or $DBSA_BUILD_DIR). Shared by run.sh and test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DBSA_BUILD_DIR:-$root/build}"
jobs="${DBSA_JOBS:-$(nproc)}"
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
# CI compiles the CUDA backend for the oldest and newest supported archs only (80, 90) to stay within its
# time budget; releases build the default list (CMakeLists.txt). DBSA_CUDA_ARCHS overrides both.
# CI also requires the backend (ON, not AUTO): a machine without nvcc must fail, not skip it silently.
cuda_archs="${DBSA_CUDA_ARCHS:-}"
with_cuda="${DBSA_WITH_CUDA:-}"
if [ "${CI:-}" = "true" ]; then
  cuda_archs="${cuda_archs:-80;90}"
  with_cuda="${with_cuda:-ON}"
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDBSA_WERROR="${DBSA_WERROR:-$werror}" \
  ${cuda_archs:+"-DDBSA_CUDA_ARCHS=$cuda_archs"} ${with_cuda:+"-DDBSA_WITH_CUDA=$with_cuda"} "$@"
cmake --build "$build" -j "$jobs"
