#!/usr/bin/env bash
# Installs what resources/models/train_icl_model.py needs to (re)train the built-in model: Debian's
# PyTorch and SentencePiece. Never part of the normal deps (packaging/deps-debian.sh): users of dbsa and
# the studio never need torch, and CI never trains.
set -euo pipefail
PACKAGES=(python3 python3-numpy python3-torch python3-sentencepiece sentencepiece)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps-trainer: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps-trainer: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
