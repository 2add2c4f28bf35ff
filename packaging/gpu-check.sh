#!/usr/bin/env bash
# packaging/gpu-check.sh OUT [--skip-gpu] [--no-deps] [--no-build]
#
# The one prepared check of the CUDA backend on a real device (docs/CUDA.md "The GPU check"). On a fresh
# machine with an NVIDIA GPU and the CUDA toolkit: installs the Debian dependencies (unless --no-deps),
# configures for the GPUs present only (nvidia-smi's compute capabilities; DBSA_GPU_ARCHS overrides),
# builds the CLI, the CUDA module and the CUDA tests with every core (no UI: the studio adds minutes and
# no device code), then runs ctest -L cuda, the CLI end-to-end checks (stories260K's greedy text on cuda,
# fixture logits on cuda against the reference and against the CPU), compute-sanitizer memcheck on the
# kernel tests, and `dbsa bench prefill` / `bench dbsa` on cuda beside cpu. OUT receives one log per step,
# the benchmarks' JSON and summary.json (every step's status and seconds, the device, the benchmarks).
#
# --skip-gpu records every step that needs a device as skipped (tests/packaging/gpu_check.sh runs it so
# on machines without one); --no-build takes an existing build folder ($DBSA_BUILD_DIR, default
# build-gpu). The exit status is 0 when no step failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() {
  echo "usage: packaging/gpu-check.sh OUT [--skip-gpu] [--no-deps] [--no-build]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
out="$1"
shift
skip_gpu=0
deps=1
build=1
for arg in "$@"; do
  case "$arg" in
    --skip-gpu) skip_gpu=1 ;;
    --no-deps) deps=0 ;;
    --no-build) build=0 ;;
    *) usage ;;
  esac
done
mkdir -p "$out" || exit 2
out="$(cd "$out" && pwd)"
bdir="${DBSA_BUILD_DIR:-$root/build-gpu}"
shared="${DBSA_SHARED_DIR:-$root/../shared}"
fix="$shared/fixtures"
jobs="$(nproc)"
steps="$out/steps"
: >"$steps"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
dbsa="$bdir/app/dbsa"

# The CMake architectures of the GPUs nvidia-smi lists ("9.0" -> "90"), each once, ';'-separated.
gpu_archs() {
  nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | tr -d ' .\r' | sed '/^$/d' |
    sort -u | paste -sd';' -
}

# One line of OUT/steps per step: name, status (passed, failed, skipped), seconds, log file, note, split
# by the unit separator (a tab would let `read` merge empty fields).
sep=$'\x1f'
record() { printf '%s\n' "$1$sep$2$sep$3$sep$4$sep$5" >>"$steps"; }

# step NAME CMD...: runs CMD with its output in OUT/NAME.log.
step() {
  local name="$1"
  shift
  local t0=$SECONDS status=passed
  echo "== $name: $*" | tee "$out/$name.log" >&2
  "$@" >>"$out/$name.log" 2>&1 || status=failed
  record "$name" "$status" "$((SECONDS - t0))" "$name.log" ""
  echo "== $name: $status ($((SECONDS - t0)) s)" >&2
  [ "$status" = passed ]
}

# gpu_step NAME CMD...: a step that needs a device.
gpu_step() {
  if [ "$skip_gpu" = 1 ]; then
    record "$1" skipped 0 "" "needs a GPU (--skip-gpu)"
    return 0
  fi
  step "$@"
}

# A JSON string of $1 (quotes, backslashes and control characters escaped).
json_str() {
  [ -n "$1" ] || { printf '""'; return; }
  printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' -e 's/\r/\\r/g' |
    awk 'BEGIN { ORS = "" } NR > 1 { print "\\n" } { print }' | sed -e 's/^/"/' -e 's/$/"/'
}

# A file's contents when it holds one JSON value (our benchmarks print one), else null.
json_file() {
  if [ -s "$1" ] && cmake -DFILE="$1" -P "$root/packaging/json-check.cmake" >/dev/null 2>&1; then
    cat "$1"
  else
    printf 'null'
  fi
}

write_summary() {
  local archs="$1" device="$2" failed=0 first=1 name status secs log note
  {
    printf '{\n  "started": %s,\n  "finished": %s,\n' "$(json_str "$started")" \
      "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
    printf '  "host": %s,\n  "cpu_cores": %s,\n' "$(json_str "$(uname -n)")" "$jobs"
    printf '  "device": %s,\n  "cuda_archs": %s,\n' "$(json_str "$device")" "$(json_str "$archs")"
    printf '  "commit": %s,\n' "$(json_str "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)")"
    printf '  "steps": ['
    while IFS="$sep" read -r name status secs log note; do
      [ "$status" = failed ] && failed=$((failed + 1))
      [ "$first" = 1 ] || printf ','
      first=0
      printf '\n    {"name": %s, "status": %s, "seconds": %s, "log": %s, "note": %s}' "$(json_str "$name")" \
        "$(json_str "$status")" "$secs" "$(json_str "$log")" "$(json_str "$note")"
    done <"$steps"
    printf '\n  ],\n  "bench": {\n'
    printf '    "prefill_cuda": %s,\n' "$(json_file "$out/bench-prefill-cuda.json")"
    printf '    "prefill_cpu": %s,\n' "$(json_file "$out/bench-prefill-cpu.json")"
    printf '    "dbsa_cuda": %s,\n' "$(json_file "$out/bench-dbsa-cuda.json")"
    printf '    "dbsa_cpu": %s\n  },\n' "$(json_file "$out/bench-dbsa-cpu.json")"
    printf '  "failed_steps": %s\n}\n' "$failed"
  } >"$out/summary.json"
  echo "summary: $out/summary.json ($failed failed)" >&2
  [ "$failed" = 0 ]
}

# compare_logits A B TOL: two float32 logit files agree within TOL x max|A| (tests/cli/trained_model_logits.sh
# states the same rule for the trained model).
compare_logits() {
  paste <(od -An -v -t f4 -w4 "$1") <(od -An -v -t f4 -w4 "$2") | awk -v tol="$3" '
    NF != 2 { bad = 1 }
    { d = $1 - $2; if (d < 0) d = -d; if (d > md) md = d; a = $1 < 0 ? -$1 : $1; if (a > ma) ma = a; n++ }
    END {
      printf "%d logits, max|dlogit| %.3g, max|logit| %.3g, relative %.3g (tolerance %s)\n", n, md, ma, md / ma, tol
      exit (!bad && n > 0 && md <= tol * ma) ? 0 : 1
    }'
}
export -f compare_logits

# --- the device and the architectures to build for ---------------------------------------------------
archs="${DBSA_GPU_ARCHS:-}"
device="none"
if [ "$skip_gpu" = 0 ]; then
  if ! command -v nvidia-smi >/dev/null; then
    echo "gpu-check: nvidia-smi not found: no NVIDIA driver here (use --skip-gpu to check the rest)" >&2
    exit 2
  fi
  device="$(nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader | paste -sd';' -)"
  archs="${archs:-$(gpu_archs)}"
fi
if [ -z "$archs" ]; then
  archs="$(gpu_archs)"
  archs="${archs:-90}"
fi
record detect passed 0 "" "device: $device; archs: $archs"
echo "gpu-check: device $device, building for CUDA archs $archs into $bdir" >&2

# --- dependencies and build ----------------------------------------------------------------------------
if [ "$deps" = 1 ]; then
  step deps "$root/packaging/deps-debian.sh" || { write_summary "$archs" "$device"; exit 1; }
fi
if [ "$build" = 1 ]; then
  step configure cmake -S "$root" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDBSA_WITH_CUDA=ON \
    "-DDBSA_CUDA_ARCHS=$archs" -DDBSA_WITH_UI=OFF -DDBSA_SHARED_DIR="$shared" &&
    step build cmake --build "$bdir" -j "$jobs" --target dbsa dbsa_cuda_module dbsa_tests_cuda ||
    { write_summary "$archs" "$device"; exit 1; }
fi

# --- the device checks ---------------------------------------------------------------------------------
gpu_step ctest-cuda ctest --test-dir "$bdir" -L cuda --output-on-failure --no-tests=error
gpu_step stories260k-cuda bash -c "'$dbsa' generate --backend cuda --model '$fix/models/stories260K-f32.gguf' \
  --prompt 'Once upon a time' --max-tokens 64 --greedy | tee /dev/stderr |
  grep -q '^Once upon a time, there was a little girl named Lily. She loved to play outside in the park.'"
gpu_step logits-cuda bash -c "set -e; for m in tiny-spm-f32 tiny-spm-f16 stories260K-f32; do
  p=capital; [ \$m = stories260K-f32 ] && p=story
  '$dbsa' logits --backend cuda --model '$fix/models/'\$m.gguf --prompt-file '$fix/reference/'\$p.txt --out '$out/'\$m.cuda.f32
  '$dbsa' logits --backend cpu --model '$fix/models/'\$m.gguf --prompt-file '$fix/reference/'\$p.txt --out '$out/'\$m.cpu.f32
  tol=1e-3; case \$m in *f16) tol=1e-2 ;; esac
  echo \"\$m cuda vs reference:\"; compare_logits '$fix/reference/'\$m.\$p.logits '$out/'\$m.cuda.f32 \$tol
  echo \"\$m cuda vs cpu:\"; compare_logits '$out/'\$m.cpu.f32 '$out/'\$m.cuda.f32 \$tol
  rm -f '$out/'\$m.*.f32
done"
gpu_step memcheck compute-sanitizer --tool memcheck --error-exitcode 1 "$bdir/tests/kernels/dbsa_tests_cuda" \
  --gtest_filter='CudaOps.*:CudaAttention.*:CudaDevice.*'
gpu_step bench-model "$dbsa" model synth -q --out "$bdir/smollm-135m.gguf" --preset smollm-135m \
  --tokenizer-from "$fix/models/tiny-gpt2bpe-f32.gguf"
for be in cuda cpu; do
  gpu_step "bench-prefill-$be" bash -c "'$dbsa' bench prefill --backend $be --model '$bdir/smollm-135m.gguf' \
    --tokens 512,2048 --json > '$out/bench-prefill-$be.json'"
  gpu_step "bench-dbsa-$be" bash -c "'$dbsa' bench dbsa --backend $be --model builtin --dataset trec \
    --data-dir '$shared/data' --blocks 8 --block-demos 10 --select 3 --queries 40 --max-context 2176 \
    --methods dbsa,cached-icl --json > '$out/bench-dbsa-$be.json'"
done
write_summary "$archs" "$device"
