#!/usr/bin/env bash
# End to end with real processes: embedded runs, external runs (coordinator + worker
# processes over loopback TCP), exit codes by job status, bad inputs, and a worker
# killed with SIGKILL in the middle of a task.
source "$(dirname "$0")/lib.sh"
DATA="${AL_DATA_DIR:?}"
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
json() { python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(eval(sys.argv[2]))" "$@"; }

cat > "$T/embedded.yaml" <<Y
coordinator:
  state_store_type: memory
  heartbeat_interval: 1
  heartbeat_timeout: 3
  max_retries: 1
  retry_backoff: 0.05
  max_retry_backoff: 0.1
Y

# 1. Embedded run over the reference input tree (text, code, image, audio and video)
# plus a GIF, which this build reads as an image (the original leaves it unclassified).
cp -r "$DATA/pipeline/raw" "$T/raw"
cp "$DATA/image/inputs/gif_32.gif" "$T/raw/anim.gif"
run "$BIN" submit-job --embedded -w 2 -c "$T/embedded.yaml" -i "$T/raw" -o "$T/out1" \
    -t "$DATA/pipeline/tokenizers" --max-seq-len 64 --shard-size 8 --files-per-task 10
expect_rc 0 "embedded run"
expect_out "Status:   completed"
expect_out "Tasks:    5/5"
expect_out "Samples:  34"
# the input read, and its rate over the run's time
CHECKS=$((CHECKS + 1))
python3 - "$OUT" <<'PY' || fail "summary Input/Time/Rate lines: $OUT"
import re, sys
o = sys.argv[1]
b = int(re.search(r"^Input:    (\d+) bytes$", o, re.M).group(1))
k = int(re.search(r"^Tokens:   (\d+)$", o, re.M).group(1))
mbs, ids = map(float, re.search(r"^Rate:     ([\d.]+) MB/s, (\d+) ids/s$", o, re.M).groups())
assert b > 0 and k > 0 and mbs > 0 and ids > 0, (b, k, mbs, ids)
PY
CHECKS=$((CHECKS + 1))
[ "$(json "$T/out1/index.json" 'd["totals"]["samples"], d["totals"]["files"], d["totals"]["skipped"], d["status"]')" = "(34, 44, 10, 'completed')" ] \
  || fail "index.json totals: $(json "$T/out1/index.json" 'd["totals"], d["status"]')"
CHECKS=$((CHECKS + 1))
[ "$(json "$T/out1/index.json" 'd["skip_reasons"]["blank text"], d["skip_reasons"]["unclassified"]')" = "(4, 4)" ] || fail "skip reasons"
# Every shard listed in the manifest exists, validates, and has the listed sha256.
for s in $(json "$T/out1/index.json" '" ".join(x["path"] for x in d["shards"])'); do
  run "$BIN" inspect "$T/out1/$s"; expect_rc 0 "inspect $s"; expect_out "input_ids"
  CHECKS=$((CHECKS + 1))
  want=$(json "$T/out1/index.json" "[x['sha256'] for x in d['shards'] if x['path']=='$s'][0]")
  [ "$(sha256sum "$T/out1/$s" | cut -d' ' -f1)" = "$want" ] || fail "sha256 of $s"
done
CHECKS=$((CHECKS + 1))
[ -z "$(find "$T/out1" -name '*.tmp*')" ] || fail "temporary files left"
# The GIF's row: modality 1 throughout, <IMG> (4) codes+100000 <IMG_END> (5), the ids
# `sample` prints for the same file.
"$BIN" sample -t "$DATA/pipeline/tokenizers" --max-seq-len 64 "$T/raw/anim.gif" > "$T/gif.jsonl"
CHECKS=$((CHECKS + 1))
msg=$(python3 - "$T/gif.jsonl" "$T/out1" "$T/raw/anim.gif" <<'PY'
import json, struct, sys
s = json.loads(open(sys.argv[1]).read())
idx = json.load(open(sys.argv[2] + "/index.json"))
rows = []
for sh in idx["shards"]:
    b = open(f"{sys.argv[2]}/{sh['path']}", "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    def tensor(name, fmt, size):
        lo, hi = h[name]["data_offsets"]
        v = struct.unpack(f"<{(hi - lo) // size}{fmt}", b[8 + n + lo:8 + n + hi])
        w = h[name]["shape"][1]
        return [list(v[i:i + w]) for i in range(0, len(v), w)]
    for src, ids, att, mod in zip(sh["sources"], tensor("input_ids", "i", 4), tensor("attention_mask", "B", 1),
                                  tensor("modality_mask", "B", 1)):
        if src == sys.argv[3]:
            rows.append(([i for i, a in zip(ids, att) if a], [m for m, a in zip(mod, att) if a]))
ids = s.get("input_ids", [])
bad = []
if s.get("modality") != "image" or len(ids) != 18 or ids[0] != 4 or ids[-1] != 5 \
        or not all(100000 <= i < 100016 for i in ids[1:-1]) or s["modality_mask"] != [1] * 18:
    bad.append(f"sample: {s}")
if rows != [(ids, [1] * len(ids))]: bad.append(f"shard rows for the GIF: {rows}")
print("; ".join(bad))
PY
)
[ -z "$msg" ] || fail "GIF row: $msg"

# 2. Unusable tokenizers are refused before the job starts (exit 1, naming the
#    directory); test_ops_failfast.sh covers a worker that cannot load them (failed, 4).
mkdir -p "$T/notok"
run "$BIN" submit-job --embedded -w 2 -c "$T/embedded.yaml" -i "$DATA/pipeline/raw" -o "$T/out2" -t "$T/notok" --files-per-task 20
expect_rc 1 "unusable tokenizers"
expect_err "tokenizers directory $T/notok cannot be used"

# 3. Nothing to do: clear error before anything starts.
mkdir -p "$T/empty"
run "$BIN" submit-job --embedded -c "$T/embedded.yaml" -i "$T/empty" -o "$T/out3" -t "$DATA/pipeline/tokenizers"
expect_rc 1 "no files"; expect_err "No files found in $T/empty"
run "$BIN" submit-job --embedded -c "$T/nope.yaml" -i "$T/empty" -o "$T/out3" -t "$T"
expect_rc 1 "missing config"; expect_err "nope.yaml"
run "$BIN" submit-job --embedded --external -c "$T/embedded.yaml" -i a -o b -t c
expect_rc 2 "both modes"
run "$BIN" submit-job --external --coordinator 127.0.0.1:1 -c "$T/embedded.yaml" -i "$DATA/pipeline/raw" -o "$T/o" -t "$DATA/pipeline/tokenizers"
expect_rc 1 "unreachable coordinator"; expect_err "cannot connect to coordinator 127.0.0.1:1"

# 4. External: a coordinator process and three worker processes over loopback TCP.
PORT=$(free_port)
cat > "$T/ext.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $PORT
  state_store_type: memory
  heartbeat_interval: 0.5
  heartbeat_timeout: 2
  retry_backoff: 0.1
  max_retry_backoff: 0.5
workers:
  - name: p
    num_processes: 1
Y
"$BIN" coordinator -c "$T/ext.yaml" --host 127.0.0.1 --port "$PORT" > "$T/coord.log" 2>&1 & PIDS+=($!); CPID=$!
for i in 1 2 3; do
  "$BIN" worker -c "$T/ext.yaml" --coordinator "127.0.0.1:$PORT" --worker-id "w$i" > "$T/w$i.log" 2>&1 & PIDS+=($!)
done
for _ in $(seq 50); do grep -q "started successfully" "$T/coord.log" 2>/dev/null && break; sleep 0.1; done
run "$BIN" submit-job --external -c "$T/ext.yaml" -i "$DATA/pipeline/raw" -o "$T/out4" -t "$DATA/pipeline/tokenizers" \
    --max-seq-len 64 --shard-size 8 --files-per-task 4
expect_rc 0 "external run"; expect_out "Tasks:    11/11"; expect_out "Samples:  33"
for _ in $(seq 50); do [ -f "$T/out4/index.json" ] && break; sleep 0.1; done
CHECKS=$((CHECKS + 1))
[ "$(json "$T/out4/index.json" 'd["totals"]["samples"], d["totals"]["files"]')" = "(33, 43)" ] || fail "external manifest"
for i in 1 2 3; do CHECKS=$((CHECKS + 1)); grep -q "success" "$T/w$i.log" || fail "worker w$i ran no task"; done

# 5. A worker killed with SIGKILL mid-task: its tasks are retried elsewhere; the output
#    holds each file exactly once and no temporary file.
mkdir -p "$T/big"
python3 - "$T/big" <<'PY'
import sys, random
random.seed(7)
words = "harbour crane berth shuttle container yard quay vessel tide rope".split()
for i in range(12):
    with open(f"{sys.argv[1]}/doc{i:03d}.txt", "w") as f:
        for _ in range(12000):
            f.write(" ".join(random.choice(words) + str(random.randint(0, 99999)) for _ in range(12)) + "\n")
PY
"$BIN" submit-job --external -c "$T/ext.yaml" -i "$T/big" -o "$T/out5" -t "$DATA/pipeline/tokenizers" \
    --max-seq-len 300000 --files-per-task 2 > "$T/submit5.log" 2>&1 & SUB=$!
VICTIM=""
for _ in $(seq 100); do
  for i in 1 2 3; do
    if [ -n "$(ls -A "$T/out5/.staging" 2>/dev/null)" ]; then VICTIM=${PIDS[$i]}; break 2; fi
  done
  sleep 0.05
done
sleep 0.1
CHECKS=$((CHECKS + 1)); [ -n "$VICTIM" ] || fail "no task started"
kill -9 "$VICTIM" 2>/dev/null
wait "$SUB"; RC=$?
CHECKS=$((CHECKS + 1)); grep -q "requeueing [0-9]* queued and [1-9][0-9]* running tasks" "$T/coord.log" || fail "the killed worker held no running task"
CHECKS=$((CHECKS + 1)); [ "$RC" -eq 0 ] || fail "job with a killed worker: exit $RC: $(tail -5 "$T/submit5.log")"
CHECKS=$((CHECKS + 1)); grep -q "Tasks:    6/6" "$T/submit5.log" || fail "all 6 tasks completed: $(tail -8 "$T/submit5.log")"
for _ in $(seq 50); do [ -f "$T/out5/index.json" ] && break; sleep 0.1; done
CHECKS=$((CHECKS + 1))
[ "$(json "$T/out5/index.json" 'sorted(s for x in d["shards"] for s in x["sources"]) == sorted(set(s for x in d["shards"] for s in x["sources"])), d["totals"]["samples"]')" = "(True, 12)" ] \
  || fail "each file exactly once: $(json "$T/out5/index.json" 'd["totals"]')"
CHECKS=$((CHECKS + 1)); [ "$(find "$T/out5" -name '*.safetensors' | wc -l)" -eq 6 ] || fail "6 shard files on disk"
CHECKS=$((CHECKS + 1)); [ -z "$(find "$T/out5" -name '*.tmp*')" ] || fail "temporary files left after the kill"
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null
finish
