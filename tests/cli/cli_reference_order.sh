#!/bin/sh
# --backend cpu-reference reproduces the reference implementation (llama.cpp's CPU build,
# ../shared/fixtures/README.md) on the quantized fixtures, on this CPU as it is (engine/cpu_backend.h: it
# keeps to the vector kernels where the CPU has a tile unit): the same argmax at every position of the long
# prompt and max logits equal to the 6 digits both print. The default backend may differ (its streamed
# attention and tile kernels sum in other orders), but within the README's bounds. An unknown backend is
# refused with the list of known ones.
# usage: cli_reference_order.sh DBSA FIXTURES SCRATCH
set -u
DBSA=$1 FIX=$2 TMP=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"
for model in tiny-spm-q8_0 k256-q4_k_m; do
  REF="$FIX/reference/$model.long.positions"
  [ -f "$REF" ] || fail "missing $REF"
  for backend in cpu-reference cpu; do
    "$DBSA" logits --model "$FIX/models/$model.gguf" --backend $backend --threads 2 \
      --prompt-file "$FIX/reference/long.txt" --out "$TMP/$backend.bin" --all-positions "$TMP/$backend.pos" \
      > /dev/null 2> "$TMP/log" || fail "$model: logits --backend $backend exited $?: $(cat "$TMP/log")"
    # Reference lines: position argmax max_logit (8 sampled logits); ours: position argmax max_logit.
    paste -d ' ' "$REF" "$TMP/$backend.pos" | awk -v m="$model" -v b="$backend" '
      { n++; if ($1 != $12) { print "FAIL: " m ": line " n " is position " $12 ", expected " $1; bad = 1; exit } }
      $2 != $13 { flips++ }
      $2 == $13 { d = $3 - $14; if (d < 0) d = -d; a = $3 < 0 ? -$3 : $3; if (a < 1) a = 1
        if (d > worst * a) worst = d / a }
      END {
        if (bad) exit 1
        if (b == "cpu-reference" && (flips > 0 || worst > 1e-5)) {
          print "FAIL: " m ": cpu-reference differs from the reference: " flips " argmax flips of " n ", max logit off by " worst; exit 1 }
        if (flips > 0.02 * n || worst > 5e-2) {
          print "FAIL: " m ": " b " outside the fixture bounds: " flips " flips of " n ", worst " worst; exit 1 }
      }' >&2 || exit 1
  done
done
if "$DBSA" logits --model "$FIX/models/tiny-spm-q8_0.gguf" --backend cpu-exact --prompt "Hi" --out "$TMP/x.bin" \
  > /dev/null 2> "$TMP/err"; then
  fail "--backend cpu-exact was accepted"
fi
grep -q "unknown backend 'cpu-exact'; available: cpu, cpu-reference" "$TMP/err" || fail "unclear refusal: $(cat "$TMP/err")"
# The help says what each backend is for, the GPU's included where this build has no module.
"$DBSA" logits --help > "$TMP/help" 2>&1 || fail "logits --help exited $?"
tr -s ' \n' ' ' < "$TMP/help" | grep -q "cpu (the fastest.*cpu-reference (llama.cpp's AVX2 order.*or cuda (the GPU" ||
  fail "--backend help does not describe the backends: $(grep -A3 -- --backend "$TMP/help")"
echo "ok"
