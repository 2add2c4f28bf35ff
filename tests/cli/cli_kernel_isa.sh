#!/bin/sh
# The quantized kernels are chosen at run time and capped by DBSA_MAX_ISA: `model info` names each
# type's instruction set, every ISA gives the same logits byte for byte (engine/quant_kernels.h: the
# kernels follow one arithmetic), and an unknown ISA name is refused.
# usage: cli_kernel_isa.sh DBSA FIXTURES SCRATCH
set -u
DBSA=$1 FIX=$2 TMP=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"
for model in tiny-spm-q8_0 k256-q4_k_m; do
  M="$FIX/models/$model.gguf"
  DBSA_MAX_ISA=portable "$DBSA" model info --json "$M" > "$TMP/info.json" || fail "model info exited $?"
  grep -q '"kernels"' "$TMP/info.json" || fail "$model: no kernels in model info"
  if grep -A4 '"kernels"' "$TMP/info.json" | grep -q '"avx'; then fail "$model: DBSA_MAX_ISA=portable not obeyed"; fi
  for isa in portable avx2 avx512-vnni; do
    DBSA_MAX_ISA=$isa "$DBSA" logits --model "$M" --prompt-file "$FIX/reference/manyshot.txt" --threads 2 \
      --out "$TMP/$isa.bin" --all-positions "$TMP/$isa.pos" > /dev/null 2> "$TMP/log" ||
      fail "$model: logits with DBSA_MAX_ISA=$isa exited $?: $(cat "$TMP/log")"
  done
  for isa in avx2 avx512-vnni; do
    cmp -s "$TMP/portable.bin" "$TMP/$isa.bin" || fail "$model: $isa logits differ from the portable kernels'"
    cmp -s "$TMP/portable.pos" "$TMP/$isa.pos" || fail "$model: $isa positions differ from the portable kernels'"
  done
done
if DBSA_MAX_ISA=sse9 "$DBSA" logits --model "$FIX/models/tiny-spm-q8_0.gguf" --prompt "Hi" --out "$TMP/x.bin" \
  > /dev/null 2> "$TMP/err"; then
  fail "DBSA_MAX_ISA=sse9 was accepted"
fi
grep -q "DBSA_MAX_ISA=sse9: expected portable, avx2 or avx512-vnni" "$TMP/err" || fail "unclear refusal: $(cat "$TMP/err")"
echo "ok"
