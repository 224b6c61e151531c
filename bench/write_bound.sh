#!/usr/bin/env bash
# What storage allows a job that writes shards: the rate at which this machine puts
# fresh bytes into files, and the end-to-end ids/s that leaves for a layout of B bytes
# per id next to a tokenizer of T ids/s.
#
#   bench/write_bound.sh DIR BYTES_PER_ID TOKENIZER_IDS_PER_S [MB]
#
# DIR: a directory on the file system the shards go to (a fresh file of MB megabytes,
# default 2000, is written there with dd, synced, and removed; then the same into
# /dev/shm, twice, the second time into pages the first run made the kernel allocate).
# The bound assumes the tokenizer and the writes overlap perfectly, which two cores busy
# with tokenizing cannot do, so real jobs stay below it:
#   bound = (1 / T) / (1 / T + B / W)  as a fraction of the tokenizer's ids/s,
# with W the measured write bandwidth in bytes/s. Prints a Markdown table.
set -euo pipefail
dir="$1"; bpi="$2"; tok="$3"; mb="${4:-2000}"
[ -d "$dir" ] || { echo "write_bound.sh: $dir is not a directory" >&2; exit 2; }
rate() { # FILE [dd flags...]: MB/s reported by dd
  local f="$1"; shift
  dd if=/dev/zero of="$f" bs=1M count="$mb" "$@" 2>&1 | sed -n 's/.*, \([0-9.]*\) \([GM]\)B\/s$/\1 \2/p' |
    awk '{ print ($2 == "G") ? $1 * 1000 : $1 }'
}
f1="$dir/.write_bound.$$"; f2="/dev/shm/.write_bound.$$"
trap 'rm -f "$f1" "$f2"' EXIT
disk=$(rate "$f1" conv=fdatasync); rm -f "$f1"
shm1=$(rate "$f2"); rm -f "$f2"
shm2=$(rate "$f2"); rm -f "$f2"
echo "| writes | MB/s | ids/s the writes allow at $bpi B/id | bound ÷ tokenizer ($tok ids/s) |"
echo "|---|---|---|---|"
for row in "fresh file in $dir, fdatasync:$disk" "fresh file in /dev/shm:$shm1" "fresh file in /dev/shm, second run:$shm2"; do
  name="${row%:*}"; w="${row##*:}"
  awk -v n="$name" -v w="$w" -v b="$bpi" -v t="$tok" 'BEGIN {
    ids = w * 1e6 / b; bound = (1 / t) / (1 / t + 1 / ids)
    printf "| %s | %.0f | %.0f | %.2f |\n", n, w, ids, bound }'
done
