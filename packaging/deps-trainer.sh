#!/usr/bin/env bash
# Installs what resources/models/train_icl_model.py needs to (re)train the built-in model: Debian's
# PyTorch and SentencePiece. Never part of the normal deps (packaging/deps-debian.sh): users of dbsa and
# the studio never need torch, and CI never trains. OpenBLAS because Debian's torch multiplies through the
# libblas alternative, which without it is the reference BLAS: 6.7 against 200 GFLOP/s for a 1024² product
# here, a training step ~6x slower.
set -euo pipefail
PACKAGES=(python3 python3-numpy libopenblas0-pthread python3-torch python3-sentencepiece sentencepiece)
exec "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" deps-trainer "${PACKAGES[@]}"
