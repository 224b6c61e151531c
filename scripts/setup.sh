#!/usr/bin/env bash
# Installs the Debian 12 packages that the build, the tests, the benchmarks' smoke mode
# and the examples need (idempotent, quiet when everything is already there), then
# builds the release tree in build/.
#   scripts/setup.sh            install + build
#   scripts/setup.sh --no-build install only
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config
  libuv1-dev libhiredis-dev libmsgpack-dev libyaml-dev
  libjansson-dev libutf8proc-dev libssl-dev libpcre2-dev
  libjpeg62-turbo-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  libsndfile1-dev
  zlib1g-dev libzstd-dev liblzma-dev libbz2-dev
  redis-server redis-tools stunnel4 openssl
  clang libclang-rt-14-dev
  python3
  python3-dev python3-venv python3-setuptools python3-wheel python3-numpy python3-pytest
  # optional for the package, needed by its DataLoader test (python/tests/test_shards.py)
  python3-torch
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The redis-server package starts a system instance; tests start their own on free
  # ports, so the system one is not needed.
fi

if [ "${1:-}" != "--no-build" ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAURALITH_WERROR=ON >/dev/null
  cmake --build build -j"$(nproc)" >/dev/null
  echo "setup: built build/auralith-pipeline" >&2
fi
