#!/bin/sh
# trained_model_logits.sh DBSA MODEL REFDIR TOL: our engine against the trainer's own torch forward pass
# on the built-in trained model (resources/models/train_icl_model.py writes REFDIR: per prompt NAME.txt,
# NAME.tokens from SentencePiece, NAME.logits = last-position float32 logits, NAME.argmax = `i argmax
# max_logit` per position, all computed in float64 from the exported weights).
# Passes when, for every prompt: `dbsa tokenize` gives SentencePiece's ids exactly; the last position's
# max |Δlogit| ≤ TOL · max|logit|; and every position's argmax agrees, except near-ties (both max logits
# within TOL · |max logit|), at most 0.5% of the positions.
set -eu
dbsa="$1"
model="$2"
refdir="$3"
tol="$4"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
n=0
for txt in "$refdir"/*.txt; do
  name="$(basename "$txt" .txt)"
  n=$((n + 1))
  "$dbsa" tokenize --model "$model" --text-file "$txt" --ids --no-bos >"$tmp/$name.ids"
  tr ' ' '\n' <"$tmp/$name.ids" | sed '/^$/d' >"$tmp/$name.ids1"
  if ! cmp -s "$tmp/$name.ids1" "$refdir/$name.tokens"; then
    echo "$name: tokens differ from SentencePiece's ($(wc -l <"$tmp/$name.ids1") vs $(wc -l <"$refdir/$name.tokens") ids)"
    exit 1
  fi
  "$dbsa" logits --model "$model" --prompt-file "$txt" --no-bos --out "$tmp/$name.f32" \
    --all-positions "$tmp/$name.pos" 2>/dev/null
  od -An -v -t f4 -w4 "$refdir/$name.logits" >"$tmp/ref.txt"
  od -An -v -t f4 -w4 "$tmp/$name.f32" >"$tmp/ours.txt"
  if [ "$(wc -l <"$tmp/ref.txt")" -ne "$(wc -l <"$tmp/ours.txt")" ]; then
    echo "$name: $(wc -l <"$tmp/ours.txt") logits, the reference has $(wc -l <"$tmp/ref.txt")"
    exit 1
  fi
  paste "$tmp/ref.txt" "$tmp/ours.txt" | awk -v name="$name" -v tol="$tol" '
    { d = $1 - $2; if (d < 0) d = -d; if (d > md) md = d; a = $1 < 0 ? -$1 : $1; if (a > ma) ma = a }
    END {
      printf "%s: last position max|dlogit| %.3g, max|logit| %.3g, relative %.3g (tolerance %s)\n", name, md, ma, md / ma, tol
      exit (md <= tol * ma) ? 0 : 1
    }'
  paste -d' ' "$refdir/$name.argmax" "$tmp/$name.pos" | awk -v name="$name" -v tol="$tol" '
    $1 != $4 { print name ": position lines out of step at " NR; exit 1 }
    {
      total++
      if ($2 != $5) {
        d = $3 - $6; if (d < 0) d = -d; a = $3 < 0 ? -$3 : $3
        if (d > tol * a) { printf "%s: position %d: argmax %s (ours %s), max logit %s vs %s\n", name, $1, $2, $5, $3, $6; bad = 1; exit 1 }
        ties++
      }
    }
    END {
      if (bad) exit 1
      printf "%s: %d positions, argmax equal at %d (near-ties %d)\n", name, total, total - ties, ties
      exit (ties * 200 <= total) ? 0 : 1
    }'
done
if [ "$n" -eq 0 ]; then
  echo "no reference prompts in $refdir"
  exit 1
fi
echo "trained-model-ok: $n prompts"
