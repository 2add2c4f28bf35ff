#!/bin/sh
# Inputs longer than the model's context are refused at once, before any forward pass, in one line that
# gives the token count, the limit and where the input came from. Each command runs under a
# generous `timeout`: a refusal that takes as long as the work it refuses would hang the test. Speed
# goals of the tokenizers themselves live in benchmarks, not here.
# usage: length_limits.sh DBSA FIXTURES DATA_DIR SCRATCH
set -u
DBSA=$1 FIX=$2 DATA=$3 TMP=$4
SPM="$FIX/models/tiny-spm-f32.gguf"
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"

# One megabyte of an ordinary question, and one megabyte of a single character.
yes "What is the capital of France ?" | head -c 1048576 > "$TMP/big.txt"
head -c 1048576 /dev/zero | tr '\0' 'a' > "$TMP/word.txt"

# expect REGEX CMD...: CMD fails within 10 s (exit 1 or a CLI11 parse error), its stderr is one line
# matching REGEX.
expect() {
  regex=$1
  shift
  timeout 10 "$@" > "$TMP/out" 2> "$TMP/err"
  rc=$?
  [ $rc = 124 ] && fail "still running after 10 s: $*"
  [ $rc = 0 ] && fail "accepted: $*"
  [ $rc -ge 128 ] && fail "crashed (exit $rc): $*"
  [ "$(wc -l < "$TMP/err")" = 1 ] || fail "expected one line on stderr, got: $(cat "$TMP/err")"
  grep -Eq -- "$regex" "$TMP/err" || fail "stderr does not match /$regex/: $(cat "$TMP/err")"
  echo "ok: $(cat "$TMP/err")"
}

expect "logits: the prompt \(--prompt-file $TMP/big.txt\): [0-9]{6} tokens, more than the context of 4096 tokens \(llama.context_length of tiny-spm-f32.gguf; --max-context sets another\)" \
  "$DBSA" logits --model "$SPM" --prompt-file "$TMP/big.txt" --out "$TMP/never.f32"
expect "logits: the prompt \(--prompt-file $TMP/word.txt\): [0-9]{6} tokens, more than the context of 4096" \
  "$DBSA" logits --model "$SPM" --prompt-file "$TMP/word.txt" --out "$TMP/never.f32"
expect "logits: the prompt \(--prompt\): 6 tokens, more than the context of 5 tokens \(--max-context\)" \
  "$DBSA" logits --model "$SPM" --prompt "The capital of France is" --max-context 5 --out "$TMP/never.f32"
[ -e "$TMP/never.f32" ] && fail "a refused logits command wrote its output"

expect "generate: the prompt's 5 tokens \+ --max-tokens 100000000: 100000005 tokens, more than the context of 512 tokens \(llama.context_length of stories260K-f32.gguf; --max-context sets another\); at most --max-tokens 507 fits after this prompt" \
  "$DBSA" generate --model "$FIX/models/stories260K-f32.gguf" --prompt "Once upon a time" --max-tokens 100000000
expect "^--max-tokens: 0: must be a whole number >= 1 \\(--help lists the options\\)$" \
  "$DBSA" generate --model "$FIX/models/stories260K-f32.gguf" --prompt "Once upon a time" --max-tokens 0
expect "^--max-context: 0: must be a whole number >= 1 \\(--help lists the options\\)$" \
  "$DBSA" logits --model "$SPM" --prompt hi --max-context 0 --out "$TMP/never.f32"
expect "bench prefill: --tokens 5000: 5000 tokens, more than the context of 4096" \
  "$DBSA" bench prefill --model "$SPM" --tokens 64,5000

# A demonstration of a megabyte on line 2 of a pool file: named by file and line at encode.
{ echo '{"text": "Who wrote Hamlet ?", "label": "human"}'
  printf '{"text": "%s", "label": "location"}\n' "$(cat "$TMP/big.txt" | tr -d '\n')"
  echo '{"text": "How far is the moon ?", "label": "numeric"}'; } > "$TMP/pool.jsonl"
expect "pre-encoding: the demonstration at $TMP/pool.jsonl:2: [0-9]{6} tokens, more than the context of 4096 tokens .*; shorten or remove it" \
  "$DBSA" encode -q --model "$SPM" --dataset trec --pool-file "$TMP/pool.jsonl" --block-demos 2 --cache-dir "$TMP/store-big"
[ -z "$(ls -A "$TMP/store-big" 2>/dev/null)" ] || fail "a refused encode left files: $(ls -A "$TMP/store-big")"
expect "pre-encoding: block 0 \(10 demonstrations\): [0-9]+ tokens, more than the context of 100 tokens \(--max-context\); use fewer demonstrations per block \(--block-demos\)" \
  "$DBSA" encode -q --model "$SPM" --dataset trec --data-dir "$DATA" --blocks 2 --block-demos 10 --max-context 100 --cache-dir "$TMP/store-small"

# A megabyte query against a cache: refused before retrieval, naming the file.
"$DBSA" encode -q --model "$SPM" --dataset trec --data-dir "$DATA" --blocks 3 --block-demos 5 \
  --cache-dir "$TMP/store" > "$TMP/encode.out" || fail "encode exited $?"
CACHE=$(sed -n 's/^cache: //p' "$TMP/encode.out")
expect "^dbsa: --text-file $TMP/big.txt: query: sink block \+ query \+ label \([0-9]+ \+ [0-9]{6} \+ [0-9]+\): [0-9]{6} tokens, more than the context of 4096 tokens .*; shorten the query$" \
  "$DBSA" query --cache "$CACHE" --text-file "$TMP/big.txt"
expect "--text: query: 3 selected blocks \+ query \+ label \([0-9]+ \+ [0-9]+ \+ [0-9]+\): [0-9]+ tokens, more than the context of [0-9]+ tokens \(--max-context\); select fewer blocks \(--select\)" \
  "$DBSA" query --cache "$CACHE" --text "Who wrote Hamlet ?" --select all --max-context 200
"$DBSA" query --cache "$CACHE" --text "Who wrote Hamlet ?" --select 2 | grep -q "^label: " || fail "a query that fits was refused"

# An evaluation whose full-icl prompt cannot fit: refused up front, before the results database exists.
expect "eval: full-icl \(run 0\): the whole pool \(2 blocks\) \+ query \+ label \([0-9]+ \+ [0-9]+ \+ [0-9]+\): [0-9]+ tokens, more than the context of 300 tokens \(--max-context\); use fewer demonstrations \(--blocks, --block-demos\); the longest test query is test250:[0-9]+" \
  "$DBSA" eval -q --model "$SPM" --dataset trec --data-dir "$DATA" --methods zero-shot,full-icl --blocks 2 \
  --block-demos 10 --select 2 --test 20 --max-context 300 --db "$TMP/r.sqlite"
[ -e "$TMP/r.sqlite" ] && fail "a refused evaluation created its results database"
echo "length-limits-ok"
