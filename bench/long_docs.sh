#!/usr/bin/env bash
# Long documents and packing on a real tree (issue 18): what the default rows drop and
# pad, and what keeping every id costs (--pack --long-documents split --detect-text)
# against the pure tokenizer with the same threads. Prints a Markdown section for
# bench/RESULTS.md (the "long-docs" section; paste it over the previous one).
#
#   bench/long_docs.sh [INPUT_DIR...]
#
# One table per INPUT_DIR. The default input is the Linux 6.1 tree, unpacked once from
# /usr/src/linux-source-6.1.tar.xz into bench/work/ (git-ignored); subdirectories of it
# (e.g. bench/work/linux-source-6.1/fs) measure a subset. Environment:
#   AL_TOKENIZER   text tokenizer directory (default: tests/data/text/tok_full)
#   AL_THREADS     tokenizer threads of the one worker process and of bench_tokenize
#                  (default: nproc)
#   AL_MAX_SEQ_LEN row length (default 4096)
# Each job runs against its own coordinator (memory store) and one worker process with
# AL_THREADS threads, on loopback; the worker's peak RSS is its VmHWM when the job ends.
# The pure tokenizer is build/bench/bench_tokenize over the concatenation of the files the
# packed job turned into documents, in the same threads (one pass).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/build/auralith-pipeline"
BT="$ROOT/build/bench/bench_tokenize"
W="$ROOT/bench/work"
TOK="${AL_TOKENIZER:-$ROOT/tests/data/text/tok_full}"
THREADS="${AL_THREADS:-$(nproc)}"
L="${AL_MAX_SEQ_LEN:-4096}"
for f in "$BIN" "$BT"; do [ -x "$f" ] || { echo "missing $f: build first (cmake --build build)" >&2; exit 1; }; done
[ -f "$TOK/vocab.json" ] || { echo "no tokenizer in $TOK (vocab.json)" >&2; exit 1; }
mkdir -p "$W"
[ $# -gt 0 ] || set -- "$W/linux-source-6.1"
case "$*" in
  *linux-source-6.1*)
    if [ ! -d "$W/linux-source-6.1" ]; then
      [ -f /usr/src/linux-source-6.1.tar.xz ] || { echo "apt-get install linux-source-6.1 first" >&2; exit 1; }
      echo "unpacking the Linux 6.1 tree into $W (once)" >&2
      tar -C "$W" -xJf /usr/src/linux-source-6.1.tar.xz
    fi ;;
esac
for d in "$@"; do [ -d "$d" ] || { echo "no input directory $d" >&2; exit 1; }; done
T="$W/longdocs"
rm -rf "$T"
mkdir -p "$T/tok"
ln -s "$TOK" "$T/tok/text"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_job NAME INPUT ARGS...: one coordinator, one worker, one external submit; writes
# $T/NAME.{wall,rss,out,log} and the output in $T/out-NAME.
run_job() {
  local name="$1" in="$2"; shift 2
  local port; port="$(free_port)"
  cat > "$T/$name.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $port
  state_store_type: memory
  heartbeat_interval: 1
  heartbeat_timeout: 60
workers:
  - name: bench
    num_processes: $THREADS
job:
  timeout: 86400
Y
  "$BIN" coordinator -c "$T/$name.yaml" --host 127.0.0.1 --port "$port" > "$T/$name.coord.log" 2>&1 &
  local cpid=$!
  PIDS+=("$cpid")
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  "$BIN" worker -c "$T/$name.yaml" --coordinator "127.0.0.1:$port" \
    --worker-id w1 --threads "$THREADS" --state-store memory > "$T/$name.worker.log" 2>&1 &
  local wpid=$!
  PIDS+=("$wpid")
  local cmd=("$BIN" submit-job --external -c "$T/$name.yaml" --coordinator "127.0.0.1:$port" -i "$in"
             -o "$T/out-$name" -t "$T/tok" --max-seq-len "$L" --shard-size 10000 "$@")
  echo "${cmd[*]}" | sed "s#$ROOT/##g" > "$T/$name.cmd"
  local t0 t1
  t0=$(date +%s.%N)
  "${cmd[@]}" > "$T/$name.out" 2> "$T/$name.log" || { echo "job $name failed: $(tail -n 3 "$T/$name.log")" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc > "$T/$name.wall"
  sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$wpid/status" > "$T/$name.rss"
  # CPU seconds (user + system) of the worker and of the coordinator, for a figure that
  # the other loads of a shared machine move less than wall time
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$wpid/stat" "/proc/$cpid/stat" > "$T/$name.cpu"
  kill -TERM "$wpid"; wait "$wpid" 2>/dev/null || true
  kill -TERM "$cpid"; wait "$cpid" 2>/dev/null || true
}

# the pure tokenizer over the documents of a packed job, same threads
pure() {
  python3 - "$T/out-$1/index.json" "$T/corpus.txt" <<'P'
import bz2, gzip, json, lzma, re, subprocess, sys
idx = json.load(open(sys.argv[1]))
def read(f):  # the text the pipeline encoded: compressed inputs decompressed
    if f.endswith(".gz"): return gzip.open(f).read()
    if f.endswith(".bz2"): return bz2.open(f).read()
    if f.endswith(".xz"): return lzma.open(f).read()
    if f.endswith(".zst"): return subprocess.run(["zstd", "-dc", f], capture_output=True).stdout
    return open(f, "rb").read()
seen, files = set(), []
for sh in idx["shards"]:
    for s in sh["sources"]:
        f = re.sub(r":[0-9]+(-[0-9]+)?$", "", s) if ".jsonl" in s else s
        if f not in seen:
            seen.add(f); files.append(f)
with open(sys.argv[2], "wb") as out:
    for f in files:
        out.write(read(f)); out.write(b"\n")
P
  "$BT" "$TOK" "$T/corpus.txt" "$THREADS" 1 > "$T/pure-$2.out"
  echo "$BT $TOK bench/work/longdocs/corpus.txt $THREADS 1  # the files of $1" | sed "s#$ROOT/##g" > "$T/pure-$2.cmd"
  rm -f "$T/corpus.txt"
}

i=0
for in in "$@"; do
  run_job "default-$i" "$in"
  run_job "packed-$i" "$in" --pack --long-documents split --detect-text
  pure "packed-$i" "$i"
  i=$((i + 1))
done

python3 - "$T" "$THREADS" "$L" "$TOK" "$ROOT" "$@" <<'P'
import json, os, subprocess, sys, datetime
T, TH, L, TOK, ROOT = sys.argv[1:6]
INS = sys.argv[6:]
L = int(L)
def job(n):
    idx = json.load(open(f"{T}/out-{n}/index.json"))
    t = idx["totals"]
    t["wall"] = float(open(f"{T}/{n}.wall").read())
    t["rss"] = int(open(f"{T}/{n}.rss").read().split()[-1])
    t["cpu_w"], t["cpu_c"] = (float(v) for v in open(f"{T}/{n}.cpu").read().split())
    t["reasons"] = idx.get("skip_reasons", {})
    t["cmd"] = open(f"{T}/{n}.cmd").read().strip()
    return t
def n(x): return f"{x:,}"
def pct(a, b): return f"{100.0 * a / b:.1f}%" if b else "—"
commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
load = open("/proc/loadavg").read().split()[:3]
rels = [os.path.relpath(i, ROOT) for i in INS]
print("<!-- bench:long-docs begin -->")
print("## Long documents and packing (bench/long_docs.sh)\n")
print(f"- measured: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit {commit}{' (with local changes)' if dirty else ''}")
print(f"- Command: `AL_THREADS={TH} bench/long_docs.sh {' '.join(rels)}` (max_seq_len {L})")
print(f"- text tokenizer `{os.path.relpath(TOK, ROOT)}`; one worker process with {TH} threads, coordinator with the memory store, loopback")
print(f"- load average at the end: {' '.join(load)}")
cmds = []
for k, IN in enumerate(INS):
    d, p = job(f"default-{k}"), job(f"packed-{k}")
    row = open(f"{T}/pure-{k}.out").read().strip().splitlines()[-1].strip("|").split("|")
    cols = [c.strip() for c in row]
    mb, mbs, mb_cpu, ids = float(cols[1]), float(cols[4]), float(cols[6]), int(cols[7])
    pure_ids_s = ids / (mb / mbs)
    pure_ids_cpu = ids / (mb / mb_cpu)  # bench_tokenize: MB/s per thread from thread CPU time
    files = sum(len(fs) for _, _, fs in os.walk(IN))
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(IN) for f in fs
               if not os.path.islink(os.path.join(r, f)))
    print(f"\n### `{rels[k]}`: {n(files)} files, {size / 1e6:,.0f} MB\n")
    print("| metric | default (truncate, no packing) | `--pack --long-documents split --detect-text` | target | met? |")
    print("|---|---|---|---|---|")
    print(f"| documents | {n(d['documents'])} | {n(p['documents'])} | — | — |")
    print(f"| ids encoded | {n(d['ids_encoded'])} | {n(p['ids_encoded'])} | — | — |")
    print(f"| ids written | {n(d['ids_written'])} | {n(p['ids_written'])} | — | — |")
    print(f"| ids dropped by truncation | {n(d['ids_truncated'])} ({pct(d['ids_truncated'], d['ids_encoded'])}) | {n(p['ids_truncated'])} ({pct(p['ids_truncated'], p['ids_encoded'])}) | 0 | {'yes' if p['ids_truncated'] == 0 else 'NO'} |")
    print(f"| rows, padding | {n(d['samples'])} rows, {d['padding_fraction'] * 100:.1f}% padding | {n(p['samples'])} rows, {p['padding_fraction'] * 100:.3f}% padding | — | — |")
    sk = lambda t: f"{n(t['skipped'])}" + (": " + ", ".join(f"{r} {v:,}" for r, v in t['reasons'].items()) if t['reasons'] else "")
    print(f"| files skipped | {sk(d)} | {sk(p)} | — | — |")
    print(f"| shard bytes | {n(d['bytes'])} | {n(p['bytes'])} | — | — |")
    rd, rp = d["bytes"] / (d["ids_written"] * 10), p["bytes"] / (p["ids_written"] * 18)
    print(f"| shard bytes ÷ bytes of the ids written in the layout's tensors | {rd:.3f} (10 B per id) | {rp:.3f} (18 B per id) | ≤ 1.1 | {'yes' if rp <= 1.1 else 'NO'} |")
    print(f"| job wall time, s | {d['wall']:.1f} | {p['wall']:.1f} | — | — |")
    print(f"| end-to-end ids encoded per s | {n(round(d['ids_encoded'] / d['wall']))} | {n(round(p['ids_encoded'] / p['wall']))} | — | — |")
    ratio = p['ids_encoded'] / p['wall'] / pure_ids_s
    print(f"| ÷ pure tokenizer's ids/s, {TH} threads (wall; {n(round(pure_ids_s))} ids/s) | {d['ids_encoded'] / d['wall'] / pure_ids_s:.2f} | {ratio:.2f} | ≥ 0.8 | {'yes' if ratio >= 0.8 else 'NO'} |")
    print(f"| CPU seconds: worker + coordinator | {d['cpu_w']:.2f} + {d['cpu_c']:.2f} | {p['cpu_w']:.2f} + {p['cpu_c']:.2f} | — | — |")
    cd, cp = (t['ids_encoded'] / (t['cpu_w'] + t['cpu_c']) for t in (d, p))
    print(f"| ids per CPU second ÷ pure tokenizer's ({n(round(pure_ids_cpu))} ids per thread CPU second) | {cd / pure_ids_cpu:.2f} | {cp / pure_ids_cpu:.2f} | — | — |")
    print(f"| worker peak RSS (VmHWM), kB | {n(d['rss'])} | {n(p['rss'])} | — | — |")
    cmds += [f"# {rels[k]}, default", d['cmd'], f"# {rels[k]}, packed", p['cmd'], f"# {rels[k]}, pure tokenizer",
             open(f"{T}/pure-{k}.cmd").read().strip()]
print("\n<details><summary>Exact commands</summary>\n\n```")
print("\n".join(cmds))
print("```\n</details>")
print("<!-- bench:long-docs end -->")
P
