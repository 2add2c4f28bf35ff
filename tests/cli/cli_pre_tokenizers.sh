#!/bin/sh
# One GPT-2 vocabulary under other pre-tokenizers (`dbsa model synth --tokenizer-pre`): smollm and tekken
# tokenize as the reference does (llama.cpp c392e50's llama-tokenize on the same vocabulary, the ids
# below); an unknown name leaves the file readable, `dbsa model info` says its tokenizer is unusable and
# why (text and --json), and tokenizing it is refused naming the key.
# usage: cli_pre_tokenizers.sh DBSA FIXTURES SCRATCH
set -u
DBSA=$1 FIX=$2 TMP=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"
synth() {
  "$DBSA" model synth --tokenizer-from "$FIX/models/tiny-gpt2bpe-f32.gguf" --tokenizer-pre "$1" \
    --out "$TMP/$1.gguf" -q > /dev/null 2> "$TMP/log" || fail "synth $1 exited $?: $(cat "$TMP/log")"
}
ids() { "$DBSA" tokenize -m "$TMP/$1.gguf" -t "$2" --ids --no-bos 2> "$TMP/log" || fail "tokenize $1: $(cat "$TMP/log")"; }
synth smollm
synth tekken
synth deepseek-llm
[ "$(ids smollm "abc123def 4567 8.9")" = "39305 16 17 18 4299 220 19 20 21 22 220 23 13 24" ] ||
  fail "smollm: $(ids smollm "abc123def 4567 8.9")"
[ "$(ids tekken "iPhoneX 15Pro")" = "72 6132 55 220 16 20 2964" ] || fail "tekken: $(ids tekken "iPhoneX 15Pro")"
"$DBSA" model info "$TMP/deepseek-llm.gguf" > "$TMP/info" 2> "$TMP/log" || fail "model info exited $?: $(cat "$TMP/log")"
grep -q "^vocab .*gpt2 / deepseek-llm  (unusable here: .*unknown pre-tokenizer 'deepseek-llm' (supported: .*smollm" \
  "$TMP/info" || fail "model info: $(cat "$TMP/info")"
"$DBSA" model info "$TMP/deepseek-llm.gguf" --json > "$TMP/info.json" || fail "model info --json exited $?"
grep -q '"error": ".*unknown pre-tokenizer' "$TMP/info.json" || fail "--json: $(cat "$TMP/info.json")"
"$DBSA" model info "$TMP/smollm.gguf" --json > "$TMP/ok.json" || fail "model info --json exited $?"
if grep -q '"error"' "$TMP/ok.json"; then fail "a usable tokenizer reported an error"; fi
if "$DBSA" tokenize -m "$TMP/deepseek-llm.gguf" -t "hi" > /dev/null 2> "$TMP/err"; then fail "tokenized an unknown pre"; fi
grep -q "key 'tokenizer.ggml.pre': unknown pre-tokenizer 'deepseek-llm'" "$TMP/err" || fail "refusal: $(cat "$TMP/err")"
echo ok
