#!/bin/sh
# A full disk while `dbsa eval` creates its results database, simulated by an 8 KB file size limit with
# SIGXFSZ ignored (writes then fail with EFBIG, as on a full disk): the error names the database and the
# likely cause in one line, and no empty database (nor its -wal/-shm files) is left behind.
# usage: full_disk.sh DBSA MODEL DATA_DIR SCRATCH
set -u
DBSA=$1 MODEL=$2 DATA=$3 TMP=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$TMP" && mkdir -p "$TMP" || fail "cannot create $TMP"
(
  trap '' XFSZ
  ulimit -f 8
  "$DBSA" eval -q --model "$MODEL" --dataset trec --data-dir "$DATA" --methods zero-shot --blocks 2 \
    --block-demos 5 --select 1 --test 3 --db "$TMP/results.sqlite"
) > /dev/null 2> "$TMP/err"
rc=$?
[ $rc = 1 ] || fail "exit $rc, expected 1: $(cat "$TMP/err")"
[ "$(wc -l < "$TMP/err")" = 1 ] || fail "expected one line: $(cat "$TMP/err")"
grep -q "results database '$TMP/results.sqlite': .*(is the disk full, or a file size limit reached?)" "$TMP/err" \
  || fail "the error does not name the database and the cause: $(cat "$TMP/err")"
[ -z "$(ls -A "$TMP" | grep results)" ] || fail "left behind: $(ls -A "$TMP")"
echo "no-db-left"
