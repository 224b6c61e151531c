#!/usr/bin/env bash
# CI smoke run of the benchmarks: tiny sizes, no network, no npm, nothing recorded; must
# finish well under 60 s. It keeps bench/run.sh and its helpers from rotting: every
# section runs, and a section whose program is missing says "not available".
# Peers run only when bench/lib/install.sh has installed them; otherwise a note says so.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
timeout --kill-after=5 55 bash bench/run.sh --smoke "$@"
timeout --kill-after=5 60 bash bench/media.sh --smoke
echo "bench smoke: finished in $((SECONDS - start)) s"
