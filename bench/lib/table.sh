#!/usr/bin/env bash
# Renders the rows file written by al_row (tab separated: metric, ours, peer, ratio,
# target, met, note) as one markdown table on stdout.
# Usage: lib/table.sh ROWS
set -euo pipefail
rows="$1"
echo "| metric | ours | peer | ratio | target | met? | note |"
echo "|---|---|---|---|---|---|---|"
awk -F'\t' '{ for (i = 1; i <= 7; i++) gsub(/\|/, "\\|", $i);
  printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$rows"
