#!/bin/sh
# End to end `dbsa eval` / `dbsa sweep`: the acceptance command (tiny-spm-f32, TREC, 4 blocks x
# 10 demos, select 2, 20 test queries, all five methods, 2 runs) must finish in under 2 minutes and fill
# the DB, `dbsa report` must work on it; a re-run reuses the caches; bad inputs fail with one line and
# write nothing; shards + `dbsa merge` give the unsharded set of runs; a sweep runs every point; Ctrl-C
# exits 130 with the current run marked interrupted.
# usage: cli_eval.sh DBSA MODEL DATA_DIR SCRATCH
set -u
DBSA=$1 MODEL=$2 DATA=$3 TMP=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"
runs() { sqlite3 "$1" "SELECT count(*) FROM runs WHERE status = '$2'"; }
SMALL="--model $MODEL --dataset trec --data-dir $DATA --blocks 4 --block-demos 10 --select 2 --threads 2"

# --- acceptance, timed ---
t0=$(date +%s.%N)
"$DBSA" eval $SMALL --methods dbsa,full-icl,cached-icl,retrieval-icl,zero-shot --runs 2 --test 20 \
  --db "$TMP/acc.sqlite" > "$TMP/acc.out" 2> "$TMP/acc.err" || fail "acceptance eval exited $?: $(cat "$TMP/acc.err")"
t1=$(date +%s.%N)
secs=$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")
echo "acceptance eval (20 queries, 2 runs, 5 methods): $secs s"
awk "BEGIN { exit !($secs < 120) }" || fail "acceptance eval took $secs s (limit 120 s)"
grep -q "ETA" "$TMP/acc.err" || fail "no progress bar with ETA on stderr"
[ "$(runs "$TMP/acc.sqlite" finished)" = 10 ] || fail "expected 10 finished runs"
[ "$(sqlite3 "$TMP/acc.sqlite" 'SELECT count(*) FROM predictions')" = 200 ] || fail "expected 200 per-query rows"
"$DBSA" report --db "$TMP/acc.sqlite" > "$TMP/report.txt" || fail "report exited $?"
for m in dbsa full-icl cached-icl retrieval-icl zero-shot; do
  grep -q "^trec  *tiny-spm-f32.gguf  *$m " "$TMP/report.txt" || fail "report has no row for $m: $(cat "$TMP/report.txt")"
done
"$DBSA" report --db "$TMP/acc.sqlite" --json > "$TMP/report.json" || fail "report --json exited $?"
[ "$(grep -c '"method"' "$TMP/report.json")" = 5 ] || fail "report --json: expected 5 rows"
"$DBSA" report --db "$TMP/acc.sqlite" --markdown | grep -q "| trec" || fail "report --markdown"

# --- re-run: the block caches are reused ---
"$DBSA" eval -q $SMALL --methods dbsa,full-icl --runs 2 --test 20 --db "$TMP/acc.sqlite" --json > "$TMP/rerun.json" \
  || fail "re-run exited $?"
[ "$(grep -c '"cache_hit": true' "$TMP/rerun.json")" = 4 ] || fail "re-run: expected 4 cache hits: $(cat "$TMP/rerun.json")"
[ "$(sqlite3 "$TMP/acc.sqlite" "SELECT count(*) FROM runs WHERE cache_hit = 1 AND status = 'finished'")" = 4 ] \
  || fail "re-run: the 4 cache hits are not recorded in the DB"

# --- bad inputs: exit != 0, one line on stderr, nothing written ---
printf 'GGUF\003\0\0\0\0\0\0\0\0\0\0\0\001\0\0\0\0\0\0\0\024\0\0\0\0\0\0\0general.architecture\010\0\0\0\005\0\0\0\0\0\0\0llama' \
  > "$TMP/no-tokenizer.gguf"
mkdir -p "$TMP/empty-data"
if [ "$(id -u)" = 0 ]; then RO_DB=/sys/dbsa-eval-test.sqlite; else
  mkdir -p "$TMP/ro" && chmod 555 "$TMP/ro" && RO_DB="$TMP/ro/r.sqlite"; fi
bad() {
  expect=$1 db=$2
  shift 2
  "$DBSA" eval -q "$@" --db "$db" > /dev/null 2> "$TMP/bad.err"
  rc=$?
  [ $rc != 0 ] || fail "accepted a bad input ($expect)"
  [ "$(wc -l < "$TMP/bad.err")" = 1 ] || fail "not one line for '$expect': $(cat "$TMP/bad.err")"
  grep -q -- "$expect" "$TMP/bad.err" || fail "expected '$expect' in: $(cat "$TMP/bad.err")"
  [ ! -e "$db" ] || fail "'$expect' left $db behind"
  [ ! -e "${db%.sqlite}.kvcache" ] || fail "'$expect' left a KV store behind"
}
B="--dataset trec --data-dir $DATA --blocks 4 --block-demos 10 --test 3"
bad "cannot open dataset file" "$TMP/bad.sqlite" --model "$MODEL" --dataset trec --data-dir "$TMP/empty-data" \
  --blocks 4 --block-demos 10 --select 2
bad "unknown method 'lora'" "$TMP/bad.sqlite" --model "$MODEL" $B --select 2 --methods dbsa,lora
bad "is larger than --blocks" "$TMP/bad.sqlite" --model "$MODEL" $B --select 5
bad "tokenizer" "$TMP/bad.sqlite" --model "$TMP/no-tokenizer.gguf" $B --select 2
bad "cannot write the results database" "$RO_DB" --model "$MODEL" $B --select 2

# --- shards: 0/2 and 1/2 merged equal the unsharded set ---
for i in 0 1; do
  "$DBSA" eval -q $SMALL --runs 2 --test 5 --shard $i/2 --cache-dir "$TMP/kv" --db "$TMP/shard$i.sqlite" > /dev/null \
    || fail "shard $i/2 exited $?"
done
[ "$(runs "$TMP/shard0.sqlite" finished)" = 5 ] && [ "$(runs "$TMP/shard1.sqlite" finished)" = 5 ] \
  || fail "each shard should hold 5 of the 10 runs"
"$DBSA" merge --into "$TMP/merged.sqlite" "$TMP/shard0.sqlite" "$TMP/shard1.sqlite" > /dev/null || fail "merge exited $?"
[ "$(runs "$TMP/merged.sqlite" finished)" = 10 ] || fail "merged DB should hold 10 runs"
[ "$(sqlite3 "$TMP/merged.sqlite" "SELECT count(DISTINCT method || '/' || seed) FROM runs")" = 10 ] \
  || fail "merged runs are not the 10 distinct (method, seed) units"

# --- sweep: every point of sink x prev ---
"$DBSA" sweep -q $SMALL --methods dbsa --runs 1 --test 3 --vary sink=0,1 --vary prev=1,all --db "$TMP/sweep.sqlite" \
  > /dev/null || fail "sweep exited $?"
[ "$(sqlite3 "$TMP/sweep.sqlite" "SELECT count(DISTINCT sink || ',' || prev) FROM runs WHERE status = 'finished'")" = 4 ] \
  || fail "sweep: expected 4 finished points"
"$DBSA" report --db "$TMP/sweep.sqlite" --by-config > /dev/null || fail "report --by-config on the sweep"

# --- Ctrl-C: exit 130, the current run interrupted, finished runs kept ---
"$DBSA" eval --model "$MODEL" --dataset trec --data-dir "$DATA" --blocks 20 --block-demos 10 --select 10 --threads 2 \
  --methods zero-shot,retrieval-icl --runs 2 --db "$TMP/int.sqlite" \
  > /dev/null 2> "$TMP/int.err" &
pid=$!
i=0
while ! grep -q "retrieval-icl [0-9]" "$TMP/int.err" 2> /dev/null; do
  kill -0 $pid 2> /dev/null || fail "eval ended before it could be interrupted: $(cat "$TMP/int.err")"
  i=$((i + 1)); [ $i -lt 600 ] || fail "no retrieval-icl progress after 60 s"; sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || fail "SIGINT: exit code $rc, expected 130"
[ "$(runs "$TMP/int.sqlite" interrupted)" = 1 ] || fail "SIGINT: expected one interrupted run"
[ "$(runs "$TMP/int.sqlite" running)" = 0 ] || fail "SIGINT: a run was left 'running'"
[ "$(runs "$TMP/int.sqlite" finished)" -ge 1 ] || fail "SIGINT: the finished zero-shot run was lost"
echo "ok"
