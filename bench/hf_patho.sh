#!/usr/bin/env bash
# Byte-level BPE on pathological input stays linear: one document of 1 MB and one of
# 10 MB of each kind, encoded by build/bench/bench_hf (best of 2 passes, loading
# excluded), and the time ratio 10 MB / 1 MB (linear: about 10; quadratic: 100).
#
#   bash bench/hf_patho.sh [TOKENIZER_NAMES]     default: "gpt2 llama3"
#
# Kinds: one character repeated ("a" × N: one piece, the merge heap's worst case),
# no whitespace (random lowercase letters: one \p{L}+ piece), random bytes (mostly
# invalid UTF-8, replaced by U+FFFD first as files are read). Needs build/ built and the
# full-size tokenizers in bench/work/hf (tests/tools/make_hf_refs.sh). Prints a table.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
toks="${1:-gpt2 llama3}"
work="$root/bench/work/hfpatho"
mkdir -p "$work"
make_input() { # KIND BYTES OUT
  python3 - "$1" "$2" "$3" <<'EOF'
import random, sys
kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(7)
if kind == "repeat":
    data = b"a" * n
elif kind == "nospace":
    data = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(n))
else:
    data = rng.randbytes(n)
open(out, "wb").write(data)
open(out + ".docs", "w").write("%d\tdoc\n" % n)
EOF
}
echo "| tokenizer | input | 1 MB: s | 10 MB: s | ratio | linear |"
echo "|---|---|---|---|---|---|"
for kind in repeat nospace random; do
  for mb in 1 10; do
    f="$work/$kind.$mb"
    [ -f "$f" ] || make_input "$kind" $((mb * 1000000)) "$f"
  done
  for tok in $toks; do
    secs() { # best pass in seconds from bench_hf's MB/s
      "$root/build/bench/bench_hf" "$root/bench/work/hf/$tok" "$1" 2 1 |
        awk -v mb="$2" '/^RESULT ours_mb_s/ {printf "%.3f", mb / $3}'
    }
    s1=$(secs "$work/$kind.1" 1)
    s10=$(secs "$work/$kind.10" 10)
    ratio=$(echo "$s10 / $s1" | bc -l)
    lin=no; [ "$(echo "$ratio <= 20" | bc -l)" = 1 ] && lin=yes
    printf '| %s | %s | %s | %s | %.1f× | %s |\n' "$tok" "$kind" "$s1" "$s10" "$ratio" "$lin"
  done
done
