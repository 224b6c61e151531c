#!/usr/bin/env bash
# Start-up cost of the command line: shared objects loaded and wall time of
# `auralith-pipeline --help`, with hyperfine. An optional second binary (for example a
# build of an older commit) is measured in the same run for a before/after pair.
#   bench/cli_start.sh [OTHER_BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${AL_PIPELINE:-build/auralith-pipeline}
bins=("$BIN"); [ $# -ge 1 ] && bins+=("$1")
for b in "${bins[@]}"; do echo "$b: $(ldd "$b" | wc -l) shared objects at start"; done
cmds=(); for b in "${bins[@]}"; do cmds+=("$b --help"); done
hyperfine -N --warmup 5 --runs 100 "${cmds[@]}"
