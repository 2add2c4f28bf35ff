#!/bin/sh
# End-to-end `dbsa encode` / `dbsa query`: build a cache, query it (text and JSON), append blocks,
# interrupt an encode with SIGINT and kill another with SIGKILL: neither may leave a visible cache, and
# the next encode must succeed.
# usage: cli_encode_query.sh DBSA MODEL DATA_DIR SCRATCH
set -u
DBSA=$1 MODEL=$2 DATA=$3 TMP=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"

"$DBSA" encode -q --model "$MODEL" --dataset trec --data-dir "$DATA" --blocks 4 --block-demos 10 --seed 3 \
  --cache-dir "$TMP/store" > "$TMP/encode.out" || fail "encode exited $?"
CACHE=$(sed -n 's/^cache: //p' "$TMP/encode.out")
[ -d "$CACHE" ] || fail "encode printed no cache folder: $(cat "$TMP/encode.out")"
grep -q "blocks 4," "$TMP/encode.out" || fail "expected 4 blocks: $(cat "$TMP/encode.out")"

"$DBSA" query --cache "$CACHE" --text "Who wrote Hamlet ?" --select 2 > "$TMP/query.out" || fail "query exited $?"
grep -q "^label: " "$TMP/query.out" || fail "no label line: $(cat "$TMP/query.out")"
grep -q "block    0 .*(sink)" "$TMP/query.out" || fail "sink not listed first: $(cat "$TMP/query.out")"
[ "$(grep -c '^  block ' "$TMP/query.out")" = 2 ] || fail "expected 2 selected blocks"

"$DBSA" query --cache "$CACHE" --text "Who wrote Hamlet ?" --select all --json --logits-out "$TMP/l.f32" \
  > "$TMP/query.json" || fail "query --json exited $?"
grep -q '"context_tokens"' "$TMP/query.json" || fail "no JSON record"
[ "$(wc -c < "$TMP/l.f32")" = 128000 ] || fail "logits file is not 32000 float32 values"

printf '%s\n' '{"text": "Who wrote Hamlet ?", "label": "human"}' '{"text": "Where is Lima ?", "label": "location"}' \
  '{"text": "How far is the moon ?", "label": "numeric"}' > "$TMP/new.jsonl"
"$DBSA" encode -q --model "$MODEL" --append "$CACHE" --pool-file "$TMP/new.jsonl" > "$TMP/append.out" \
  || fail "append exited $?"
grep -q "blocks 5," "$TMP/append.out" || fail "expected 5 blocks after append: $(cat "$TMP/append.out")"
"$DBSA" query --cache "$CACHE" --text "Who wrote Hamlet ?" --select 2 | grep -q "block    4" \
  || fail "the appended block (holding the query itself) is not retrieved"

# SIGINT once the progress bar shows: exit 130, nothing visible in the store, not even a temp folder.
for sig in INT KILL; do
  rm -rf "$TMP/big" && mkdir -p "$TMP/big"
  "$DBSA" encode --model "$MODEL" --dataset trec --data-dir "$DATA" --blocks 30 --block-demos 50 --chunk 64 \
    --cache-dir "$TMP/big" 2> "$TMP/big.err" > /dev/null &
  pid=$!
  i=0
  while ! grep -q "encode \[" "$TMP/big.err" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 600 ] || fail "no progress bar after 60 s"; sleep 0.1
  done
  kill -$sig $pid
  wait $pid 2> /dev/null
  rc=$?
  [ $sig = INT ] && [ $rc != 130 ] && fail "SIGINT: exit code $rc, expected 130"
  [ -z "$(ls "$TMP/big")" ] || [ $sig = KILL ] || fail "SIGINT left files: $(ls -a "$TMP/big")"
  [ -z "$(ls "$TMP/big" | grep -v '^\.')" ] || fail "SIG$sig left a visible cache: $(ls "$TMP/big")"
done
# After the SIGKILL a hidden temp folder may remain; the next encode of the same key must still succeed.
"$DBSA" encode -q --model "$MODEL" --dataset trec --data-dir "$DATA" --blocks 30 --block-demos 50 \
  --cache-dir "$TMP/big" > "$TMP/big.out" || fail "encode after SIGKILL exited $?"
grep -q "blocks 30," "$TMP/big.out" || fail "encode after SIGKILL: $(cat "$TMP/big.out")"
echo "ok"
