#!/bin/sh
# module_symbols.sh MODULE PROGRAM...: every DBSA symbol MODULE leaves undefined is exported by each
# PROGRAM, so that dlopen (engine/backend_module.cpp) resolves it there.
module="$1"
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --undefined-only "$module" | awk '{print $NF}' | grep '4dbsa' | sort -u > "$tmp/needed"
[ -s "$tmp/needed" ] || { echo "no DBSA symbols undefined in $module: are the engine's objects inside it?"; exit 1; }
for program in "$@"; do
  nm -D --defined-only "$program" | awk '{print $NF}' | sort -u > "$tmp/exported"
  comm -23 "$tmp/needed" "$tmp/exported" > "$tmp/missing"
  if [ -s "$tmp/missing" ]; then
    echo "$program does not export $(wc -l < "$tmp/missing") symbols $module needs:"
    c++filt < "$tmp/missing" | head -20
    exit 1
  fi
done
echo "symbols-ok: $(wc -l < "$tmp/needed") symbols"
