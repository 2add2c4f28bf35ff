#!/bin/sh
# The weight precision a cache was computed with is part of its identity: a quantized model encoded with
# its matrices dequantized to F16 (default) and to F32 (--weights-f32) gives two caches, and a query
# that loads the model the other way is refused with a message saying which flag matches.
# usage: cli_weight_precision.sh DBSA QUANTIZED_MODEL DATA_DIR SCRATCH
set -u
DBSA=$1 MODEL=$2 DATA=$3 TMP=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"
encode() {
  "$DBSA" encode -q --model "$MODEL" --dataset trec --data-dir "$DATA" --blocks 2 --block-demos 4 --seed 1 \
    --cache-dir "$TMP/store" "$@" > "$TMP/encode.out" || fail "encode $* exited $?"
  sed -n 's/^cache: //p; s/^cache exists (reused): //p' "$TMP/encode.out"
}
F16=$(encode)
F32=$(encode --weights-f32)
[ -d "$F16" ] && [ -d "$F32" ] || fail "no cache folders: '$F16' '$F32'"
[ "$F16" != "$F32" ] || fail "F16- and F32-dequantized encodes share the cache $F16"
[ "$(encode)" = "$F16" ] || fail "re-encoding with the default precision did not find its cache"

Q="Who wrote Hamlet ?"
"$DBSA" query --cache "$F16" --text "$Q" > /dev/null || fail "default query of the default cache exited $?"
"$DBSA" query --cache "$F32" --text "$Q" --weights-f32 > /dev/null || fail "--weights-f32 query of its cache exited $?"
if "$DBSA" query --cache "$F16" --text "$Q" --weights-f32 > /dev/null 2> "$TMP/err1"; then
  fail "an F32 query of the F16 cache was accepted"
fi
grep -q "drop --weights-f32\|without --weights-f32" "$TMP/err1" || fail "unclear refusal: $(cat "$TMP/err1")"
if "$DBSA" query --cache "$F32" --text "$Q" > /dev/null 2> "$TMP/err2"; then
  fail "a default query of the F32 cache was accepted"
fi
grep -q "(--weights-f32)" "$TMP/err2" || fail "unclear refusal: $(cat "$TMP/err2")"
printf '%s\n' '{"text": "Where is Lima ?", "label": "location"}' > "$TMP/new.jsonl"
if "$DBSA" encode -q --model "$MODEL" --append "$F16" --pool-file "$TMP/new.jsonl" --weights-f32 \
  > /dev/null 2> "$TMP/err3"; then
  fail "an F32 append to the F16 cache was accepted"
fi
grep -q "without --weights-f32" "$TMP/err3" || fail "unclear append refusal: $(cat "$TMP/err3")"
echo "ok"
