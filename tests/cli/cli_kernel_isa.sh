#!/bin/sh
# The quantized kernels are chosen at run time and capped by DBSA_MAX_ISA: `model info` names each
# type's instruction set, every vector ISA gives the same logits byte for byte (engine/quant_kernels.h:
# the kernels follow one arithmetic), the AMX tile kernels (their own order of float additions,
# engine/quant_kernels_amx.h) give the same argmax at 98% of positions or more and, where the argmax is
# the same, max logits within 5% (a random-weight model carries each flipped 8-bit rounding on through
# the layers: the bounds the fixtures README sets against the reference), and
# types without tile kernels keep the AVX-512 bits there; an unknown ISA name is refused.
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
  # A cap at amx is no cap: where the CPU has no tile unit (or the model no type with tile kernels),
  # the vector kernels run and their bits must come out.
  DBSA_MAX_ISA=amx "$DBSA" logits --model "$M" --prompt-file "$FIX/reference/manyshot.txt" --threads 2 \
    --out "$TMP/amx.bin" --all-positions "$TMP/amx.pos" > /dev/null 2> "$TMP/log" ||
    fail "$model: logits with DBSA_MAX_ISA=amx exited $?: $(cat "$TMP/log")"
  "$DBSA" model info --json "$M" > "$TMP/info.json" || fail "model info exited $?"
  if ! grep -A4 '"kernels"' "$TMP/info.json" | grep -q '"amx"'; then
    cmp -s "$TMP/portable.bin" "$TMP/amx.bin" || fail "$model: no tile kernels, yet the logits changed"
    continue
  fi
  # Lines of .pos: position, argmax, max logit.
  paste -d ' ' "$TMP/portable.pos" "$TMP/amx.pos" | awk -v m="$model" '
    { n++ }
    $2 != $5 { flips++; next }
    { d = $3 - $6; if (d < 0) d = -d; a = $3 < 0 ? -$3 : $3
      if (d > 5e-2 * a) { print "FAIL: " m ": position " $1 " max logit " $6 " on amx, " $3; bad = 1 } }
    END {
      if (n == 0) { print "FAIL: " m ": no positions"; exit 1 }
      if (flips > 0.02 * n) { print "FAIL: " m ": argmax differs at " flips " of " n " positions"; bad = 1 }
      exit bad }' >&2 || exit 1
done
if DBSA_MAX_ISA=sse9 "$DBSA" logits --model "$FIX/models/tiny-spm-q8_0.gguf" --prompt "Hi" --out "$TMP/x.bin" \
  > /dev/null 2> "$TMP/err"; then
  fail "DBSA_MAX_ISA=sse9 was accepted"
fi
grep -q "DBSA_MAX_ISA=sse9: expected portable, avx2, avx512-vnni or amx" "$TMP/err" || fail "unclear refusal: $(cat "$TMP/err")"
echo "ok"
