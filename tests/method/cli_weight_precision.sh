#!/bin/sh
# The way a cache's quantized weights were held is part of its identity: a quantized model encoded with
# its matrices in their blocks (default), dequantized to F16 (--weights-f16) and to F32 (--weights-f32)
# gives three caches, and a query or append that loads the model another way is refused with a message
# saying which flag matches.
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
NATIVE=$(encode)
F16=$(encode --weights-f16)
F32=$(encode --weights-f32)
[ -d "$NATIVE" ] && [ -d "$F16" ] && [ -d "$F32" ] || fail "no cache folders: '$NATIVE' '$F16' '$F32'"
[ "$NATIVE" != "$F16" ] && [ "$NATIVE" != "$F32" ] && [ "$F16" != "$F32" ] ||
  fail "two holdings share a cache: '$NATIVE' '$F16' '$F32'"
[ "$(encode)" = "$NATIVE" ] || fail "re-encoding with the default holding did not find its cache"
if "$DBSA" encode -q --model "$MODEL" --dataset trec --data-dir "$DATA" --blocks 2 --block-demos 4 \
  --cache-dir "$TMP/store" --weights-f16 --weights-f32 > /dev/null 2> "$TMP/err0"; then
  fail "--weights-f16 with --weights-f32 was accepted"
fi
grep -q "excludes" "$TMP/err0" || fail "unclear refusal of both flags: $(cat "$TMP/err0")"

Q="Who wrote Hamlet ?"
"$DBSA" query --cache "$NATIVE" --text "$Q" > /dev/null || fail "default query of the default cache exited $?"
"$DBSA" query --cache "$F16" --text "$Q" --weights-f16 > /dev/null || fail "--weights-f16 query of its cache exited $?"
"$DBSA" query --cache "$F32" --text "$Q" --weights-f32 > /dev/null || fail "--weights-f32 query of its cache exited $?"
refused() {  # refused CACHE EXPECTED-TEXT [FLAGS]
  cache=$1 want=$2
  shift 2
  if "$DBSA" query --cache "$cache" --text "$Q" "$@" > /dev/null 2> "$TMP/err"; then
    fail "a query ($*) of $cache was accepted"
  fi
  grep -q -- "$want" "$TMP/err" || fail "unclear refusal: $(cat "$TMP/err")"
}
refused "$NATIVE" "without --weights-f16/-f32" --weights-f32
refused "$NATIVE" "without --weights-f16/-f32" --weights-f16
refused "$F32" "(--weights-f32)"
refused "$F16" "(--weights-f16)" --weights-f32
printf '%s\n' '{"text": "Where is Lima ?", "label": "location"}' > "$TMP/new.jsonl"
if "$DBSA" encode -q --model "$MODEL" --append "$NATIVE" --pool-file "$TMP/new.jsonl" --weights-f32 \
  > /dev/null 2> "$TMP/err3"; then
  fail "an F32 append to the native cache was accepted"
fi
grep -q "without --weights-f16/-f32" "$TMP/err3" || fail "unclear append refusal: $(cat "$TMP/err3")"
echo "ok"
