#!/usr/bin/env bash
# apt-install.sh NAME PKG...: installs the Debian packages among PKG that are missing, non-interactively
# (sudo when not root); NAME labels its messages. Shared by deps-debian.sh and deps-trainer.sh.
set -euo pipefail
name="$1"
shift
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "$name: all $# packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "$name: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
