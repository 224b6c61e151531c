#!/usr/bin/env bash
# Installs what is needed, then builds and runs the whole test suite twice:
#  1. build/       gcc, -Wall -Wextra -Werror, RelWithDebInfo; then the Python package
#                  (python/) installed in build/pyenv and its pytest suite
#  2. build-asan/  clang, -Werror, AddressSanitizer + UndefinedBehaviorSanitizer
# Exits non-zero on any build or test failure. This is what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-build
jobs="$(nproc)"

echo "== gcc build (warnings are errors)"
cmake -S . -B build -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAURALITH_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== Python package on the gcc build's libauralith.so (venv in build/pyenv, pytest)"
AURALITH_BUILD_DIR="$PWD/build" bash scripts/python.sh --test build/pyenv

echo "== clang ASan+UBSan build (warnings are errors)"
cmake -S . -B build-asan -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DAURALITH_WERROR=ON \
  -DAURALITH_ENABLE_ASAN=ON -DAURALITH_ENABLE_UBSAN=ON -DAURALITH_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs")

if [ -x bench/smoke.sh ]; then
  echo "== benchmark smoke run"
  bash bench/smoke.sh
fi
echo "== all tests passed"
