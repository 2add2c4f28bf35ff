#!/bin/sh
# expect_error.sh REGEX CMD...: passes when CMD exits with status 1 or 2 (a reported error, not a crash)
# and its stderr matches REGEX (extended grep).
regex="$1"
shift
err=$("$@" 2>&1 >/dev/null)
code=$?
if [ "$code" -ne 1 ] && [ "$code" -ne 2 ] && [ "$code" -ne 105 ] && [ "$code" -ne 106 ] && [ "$code" -ne 108 ] && [ "$code" -ne 109 ]; then
  echo "expected an error exit (1/2 or CLI11 parse error), got $code; stderr: $err"
  exit 1
fi
if ! printf '%s' "$err" | grep -Eq -- "$regex"; then
  echo "stderr does not match /$regex/: $err"
  exit 1
fi
echo "ok: exit $code: $err"
