#!/bin/sh
# End-to-end `dbsa bench dbsa` / `dbsa bench encode` on the tiny model: both print their table and their
# JSON, a second `bench dbsa` over the same --cache-dir is a cache hit, bad arguments fail with a message.
# usage: cli_bench.sh DBSA MODEL DATA_DIR SCRATCH
set -u
DBSA=$1 MODEL=$2 DATA=$3 TMP=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"
COMMON="--model $MODEL --dataset trec --data-dir $DATA --block-demos 5 --threads 2"

"$DBSA" bench dbsa $COMMON --blocks 4 --select 2 --queries 3 --cache-dir "$TMP/store" > "$TMP/dbsa.txt" 2> "$TMP/dbsa.err" \
  || fail "bench dbsa exited $?: $(cat "$TMP/dbsa.err")"
for m in dbsa cached-icl retrieval-icl zero-shot; do
  grep -q "^$m " "$TMP/dbsa.txt" || fail "no row for $m: $(cat "$TMP/dbsa.txt")"
done
grep -q "^dbsa .* no " "$TMP/dbsa.txt" || fail "first run must pre-encode: $(cat "$TMP/dbsa.txt")"
grep -q "^ratios (mean per-query latency): dbsa/cached-icl " "$TMP/dbsa.txt" || fail "no ratios line"
grep -q "^ratios (median per-query latency): " "$TMP/dbsa.txt" || fail "no median ratios line"

"$DBSA" bench dbsa $COMMON --blocks 4 --select 2 --queries 3 --cache-dir "$TMP/store" --methods dbsa --json \
  > "$TMP/dbsa.json" 2> "$TMP/dbsa.err" || fail "bench dbsa --json exited $?: $(cat "$TMP/dbsa.err")"
for f in '"bench": "dbsa"' '"ratios_p50"' '"mean_stages_s"' '"setup_cache_hit": true' '"kv_bytes"' '"p95_s"' '"peak_rss_bytes"' '"ratios"' \
  '"pool_demos": 20'; do
  grep -q "$f" "$TMP/dbsa.json" || fail "JSON lacks $f: $(cat "$TMP/dbsa.json")"
done

"$DBSA" bench encode $COMMON --blocks 2,4 --dense --scratch-dir "$TMP" --json > "$TMP/encode.json" \
  2> "$TMP/encode.err" || fail "bench encode exited $?: $(cat "$TMP/encode.err")"
[ "$(grep -c '"layout": "dense"' "$TMP/encode.json")" = 3 ] || fail "expected dense growth + 2 dense runs"
grep -q '"time_ratio"' "$TMP/encode.json" || fail "no growth ratio: $(cat "$TMP/encode.json")"
[ -z "$(ls -A "$TMP" | grep dbsa-bench-encode)" ] || fail "bench encode left its scratch caches"

"$DBSA" bench encode $COMMON --blocks 2,x > /dev/null 2> "$TMP/bad.err" && fail "--blocks 2,x accepted"
grep -q -- "--blocks" "$TMP/bad.err" || fail "the error does not name --blocks: $(cat "$TMP/bad.err")"
"$DBSA" bench dbsa $COMMON --blocks 4 --queries 100000 > /dev/null 2> "$TMP/bad.err" && fail "--queries 100000 accepted"
grep -q "test examples" "$TMP/bad.err" || fail "the error does not say why: $(cat "$TMP/bad.err")"
echo "ok"
