#!/bin/sh
# `dbsa cache verify` and `dbsa cache delete` (cli/cmd_cache.cpp): two intact caches verify and exit 0; a
# damaged block is named with its cache, the other cache still reported intact, and the exit is non-zero
# (text and --json); a mistyped name or a path is refused before anything is deleted; a cache another
# process is writing is refused with --lock-timeout 0 and kept; a named cache is deleted and the other
# stays.
# usage: cli_cache_verify_delete.sh DBSA FIXTURES DATA SCRATCH
set -u
DBSA=$1 FIX=$2 DATA=$3 TMP=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"
S=$TMP/store
enc() {
  "$DBSA" encode --model "$FIX/models/$1.gguf" --dataset trec --data-dir "$DATA" --blocks 2 --block-demos 3 \
    --cache-dir "$S" --threads 2 > /dev/null 2> "$TMP/log" || fail "encode $1 exited $?: $(cat "$TMP/log")"
}
enc tiny-spm-q8_0
enc tiny-spm-f32
set -- $(ls "$S")
[ $# -eq 2 ] || fail "expected two caches: $*"
A=$1 B=$2
"$DBSA" cache verify --store "$S" -q > "$TMP/out" 2> "$TMP/err" || fail "intact store: exit $?: $(cat "$TMP/err")"
grep -q "^$A: all 2 blocks intact$" "$TMP/out" && grep -q "^$B: all 2 blocks intact$" "$TMP/out" ||
  fail "intact store: $(cat "$TMP/out")"
# One byte of B's second block changed.
printf 'U' | dd of="$S/$B/block-000001.kv" bs=1 seek=9000 conv=notrunc 2> /dev/null || fail "cannot damage a block"
if "$DBSA" cache verify --store "$S" -q > "$TMP/out" 2> "$TMP/err"; then fail "a damaged cache verified"; fi
grep -q "^$A: all 2 blocks intact$" "$TMP/out" || fail "the intact cache: $(cat "$TMP/out")"
grep -q "^$B: 1 problem(s)$" "$TMP/out" || fail "no problem line: $(cat "$TMP/out")"
grep -q "block-000001.kv' (block 1) is damaged" "$TMP/out" || fail "the block is not named: $(cat "$TMP/out")"
grep -q "cache verify: 1 of 2 cache(s) damaged" "$TMP/err" || fail "no summary: $(cat "$TMP/err")"
if "$DBSA" cache verify --store "$S" -q --json "$B" > "$TMP/json" 2> /dev/null; then fail "--json: exit 0"; fi
grep -q "\"cache\":\"$B\"" "$TMP/json" && grep -q '"ok":false' "$TMP/json" && ! grep -q "\"$A\"" "$TMP/json" ||
  fail "--json: $(cat "$TMP/json")"
"$DBSA" cache verify --store "$S" -q "$A" > /dev/null 2>&1 || fail "verifying only the intact cache failed"
# Refusals change nothing.
for bad in nope "../store/$A" "$S/$A"; do
  if "$DBSA" cache delete --store "$S" "$B" "$bad" > /dev/null 2> "$TMP/err"; then fail "deleted with '$bad'"; fi
  grep -q "cache delete: no cache '$bad' in $S" "$TMP/err" || fail "unclear refusal of '$bad': $(cat "$TMP/err")"
  [ -d "$S/$A" ] && [ -d "$S/$B" ] || fail "a refused delete removed a cache"
done
if "$DBSA" cache delete --store "$TMP/absent" "$B" > /dev/null 2> "$TMP/err"; then fail "a missing store"; fi
grep -q "cache delete: --store $TMP/absent: no such folder" "$TMP/err" || fail "missing store: $(cat "$TMP/err")"
# A writer (flock on the cache's lock file, cache/cache_lock.h) keeps its cache.
if command -v flock > /dev/null; then
  # The subshell holds the lock on its fd 9 while dbsa (its own open of the file) asks for it.
  (
    flock -n 9 || exit 3
    "$DBSA" cache delete --store "$S" --lock-timeout 0 "$B" > /dev/null 2> "$TMP/err" && exit 4
    exit 0
  ) 9> "$S/.lock-$B"
  case $? in 3) fail "could not take the lock" ;; 4) fail "deleted a cache being written" ;; esac
  grep -q "$B" "$TMP/err" || fail "the refusal does not name the cache: $(cat "$TMP/err")"
  [ -d "$S/$B" ] || fail "the locked cache is gone"
fi
"$DBSA" cache delete --store "$S" "$B" > "$TMP/out" 2> "$TMP/err" || fail "delete exited $?: $(cat "$TMP/err")"
grep -q "^deleted $B (2 blocks, " "$TMP/out" || fail "delete said: $(cat "$TMP/out")"
[ ! -e "$S/$B" ] && [ -d "$S/$A" ] || fail "wrong folders after delete: $(ls -a "$S")"
[ "$("$DBSA" cache list --store "$S" | wc -l)" -eq 1 ] || fail "list after delete: $("$DBSA" cache list --store "$S")"
echo ok
