#!/bin/sh
# --kv-cache f16 (engine/kv_cache.h, KvType): an F32 model's logits over the fixtures' long prompt stay
# within the README's F32 bound of the reference (made with an F32 cache) with the same argmax everywhere;
# the cache is half the bytes; the reference order and unknown types are refused in one line.
# usage: cli_kv_cache.sh DBSA FIXTURES SCRATCH
set -u
DBSA=$1 FIX=$2 TMP=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"
model=tiny-spm-f32
REF="$FIX/reference/$model.long.positions"
[ -f "$REF" ] || fail "missing $REF"
"$DBSA" logits --model "$FIX/models/$model.gguf" --kv-cache f16 --threads 2 \
  --prompt-file "$FIX/reference/long.txt" --out "$TMP/f16.bin" --all-positions "$TMP/f16.pos" \
  > /dev/null 2> "$TMP/log" || fail "logits --kv-cache f16 exited $?: $(cat "$TMP/log")"
paste -d ' ' "$REF" "$TMP/f16.pos" | awk '
  { n++; if ($1 != $12) { print "FAIL: line " n " is position " $12 ", expected " $1; bad = 1; exit } }
  $2 != $13 { flips++ }
  { d = $3 - $14; if (d < 0) d = -d; a = $3 < 0 ? -$3 : $3; if (a < 1) a = 1; if (d > worst * a) worst = d / a }
  END {
    if (bad) exit 1
    if (n < 2000 || flips > 0 || worst > 1e-3) { print "FAIL: F16 cache: " flips " argmax flips of " n ", worst " worst; exit 1 }
  }' >&2 || exit 1
for kv in f32 f16; do
  "$DBSA" bench decode --model "$FIX/models/$model.gguf" --kv-cache $kv --tokens 64 --n-decode 2 --threads 1 \
    --json > "$TMP/$kv.json" 2> "$TMP/log" || fail "bench decode --kv-cache $kv exited $?: $(cat "$TMP/log")"
  grep -q "\"kv_cache\":\"$kv\"" "$TMP/$kv.json" || fail "bench decode does not report --kv-cache $kv: $(cat "$TMP/$kv.json")"
done
mb() { sed 's/.*"kv_cache_mb":\([0-9.e+-]*\).*/\1/' "$1"; }
awk -v a="$(mb "$TMP/f32.json")" -v b="$(mb "$TMP/f16.json")" 'BEGIN { exit !(a > 0 && a == 2 * b) }' ||
  fail "an F16 cache is not half the F32 one: $(mb "$TMP/f32.json") MB against $(mb "$TMP/f16.json") MB"
if "$DBSA" logits --model "$FIX/models/$model.gguf" --backend cpu-reference --kv-cache f16 --prompt "Hi" \
  --out "$TMP/x.bin" > /dev/null 2> "$TMP/err"; then
  fail "--kv-cache f16 was accepted with --backend cpu-reference"
fi
grep -q "kv-cache f16: the cpu-reference backend reads F32 caches only" "$TMP/err" || fail "unclear refusal: $(cat "$TMP/err")"
if "$DBSA" logits --model "$FIX/models/$model.gguf" --kv-cache q8 --prompt "Hi" --out "$TMP/x.bin" \
  > /dev/null 2> "$TMP/err"; then
  fail "--kv-cache q8 was accepted"
fi
grep -q "kv-cache: q8 not in {f32,f16}" "$TMP/err" || fail "unclear refusal: $(cat "$TMP/err")"
echo "ok"
