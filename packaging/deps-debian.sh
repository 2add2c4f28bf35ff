#!/usr/bin/env bash
# Installs every Debian 12 package DBSA Studio needs to build, test and run. Idempotent and
# non-interactive: packages already present are skipped by apt itself.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libopenblas-dev libpcre2-dev libxxhash-dev libsqlite3-dev libxapian-dev libfaiss-dev
  libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  qt6-base-dev qt6-svg-dev libqt6sql6-sqlite libqcustomplot-dev libgl1-mesa-dev libxkbcommon-dev
  xvfb xauth clang libclang-rt-14-dev
  dpkg-dev file  # cpack -G DEB (dpkg-shlibdeps)
)
exec "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" deps-debian "${PACKAGES[@]}"
