#!/bin/sh
# `dbsa cache list`: the caches of a store with how each model held its weights (method/cache_listing.h):
# one file encoded with its Q8_0 weights in blocks and as F16 gives two caches, named native and f16; an
# F16 file encoded native and with --weights-f32 gives two, named f16 and f32; an F32 file names none; a folder that is not a cache is listed with its error; a missing store is refused.
# usage: cli_cache_list.sh DBSA FIXTURES DATA SCRATCH
set -u
DBSA=$1 FIX=$2 DATA=$3 TMP=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"
enc() {
  "$DBSA" encode --model "$FIX/models/$1.gguf" --dataset trec --data-dir "$DATA" --blocks 2 --block-demos 3 \
    --cache-dir "$TMP/store" --threads 2 $2 > /dev/null 2> "$TMP/log" || fail "encode $1 $2 exited $?: $(cat "$TMP/log")"
}
enc tiny-spm-q8_0 ""
enc tiny-spm-q8_0 --weights-f16
enc tiny-spm-f32 ""
enc tiny-spm-f16 ""
enc tiny-spm-f16 --weights-f32
mkdir -p "$TMP/store/0123456789abcdef0123456789abcdef"
"$DBSA" cache list --store "$TMP/store" > "$TMP/list" 2> "$TMP/log" || fail "cache list exited $?: $(cat "$TMP/log")"
[ "$(wc -l < "$TMP/list")" -eq 6 ] || fail "expected 6 lines: $(cat "$TMP/list")"
grep -q "tiny-spm-q8_0.gguf (native)  trec  S=1 P=2, 3/block" "$TMP/list" || fail "no native Q8_0 cache: $(cat "$TMP/list")"
grep -q "tiny-spm-q8_0.gguf (f16)  trec" "$TMP/list" || fail "no f16 Q8_0 cache: $(cat "$TMP/list")"
grep -q "tiny-spm-f16.gguf (f16)  trec" "$TMP/list" || fail "no native F16-file cache: $(cat "$TMP/list")"
grep -q "tiny-spm-f16.gguf (f32)  trec" "$TMP/list" || fail "no f32 F16-file cache: $(cat "$TMP/list")"
grep -q "tiny-spm-f32.gguf  trec" "$TMP/list" || fail "the F32 cache names a holding: $(cat "$TMP/list")"
grep -q "^0123456789abcdef0123456789abcdef .*unreadable: " "$TMP/list" || fail "no unreadable folder: $(cat "$TMP/list")"
"$DBSA" cache list --store "$TMP/store" --json > "$TMP/list.json" || fail "cache list --json exited $?"
for w in '"weights":"native"' '"weights":"f16"' '"weights":""' '"blocks":2'; do
  grep -q "$w" "$TMP/list.json" || fail "--json has no $w: $(cat "$TMP/list.json")"
done
if "$DBSA" cache list --store "$TMP/absent" > /dev/null 2> "$TMP/err"; then fail "a missing store was listed"; fi
grep -q "cache list: --store $TMP/absent: no such folder" "$TMP/err" || fail "unclear refusal: $(cat "$TMP/err")"
echo ok
