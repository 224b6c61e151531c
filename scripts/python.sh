#!/usr/bin/env bash
# Installs the Python package auralith_pipeline (python/) into a virtual environment
# and optionally runs its tests. Offline: the venv sees Debian's numpy, setuptools,
# wheel and pytest (--system-site-packages) and pip builds without an index, so
# nothing is downloaded and the system Python is untouched (PEP 668).
#   scripts/python.sh [--test] [VENV]    VENV defaults to .venv
# Needs the C library built first (scripts/setup.sh); AURALITH_BUILD_DIR picks the
# build directory (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
run_tests=0
if [ "${1:-}" = "--test" ]; then
  run_tests=1
  shift
fi
VENV="${1:-.venv}"
PY=/usr/bin/python3 # Debian's interpreter, whose site-packages hold python3-numpy & co.
export AURALITH_BUILD_DIR="${AURALITH_BUILD_DIR:-$PWD/build}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv --system-site-packages "$VENV"
fi
# Fresh build directory each time so a rebuilt libauralith is always picked up.
rm -rf python/build
AURALITH_WERROR=1 "$VENV/bin/python" -m pip install -q --no-build-isolation --no-deps --no-index \
  --disable-pip-version-check --force-reinstall ./python
rm -rf python/build python/auralith_pipeline.egg-info
"$VENV/bin/python" -c 'import auralith_pipeline, sys; print("python: auralith_pipeline installed in", sys.prefix)'
if [ "$run_tests" = 1 ]; then
  # pytest exit codes: 0 all passed; 1 failures; 2 interrupted; 3 internal error;
  # 4 usage error; 5 no tests collected. Everything but 0 fails the run (5 included:
  # a suite that collects nothing is broken, not green).
  set +e
  # From the repository root, so "import auralith_pipeline" is the installed package and
  # not the source folder python/auralith_pipeline (which has no built extension).
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider python/tests
  rc=$?
  set -e
  case "$rc" in
    0) echo "python: tests passed" ;;
    5) echo "python: pytest collected no tests" >&2; exit 1 ;;
    *) echo "python: pytest failed (exit $rc)" >&2; exit "$rc" ;;
  esac
fi
