#!/bin/sh
# gpu_check.sh ROOT TMP: the CPU-side parts of packaging/gpu-check.sh on a machine without a GPU: the
# architectures come from nvidia-smi's compute capabilities (a stand-in nvidia-smi here: two GPU kinds,
# one twice), a missing nvidia-smi is refused in one line, and with --skip-gpu every device step is
# recorded as skipped in a summary.json that parses, with no step failed.
root="$1"
tmp="$2"
rm -rf "$tmp" && mkdir -p "$tmp/bin" || exit 1
cat >"$tmp/bin/nvidia-smi" <<'SMI'
#!/bin/sh
case "$*" in
  *name,compute_cap*) printf 'NVIDIA H200, 9.0, 580.159.04, 143771 MiB\nNVIDIA A10, 8.6, 580.159.04, 23028 MiB\n' ;;
  *compute_cap*) printf '9.0\n8.6\n9.0\n' ;;
  *) exit 1 ;;
esac
SMI
chmod +x "$tmp/bin/nvidia-smi"

fail() { echo "FAIL: $*"; exit 1; }

# No driver and no --skip-gpu: one line, exit 2, nothing built.
err=$(PATH="/usr/bin:/bin" bash "$root/packaging/gpu-check.sh" "$tmp/no-driver" --no-deps --no-build 2>&1)
[ $? -eq 2 ] || fail "without nvidia-smi the check did not stop with exit 2: $err"
printf '%s' "$err" | grep -q "nvidia-smi not found" || fail "no clear line without nvidia-smi: $err"

PATH="$tmp/bin:$PATH" bash "$root/packaging/gpu-check.sh" "$tmp/out" --skip-gpu --no-deps --no-build \
  >"$tmp/log" 2>&1 || fail "the check failed: $(cat "$tmp/log")"
summary="$tmp/out/summary.json"
cmake -DFILE="$summary" -P "$root/packaging/json-check.cmake" || fail "summary.json does not parse"
grep -q '"note": "device: none; archs: 86;90"' "$summary" || fail "archs not 86;90: $(cat "$summary")"
skipped=$(grep -c '"status": "skipped"' "$summary")
[ "$skipped" -ge 8 ] || fail "expected every device step skipped, got $skipped: $(cat "$summary")"
grep -q '"failed_steps": 0' "$summary" || fail "a step failed: $(cat "$summary")"
for name in ctest-cuda stories260k-cuda logits-cuda memcheck bench-prefill-cuda bench-dbsa-cuda; do
  grep -q "\"name\": \"$name\", \"status\": \"skipped\"" "$summary" || fail "step $name missing"
done

# DBSA_GPU_ARCHS overrides what nvidia-smi says.
DBSA_GPU_ARCHS=89 PATH="$tmp/bin:$PATH" bash "$root/packaging/gpu-check.sh" "$tmp/out2" --skip-gpu --no-deps \
  --no-build >/dev/null 2>&1 || fail "the check with DBSA_GPU_ARCHS failed"
grep -q '"cuda_archs": "89"' "$tmp/out2/summary.json" || fail "DBSA_GPU_ARCHS not used"
echo gpu-check-ok
