#!/usr/bin/env bash
# Output layouts and counts end to end: split and packed runs over the reference input
# tree read back with examples/python/read_shards.py (NumPy), index.json totals equal
# the totals recomputed from the shards, the default run reports and warns about the
# ids truncation dropped, and job-status --json of an external job carries the counts.
source "$(dirname "$0")/lib.sh"
DATA="${AL_DATA_DIR:?}"
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
PY=""
for p in python3 /usr/bin/python3; do "$p" -c 'import numpy' 2>/dev/null && { PY=$p; break; }; done
CHECKS=$((CHECKS + 1)); [ -n "$PY" ] || { fail "no python3 with numpy (scripts/setup.sh installs python3-numpy)"; finish; }

# The text tokenizer alone: image, audio and video files stay skipped ("no tokenizer for
# modality"), so the figures below are those of the text and code rows.
mkdir -p "$T/tok" && ln -s "$DATA/pipeline/tokenizers/text" "$T/tok/text"

cat > "$T/c.yaml" <<Y
coordinator:
  state_store_type: memory
Y

# Recomputes the totals from the shards with the example reader and compares them with
# index.json; prints "ok" or what differs.
check() {
  "$PY" - "$SRC/examples/python" "$1" "$2" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from read_shards import load_shard, documents, expand
out, L = sys.argv[2], int(sys.argv[3])
idx = json.load(open(f"{out}/index.json"))
tot = idx["totals"]
rows = tokens = docs = 0
bad = []
for sh in idx["shards"]:
    meta, t = load_shard(f"{out}/{sh['path']}")
    n = t["input_ids"].shape[0]
    real = int(t["attention_mask"].sum())
    if real != sh["tokens"] or n != sh["samples"]: bad.append(f"{sh['path']}: rows/tokens differ")
    rows += n; tokens += real
    starts = sum(1 for r in range(n) for s, e, p0 in documents(t, r) if p0 == 0)
    docs += starts
    names = list(expand(sh["sources"]))
    if len(names) != (starts if "document_ids" in t else n):
        bad.append(f"{sh['path']}: {len(names)} sources for {starts} document starts, {n} rows")
    for r in range(n):
        if "document_ids" in t and r + 1 < n and t["attention_mask"][r].sum() < L:
            bad.append(f"{sh['path']} row {r}: padded row before the task's last")
want = {"samples": rows, "tokens": tokens, "ids_written": tokens, "padding": rows * L - tokens}
if "document_ids" in t or idx.get("max_seq_len", 0) >= 100000: want["documents"] = docs
for k, v in want.items():
    if tot.get(k) != v: bad.append(f"totals.{k} is {tot.get(k)}, shards say {v}")
if tot["ids_encoded"] != tot["ids_written"] + tot["ids_truncated"]: bad.append("ids_encoded != written + truncated")
print("ok" if not bad else "; ".join(bad[:5]))
PY
}
json() { "$PY" -c "import json,sys;d=json.load(open(sys.argv[1]));print(eval(sys.argv[2]))" "$@"; }

# 1. split + pack: every id kept, documents whole, padding only in each task's last row.
run "$BIN" submit-job --embedded -w 2 -c "$T/c.yaml" -i "$DATA/pipeline/raw" -o "$T/sp" -t "$T/tok" \
    --max-seq-len 64 --shard-size 8 --files-per-task 10 --long-documents split --pack
expect_rc 0 "split+pack run"; expect_out "Documents: 20"; expect_out "0 dropped by truncation"
run check "$T/sp" 64; expect_out "ok"
CHECKS=$((CHECKS + 1))
[ "$(json "$T/sp/index.json" 'd["totals"]["ids_truncated"], d["totals"]["ids_encoded"], d["totals"]["documents"], d["totals"]["files"]')" = "(0, 4599, 20, 43)" ] \
  || fail "split+pack totals: $(json "$T/sp/index.json" 'd["totals"]')"

# 2. split without packing: a file's rows are consecutive; every row but a file's last is full.
run "$BIN" submit-job --embedded -w 1 -c "$T/c.yaml" -i "$DATA/pipeline/raw" -o "$T/s" -t "$T/tok" \
    --max-seq-len 64 --long-documents split
expect_rc 0 "split run"
run check "$T/s" 64; expect_out "ok"
CHECKS=$((CHECKS + 1)); [ "$(json "$T/s/index.json" 'd["totals"]["tokens"]')" = "4599" ] || fail "split keeps every id"

# 3. The default (the original's rows): the truncation is counted and warned about.
run "$BIN" submit-job --embedded -w 2 -c "$T/c.yaml" -i "$DATA/pipeline/raw" -o "$T/d" -t "$T/tok" --max-seq-len 64
expect_rc 0 "default run"
expect_out "3545 dropped by truncation (77.1%)"
expect_out "[WARNING] Truncation dropped 77.1% of the ids"; expect_out "--long-documents split"
expect_out "4 blank text"
run check "$T/d" 64; expect_out "ok"
CHECKS=$((CHECKS + 1))
[ "$(json "$T/d/index.json" 'd["totals"]["ids_truncated"], d["totals"]["files"], d["skip_reasons"]["unclassified"]')" = "(3545, 43, 4)" ] \
  || fail "default totals: $(json "$T/d/index.json" 'd["totals"]')"

# 4. A bad mode is a usage error naming the value.
run "$BIN" submit-job --embedded -c "$T/c.yaml" -i "$DATA/pipeline/raw" -o "$T/x" -t "$T/tok" --long-documents cut
expect_rc 1 "bad mode"; expect_err "long_documents is 'cut', expected truncate or split"

# 5. --dry-run: the plan, nothing written.
run "$BIN" submit-job -c "$T/c.yaml" -i "$DATA/pipeline/raw" -o "$T/dry" -t "$T/tok" --dry-run --files-per-task 10
expect_rc 0 "dry run"; expect_out "Files:    43"; expect_out "Tasks:    5 (10 files per task)"
expect_out "no tokenizer for modality 'image'         8 files"; expect_out "unclassified"
CHECKS=$((CHECKS + 1)); [ ! -e "$T/dry" ] || fail "dry run wrote output"

# 6. External: the counts reach job-status --json.
PORT=$("$PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat > "$T/ext.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $PORT
  state_store_type: memory
Y
"$BIN" coordinator -c "$T/ext.yaml" --host 127.0.0.1 --port "$PORT" > "$T/coord.log" 2>&1 & PIDS+=($!)
"$BIN" worker -c "$T/ext.yaml" --coordinator "127.0.0.1:$PORT" --worker-id w1 > "$T/w1.log" 2>&1 & PIDS+=($!)
for _ in $(seq 200); do grep -q "started successfully" "$T/coord.log" 2>/dev/null && break; sleep 0.1; done
run "$BIN" submit-job --external -c "$T/ext.yaml" -i "$DATA/pipeline/raw" -o "$T/e" -t "$T/tok" \
    --max-seq-len 64 --files-per-task 7 --long-documents split --pack
expect_rc 0 "external split+pack"
JOB=$(echo "$OUT" | sed -n 's/^Job ID: *//p')
run "$BIN" job-status --coordinator "127.0.0.1:$PORT" --job-id "$JOB" --json
expect_rc 0 "job-status --json"
echo "$OUT" > "$T/js.json"
CHECKS=$((CHECKS + 1))
[ "$(json "$T/js.json" 'd["documents"], d["ids_encoded"], d["ids_written"], d["ids_truncated"], d["skipped"], d["skip_reasons"]["blank text"]')" = "(20, 4599, 4599, 0, 23, 4)" ] \
  || fail "job-status counts: $OUT"
run "$BIN" job-status --coordinator "127.0.0.1:$PORT" --job-id "$JOB"
expect_out "Documents: 20"

# 7. --resume reuses only shards of the same row layout (index.json names it).
CHECKS=$((CHECKS + 1))
[ "$(json "$T/e/index.json" 'd["long_documents"], d["packing"]')" = "('split', 'greedy')" ] || fail "index.json lacks the layout"
for layout in "split --pack:7 of 7" "truncate:0 of 7"; do
  mode=${layout%%:*}; want=${layout#*:}
  run "$BIN" submit-job --external -c "$T/ext.yaml" -i "$DATA/pipeline/raw" -o "$T/e" -t "$T/tok" \
      --max-seq-len 64 --files-per-task 7 --resume --long-documents $mode
  expect_rc 0 "--resume --long-documents $mode"
  CHECKS=$((CHECKS + 1))
  for _ in $(seq 50); do grep -q "reused $want tasks" "$T/coord.log" && break; sleep 0.1; done
  grep -q "reused $want tasks" "$T/coord.log" || fail "--resume $mode: $(grep reused "$T/coord.log" | tail -1)"
  if [ "$mode" = "split --pack" ]; then # reused tasks keep their workers' counts (index.json task_counts)
    CHECKS=$((CHECKS + 1))
    got=$(json "$T/e/index.json" 'd["totals"]["documents"], d["totals"]["files"], d["totals"]["ids_encoded"], len(d["task_counts"])')
    [ "$got" = "(20, 43, 4599, 7)" ] || fail "--resume lost the reused tasks' counts: $got"
  fi
done
run check "$T/e" 64; expect_out "ok"

# 8. JSON Lines: consecutive records are listed as runs (FILE:A-B) in sources and in
# skips, and the counts expand them: 400 records, lines 101-105 and 300 bad.
mkdir -p "$T/jl"
"$PY" - "$T/jl/recs.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(1, 401):
        f.write(("{bad" if 101 <= i <= 105 or i == 300 else json.dumps({"text": f"record {i} of the file"})) + "\n")
PY
for layout in "" "--long-documents split --pack"; do
  rm -rf "$T/jo"
  run "$BIN" submit-job --embedded -w 1 -c "$T/c.yaml" -i "$T/jl" -o "$T/jo" -t "$T/tok" --max-seq-len 64 \
      --shard-size 150 $layout
  expect_rc 0 "JSON Lines run ($layout)"; expect_out "Documents: 394"
  run check "$T/jo" 64; expect_out "ok"
  CHECKS=$((CHECKS + 1))
  got=$(json "$T/jo/index.json" '[len(s["sources"]) for s in d["shards"]], sorted(k["path"].rsplit("/",1)[1] for k in d["skipped"]), d["totals"]["documents"], d["totals"]["skipped"], sum(v for k, v in d["skip_reasons"].items() if k.startswith("bad JSON Lines record")), d["totals"]["files"]')
  case "$layout" in
    "") want="([2, 2, 1], ['recs.jsonl:101-105', 'recs.jsonl:300'], 394, 6, 6, 1)" ;;
    *) want="([3], ['recs.jsonl:101-105', 'recs.jsonl:300'], 394, 6, 6, 1)" ;;
  esac
  [ "$got" = "$want" ] || fail "JSON Lines runs ($layout): $got, want $want"
done

# 10. Two jobs never share an output directory: while a job (no worker yet) owns -o, a
# second submission into it is refused, even with --overwrite, which would remove its files.
P2=$("$PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
printf 'coordinator:\n  host: 127.0.0.1\n  port: %s\n  state_store_type: memory\n' "$P2" > "$T/busy.yaml"
"$BIN" coordinator -c "$T/busy.yaml" --host 127.0.0.1 --port "$P2" > "$T/busy.log" 2>&1 & PIDS+=($!)
for _ in $(seq 200); do grep -q "started successfully" "$T/busy.log" 2>/dev/null && break; sleep 0.1; done
run "$BIN" submit-job --external -c "$T/busy.yaml" -i "$DATA/pipeline/raw" -o "$T/busy" -t "$T/tok" --detach
expect_rc 0 "first job, detached"
for flag in "" "--overwrite"; do
  run "$BIN" submit-job --external -c "$T/busy.yaml" -i "$DATA/pipeline/raw" -o "$T/busy" -t "$T/tok" $flag
  expect_rc 1 "second job into a busy output ($flag)"; expect_err "which has not finished"
done

# 9. A result larger than the frame limit fails the job at once with the reason (it used
# to be dropped by the sender, and the job waited forever): 1,500 bad records that are
# not consecutive, with a 64 KiB frame limit.
mkdir -p "$T/jb"
"$PY" -c 'import sys
with open(sys.argv[1], "w") as f:
    for i in range(3000): f.write(("{bad" if i % 2 else "{\"text\": \"r%d\"}" % i) + "\n")' "$T/jb/alt.jsonl"
printf 'coordinator:\n  state_store_type: memory\n  max_frame_bytes: 65536\n' > "$T/small.yaml"
run timeout 60 "$BIN" submit-job --embedded -w 1 -c "$T/small.yaml" -i "$T/jb" -o "$T/jbo" -t "$T/tok" --pack
expect_rc 4 "result over the frame limit"
expect_out "larger than the 65536-byte frame limit; lower files_per_task"
CHECKS=$((CHECKS + 1))
[ -z "$(ls "$T/jbo" | grep -v '^index.json$')" ] || fail "an over-limit result left output: $(ls "$T/jbo")"
finish
