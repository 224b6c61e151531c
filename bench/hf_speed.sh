#!/usr/bin/env bash
# Byte-level BPE speed: ours (build/bench/bench_hf) against the reference libraries
# (npm tokenizers for tokenizer.json, tiktoken for rank files), on one thread and on all
# threads (nproc), one document per call, add_special_tokens on both sides, with the ids
# compared by count and hash.
#
#   bash bench/hf_speed.sh [CAP_BYTES] [THREAD_COUNTS] [PASSES]
#     defaults: 4000000 bytes per corpus, "1 $(nproc)", 3 passes
#
# Both sides run the same number of passes over the corpus in one process and report the
# best: both keep a cache of pieces over calls (ours per encoder, the peers' per
# tokenizer), so a first pass is cold and later ones warm on both sides alike.
#
# Needs: build/ built, the full-size tokenizers in bench/work/hf (written by
# tests/tools/make_hf_refs.sh, whose npm scratch directory also provides the peers'
# packages), and /usr/src/linux-source-6.1.tar.xz (Debian package linux-source-6.1):
# the corpora are the first CAP_BYTES of the same files as bench/lib/corpora.sh
# (Documentation/**/*.rst and **/*.c in sorted path order, whole files).
# Prints a Markdown table.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cap="${1:-4000000}"
thread_counts="${2:-1 $(nproc)}"
passes="${3:-3}"
work="$root/bench/work/hfspeed"
npm_dir="${AURALITH_NPM_SCRATCH:-/tmp/auralith-hf-npm}"
mkdir -p "$work"
tarball=/usr/src/linux-source-6.1.tar.xz
if [ ! -f "$work/linux-source-6.1/.unpacked" ]; then
  [ -f "$tarball" ] || { echo "$tarball missing: apt-get install linux-source-6.1" >&2; exit 1; }
  tar -C "$work" -xJf "$tarball" --wildcards 'linux-source-6.1/Documentation/*' 'linux-source-6.1/kernel/*' \
      'linux-source-6.1/mm/*' 'linux-source-6.1/fs/*'
  touch "$work/linux-source-6.1/.unpacked"
fi
concat() { # LISTFILE OUT: whole files in list order up to $cap bytes, plus OUT.docs
  local total=0 sz p
  : >"$2"; : >"$2.docs"
  while IFS= read -r p; do
    sz=$(stat -c %s "$p"); [ "$sz" -gt 0 ] || continue
    [ $((total + sz)) -le "$cap" ] || break
    cat "$p" >>"$2"; printf '%s\t%s\n' "$sz" "$p" >>"$2.docs"; total=$((total + sz))
  done <"$1"
}
src="$work/linux-source-6.1"
(cd "$src" && find Documentation -name '*.rst' | LC_ALL=C sort | sed "s|^|$src/|") >"$work/prose.list"
(cd "$src" && find . -name '*.c' | LC_ALL=C sort | sed "s|^\./|$src/|") >"$work/code.list"
concat "$work/prose.list" "$work/prose.txt"
concat "$work/code.list" "$work/code.txt"
val() { sed -n "s/^RESULT $1 //p"; }
echo "| tokenizer | corpus | MB | threads | ours MB/s | peer | peer MB/s | ratio | ids equal |"
echo "|---|---|---|---|---|---|---|---|---|"
for tok in gpt2 llama3 cl100k o200k; do
  for c in prose code; do
    for th in $thread_counts; do
      o=$("$root/build/bench/bench_hf" "$root/bench/work/hf/$tok" "$work/$c.txt" "$passes" "$th")
      par=false; [ "$th" -gt 1 ] && par=true
      p=$(NODE_PATH="$npm_dir/node_modules" RAYON_NUM_THREADS="$th" TOKENIZERS_PARALLELISM=$par \
          node "$root/bench/peers/hf_speed_peer.js" "$root/bench/work/hf/$tok/text" "$work/$c.txt" "$passes" "$th")
      om=$(echo "$o" | val ours_mb_s); pm=$(echo "$p" | val peer_mb_s)
      same=no
      [ "$(echo "$o" | val ours_tokens) $(echo "$o" | val ours_ids_hash)" = "$(echo "$p" | val peer_tokens) $(echo "$p" | val peer_ids_hash)" ] && same=yes
      printf '| %s | %s | %.1f | %s | %s | %s | %s | %.1f× | %s (%s ids) |\n' "$tok" "$c" \
        "$(echo "$(stat -c %s "$work/$c.txt") / 1000000" | bc -l)" "$th" "$om" "$(echo "$p" | val peer_name | tr _ ' ')" \
        "$pm" "$(echo "$om / $pm" | bc -l)" "$same" "$(echo "$o" | val ours_tokens)"
    done
  done
done
