#!/usr/bin/env bash
# Regenerates tests/data/hf (small tokenizers + reference ids) and the full-size
# tokenizers for bench/ and the optional full parity test. Needs node and the npm
# registry; the test suite itself does not.
#
#   bash tests/tools/make_hf_refs.sh [FULL_OUT_DIR]   (default: bench/work/hf)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
full="${1:-$repo/bench/work/hf}"
scratch="${AURALITH_NPM_SCRATCH:-/tmp/auralith-hf-npm}"
mkdir -p "$scratch" "$full"
if [ ! -d "$scratch/node_modules/tokenizers" ]; then
  (cd "$scratch" && [ -f package.json ] || npm init -y >/dev/null
   cd "$scratch" && npm install --no-audit --no-fund \
     tokenizers@0.23.2 tiktoken@1.0.22 gpt-3-encoder@1.1.4 llama3-tokenizer-js@1.2.0 >/dev/null)
fi
node "$repo/tests/tools/make_hf_refs.mjs" "$scratch/node_modules" "$repo" "$full"
