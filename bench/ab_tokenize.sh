#!/bin/bash
# Interleaved A/B of two bench_tokenize binaries on a shared, noisy host: ROUNDS rounds,
# each running A then B (PASSES passes each, best kept), so both see the same minute of
# host load. Prints per-binary median and 90th percentile of per-thread CPU MB/s and how
# many rounds B won.
#
#   bench/ab_tokenize.sh OLD_BINARY NEW_BINARY [TOKENIZER_DIR] [FILE] [ROUNDS] [PASSES]
set -euo pipefail
old=${1:?usage: ab_tokenize.sh OLD NEW [TOKENIZER_DIR] [FILE] [ROUNDS] [PASSES]}
new=${2:?usage: ab_tokenize.sh OLD NEW [TOKENIZER_DIR] [FILE] [ROUNDS] [PASSES]}
tok=${3:-bench/work/tokroot-full}
file=${4:-bench/work/corpus/prose.txt}
rounds=${5:-20}
passes=${6:-2}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
mbs() { "$1" "$tok" "$file" 1 "$passes" | awk -F'|' '{print $8 + 0}'; }
for _ in $(seq "$rounds"); do
  echo "$(mbs "$old") $(mbs "$new")" >> "$out"
done
q() { sort -n | awk -v p="$1" '{v[NR] = $1} END {i = int(NR * p + 0.5); if (i < 1) i = 1; print v[i]}'; }
printf '| binary | median MB/s | p90 MB/s |\n|---|---|---|\n'
printf '| old %s | %s | %s |\n' "$old" "$(cut -d' ' -f1 "$out" | q 0.5)" "$(cut -d' ' -f1 "$out" | q 0.9)"
printf '| new %s | %s | %s |\n' "$new" "$(cut -d' ' -f2 "$out" | q 0.5)" "$(cut -d' ' -f2 "$out" | q 0.9)"
echo "new faster in $(awk '$2 > $1' "$out" | wc -l) of $rounds rounds ($file, $passes passes per run)"
