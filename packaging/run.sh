#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job on the built-in default: a small Llama model
# synthesized by the project itself (with the tokenizer of a fixture model when ../shared is present).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/deps-debian.sh"
"$root/packaging/build.sh"
build="${DBSA_BUILD_DIR:-$root/build}"
out="$root/out"
mkdir -p "$out"
model="$out/default-model.gguf"
if [ ! -f "$model" ]; then
  "$build/app/dbsa" model synth --out "$model" --preset tiny --seed 1
fi
"$build/app/dbsa" model info "$model"
