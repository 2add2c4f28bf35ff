#!/bin/sh
# module_not_installed.sh DBSA MODEL DIR: a copy of DBSA alone in DIR (no libdbsa_cuda.so beside it)
# refuses `--backend cuda` in one line naming the module and where it looked, and runs CPU commands.
dbsa="$1"
model="$2"
dir="$3"
here="$(dirname "$0")"
rm -rf "$dir" && mkdir -p "$dir" && cp "$dbsa" "$dir/dbsa" || exit 1
sh "$here/expect_error.sh" "backend 'cuda': the module libdbsa_cuda.so is not installed \(looked in $dir, .*dbsa-studio-cuda" \
  env -u DBSA_MODULE_DIR "$dir/dbsa" logits --backend cuda --model "$model" --prompt hi --out "$dir/never.f32" || exit 1
"$dir/dbsa" logits --model "$model" --prompt hi --out "$dir/cpu.f32" && test -s "$dir/cpu.f32" || exit 1
echo cpu-runs
