#!/usr/bin/env bash
# The two small cases of issue 18 next to bench/long_docs.sh's trees: one long document
# (a 289 KB prose file, Documentation/virt/kvm/api.rst) and 4,000 source files at
# --max-seq-len 65536, each with the default rows and with --pack --long-documents split.
# Prints a Markdown table for bench/RESULTS.md (the "long-docs-cases" section).
#
#   bench/long_docs_cases.sh
#
# Needs the Linux 6.1 tree in bench/work (bench/long_docs.sh unpacks it) and a build.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/build/auralith-pipeline"
LX="$ROOT/bench/work/linux-source-6.1"
TOK="${AL_TOKENIZER:-$ROOT/tests/data/text/tok_full}"
[ -x "$BIN" ] || { echo "missing $BIN: build first" >&2; exit 1; }
[ -d "$LX" ] || { echo "no $LX: run bench/long_docs.sh once (it unpacks the tree)" >&2; exit 1; }
T="$ROOT/bench/work/longcases"
rm -rf "$T"
mkdir -p "$T/tok" "$T/book" "$T/files"
ln -s "$TOK" "$T/tok/text"
printf 'coordinator:\n  state_store_type: memory\n' > "$T/c.yaml"
cp "$LX/Documentation/virt/kvm/api.rst" "$T/book/"
# 4,000 C files in sorted path order from drivers/
(cd "$LX" && find drivers -name '*.c') | LC_ALL=C sort > "$T/all.txt"
sed -n '1,4000p' "$T/all.txt" | while read -r f; do
  mkdir -p "$T/files/$(dirname "$f")"; cp "$LX/$f" "$T/files/$f"; done
run() { # NAME INPUT ARGS...
  local name="$1" in="$2"; shift 2
  "$BIN" submit-job --embedded -w 2 -c "$T/c.yaml" -i "$in" -o "$T/out-$name" -t "$T/tok" "$@" > "$T/$name.out" 2>&1
  echo "build/auralith-pipeline submit-job --embedded -w 2 -c c.yaml -i ${in#"$ROOT/"} -o out-$name -t tok $*" > "$T/$name.cmd"
}
run book-default "$T/book" --max-seq-len 4096
run book-split "$T/book" --max-seq-len 4096 --long-documents split
run files-default "$T/files" --max-seq-len 65536 --shard-size 1000
run files-packed "$T/files" --max-seq-len 65536 --shard-size 1000 --pack --long-documents split
python3 - "$T" "$ROOT" <<'P'
import json, subprocess, sys, datetime
T, ROOT = sys.argv[1:3]
commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
print("<!-- bench:long-docs-cases begin -->")
print("## Long documents: one long file, many files at a long max_seq_len (bench/long_docs_cases.sh)\n")
print(f"- measured: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit {commit}")
print("- Command: `bash bench/long_docs_cases.sh` (text tokenizer tests/data/text/tok_full, embedded, 2 worker threads)\n")
print("| case | layout | documents | ids encoded | ids written | dropped by truncation | rows | padding | shard bytes | real ids ÷ row positions |")
print("|---|---|---|---|---|---|---|---|---|---|")
for case, label in (("book", "Documentation/virt/kvm/api.rst (289 KB), max_seq_len 4096"),
                    ("files", "4,000 C files of drivers/, max_seq_len 65536")):
    for lay in ("default", "split" if case == "book" else "packed"):
        t = json.load(open(f"{T}/out-{case}-{lay}/index.json"))["totals"]
        lname = {"default": "default (truncate)", "split": "`--long-documents split`", "packed": "`--pack --long-documents split`"}[lay]
        pos = t["ids_written"] + t["padding"]
        print(f"| {label} | {lname} | {t['documents']:,} | {t['ids_encoded']:,} | {t['ids_written']:,} | "
              f"{t['ids_truncated']:,} ({100 * t['ids_truncated'] / max(t['ids_encoded'], 1):.1f}%) | {t['samples']:,} | "
              f"{100 * t['padding_fraction']:.2f}% | {t['bytes']:,} | {100 * t['ids_written'] / max(pos, 1):.1f}% |")
print("\n<details><summary>Exact commands</summary>\n\n```")
for n in ("book-default", "book-split", "files-default", "files-packed"):
    print(open(f"{T}/{n}.cmd").read().strip())
print("```\n</details>")
print("<!-- bench:long-docs-cases end -->")
P
rm -rf "$T"/out-*
