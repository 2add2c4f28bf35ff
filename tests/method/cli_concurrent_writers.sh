#!/bin/sh
# Several processes writing one KV store at once: two `encode --append` into the same cache
# both land and the cache answers every block afterwards; two evals sharing --cache-dir build the pool's
# cache once (the second waits for it and reuses it); a writer given --lock-timeout 0 is refused in one
# line naming the process that holds the cache, and touches nothing; an eval killed with SIGKILL is
# reported as abandoned, one stopped with SIGTERM exits 143 with its run marked interrupted.
# usage: cli_concurrent_writers.sh DBSA MODEL DATA_DIR SCRATCH
set -u
DBSA=$1 MODEL=$2 DATA=$3 TMP=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
# wait_for PATTERN FILE: until FILE (a command's stderr) shows PATTERN, at most 60 s.
wait_for() {
  i=0
  while ! grep -q "$1" "$2" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 600 ] || fail "no '$1' after 60 s: $(cat "$2")"; sleep 0.1
  done
}
# signal_eval SIG NAME: starts a long dbsa eval into $TMP/NAME.sqlite and sends SIG once its setup runs.
signal_eval() {
  "$DBSA" eval --model "$MODEL" --dataset trec --data-dir "$DATA" --methods dbsa --blocks 30 --block-demos 50 \
    --select 2 --db "$TMP/$2.sqlite" > /dev/null 2> "$TMP/$2.err" &
  pid=$!
  wait_for "dbsa setup" "$TMP/$2.err"
  kill -$1 $pid
  wait $pid 2> /dev/null
}
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"

"$DBSA" encode -q --model "$MODEL" --dataset trec --data-dir "$DATA" --blocks 4 --block-demos 10 --seed 3 \
  --cache-dir "$TMP/store" > "$TMP/encode.out" || fail "encode exited $?"
CACHE=$(sed -n 's/^cache: //p' "$TMP/encode.out")
[ -d "$CACHE" ] || fail "encode printed no cache folder: $(cat "$TMP/encode.out")"

# Two pools of 60 demonstrations (6 blocks each), appended at the same moment.
for p in a b; do
  i=0
  while [ $i -lt 60 ]; do
    echo "{\"text\": \"Question $p$i about the city number $i ?\", \"label\": \"location\"}"
    i=$((i + 1))
  done > "$TMP/pool-$p.jsonl"
done
"$DBSA" encode -q --model "$MODEL" --append "$CACHE" --pool-file "$TMP/pool-a.jsonl" \
  > "$TMP/append-a.out" 2> "$TMP/append-a.err" &
pa=$!
"$DBSA" encode -q --model "$MODEL" --append "$CACHE" --pool-file "$TMP/pool-b.jsonl" \
  > "$TMP/append-b.out" 2> "$TMP/append-b.err" &
pb=$!
wait $pa || fail "append a exited $?: $(cat "$TMP/append-a.err")"
wait $pb || fail "append b exited $?: $(cat "$TMP/append-b.err")"
cat "$TMP/append-a.err" "$TMP/append-b.err"
"$DBSA" query --cache "$CACHE" --text "Question a7 about the city number 7 ?" --select all --json \
  > "$TMP/all.json" || fail "query over every block exited $?"
[ "$(grep -o '"block": [0-9]*' "$TMP/all.json" | sort -u | wc -l)" = 16 ] \
  || fail "expected 16 blocks answering after both appends: $(cat "$TMP/all.json")"
for p in a b; do
  "$DBSA" query --cache "$CACHE" --text "Question ${p}33 about the city number 33 ?" --select 2 --json \
    > "$TMP/q-$p.json" || fail "query of pool $p exited $?"
done
ls "$CACHE" | grep -q '\.tmp' && fail "temporary files left in the cache: $(ls -a "$CACHE")"

# Two evals of one configuration sharing a store: both succeed, the cache is built once.
for r in 1 2; do
  "$DBSA" eval -q --model "$MODEL" --dataset trec --data-dir "$DATA" --methods dbsa --blocks 6 --block-demos 20 \
    --select 2 --test 4 --db "$TMP/eval-$r.sqlite" --cache-dir "$TMP/shared" > "$TMP/eval-$r.out" \
    2> "$TMP/eval-$r.err" &
  eval "pe$r=\$!"
done
wait $pe1 || fail "eval 1 exited $?: $(cat "$TMP/eval-1.err")"
wait $pe2 || fail "eval 2 exited $?: $(cat "$TMP/eval-2.err")"
[ "$(cat "$TMP/eval-1.out" "$TMP/eval-2.out" | grep -c '(cache hit)')" = 1 ] \
  || fail "expected one eval to build and one to reuse: $(cat "$TMP/eval-1.out" "$TMP/eval-2.out")"
[ "$(ls "$TMP/shared" | wc -l)" = 1 ] || fail "expected one cache in the shared store: $(ls -a "$TMP/shared")"

# A build in progress (killed afterwards) and a second writer that may not wait.
"$DBSA" encode --model "$MODEL" --dataset trec --data-dir "$DATA" --blocks 30 --block-demos 50 --chunk 64 \
  --cache-dir "$TMP/big" 2> "$TMP/big.err" > /dev/null &
pbig=$!
wait_for "encode \[" "$TMP/big.err"
timeout 10 "$DBSA" encode -q --model "$MODEL" --dataset trec --data-dir "$DATA" --blocks 30 --block-demos 50 \
  --cache-dir "$TMP/big" --lock-timeout 0 > /dev/null 2> "$TMP/refused.err"
rc=$?
kill -KILL $pbig
wait $pbig 2> /dev/null
[ $rc = 1 ] || fail "the second build exited $rc, expected 1: $(cat "$TMP/refused.err")"
[ "$(wc -l < "$TMP/refused.err")" = 1 ] || fail "expected one line: $(cat "$TMP/refused.err")"
grep -q "cannot build cache '$TMP/big/[0-9a-f]*': process $pbig is writing it" "$TMP/refused.err" \
  || fail "the refusal does not name the cache and process $pbig: $(cat "$TMP/refused.err")"

# An eval killed with SIGKILL leaves its run "running"; the report names it as abandoned.
signal_eval KILL killed
pk=$pid
"$DBSA" report --db "$TMP/killed.sqlite" > "$TMP/killed.report" || fail "report exited $?"
grep -q "1 run was abandoned" "$TMP/killed.report" || fail "no abandoned run reported: $(cat "$TMP/killed.report")"
grep -q "run 1 dbsa on trec, started .* by process $pk on" "$TMP/killed.report" \
  || fail "the abandoned run is not named: $(cat "$TMP/killed.report")"

# SIGTERM (a scheduler's time limit) stops an eval like Ctrl-C: exit 143, the run marked interrupted.
signal_eval TERM term
rc=$?
[ $rc = 143 ] || fail "SIGTERM: exit $rc, expected 143: $(cat "$TMP/term.err")"
grep -q "SIGTERM: the current run is marked interrupted" "$TMP/term.err" || fail "no SIGTERM line: $(cat "$TMP/term.err")"
"$DBSA" report --db "$TMP/term.sqlite" --json | grep -q '"abandoned_runs": \[\]' \
  || fail "a SIGTERM-stopped run counts as abandoned"
echo "concurrent-writers-ok"
