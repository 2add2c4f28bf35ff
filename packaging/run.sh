#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job on the built-in default: the project's own trained
# many-shot ICL model (resources/models/README.md), a `dbsa eval` of DBSA and its four baselines on TREC
# (8 blocks of 10 demonstrations, 3 selected, S=1 P=2), then the report and every chart, all written
# into out/. With a display (DISPLAY or WAYLAND_DISPLAY set) it opens the desktop studio instead, filled
# by its --demo run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/deps-debian.sh"
"$root/packaging/build.sh"
build="${DBSA_BUILD_DIR:-$root/build}"
dbsa="$build/app/dbsa"
shared="${DBSA_SHARED_DIR:-$root/../shared}"
studio="$build/app/dbsa-studio"
out="$root/out"
mkdir -p "$out"

# TREC from shared/data when present; otherwise the project's generated demo dataset in the same layout.
data="$shared/data"
if [ ! -d "$data/trec" ]; then
  data="$out/demo-data"
  echo "run.sh: no datasets at $shared/data (set DBSA_SHARED_DIR): using a generated demo dataset" >&2
  [ -d "$data/trec" ] || "$dbsa" data demo --out "$data"
fi

if { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } && [ -x "$studio" ]; then
  exec "$studio" --demo --data-dir "$data"
fi

# The model: the built-in trained one (`builtin` resolves to resources/models/dbsa-icl-mini.gguf).
model=builtin
"$dbsa" model info "$model"

# A fresh results database each time; the KV block store beside it is reused (cache hits).
# full-icl and cached-icl attend the whole pool: 8 blocks and the longest test query reach 2261 tokens, past
# the model's 2048-token training context, which only an explicit --max-context allows (README "Length limits").
rm -f "$out/results.sqlite" "$out/results.sqlite-wal" "$out/results.sqlite-shm"
"$dbsa" eval --model "$model" --dataset trec --data-dir "$data" \
  --methods dbsa,full-icl,cached-icl,retrieval-icl,zero-shot \
  --blocks 8 --block-demos 10 --select 3 --sink 1 --prev 2 --runs 2 --test 0 --max-context 2304 \
  --db "$out/results.sqlite"
"$dbsa" report --db "$out/results.sqlite" --markdown -o "$out/report.md"
for kind in accuracy latency-total latency-query storage accuracy-vs-context; do
  "$dbsa" chart --db "$out/results.sqlite" --kind "$kind" --out "$out/$kind.png"
done
"$dbsa" report --db "$out/results.sqlite"
echo "run.sh: report and charts in $out (the built-in model is 1.3M parameters: resources/models/README.md says what it can and cannot do; give --model a GGUF of your own for more)"
