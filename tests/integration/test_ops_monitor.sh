#!/usr/bin/env bash
# What an operator sees of a running coordinator:
#  - a warning while tasks wait and no worker is alive (period set to 1 s here);
#  - JSON log lines (--log-format json) that parse and carry component and ids;
#  - "heartbeat" in the log for a worker's registration and for its loss;
#  - GET /metrics during a job: counters start at 0 and end equal to the manifest's
#    totals; /healthz answers ok; malformed and oversized requests get 400/405/431.
source "$(dirname "$0")/lib.sh"
DATA="${AL_DATA_DIR:?}"
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
trap "" PIPE  # the endpoint may close before a refused request is fully sent
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_for() { # FILE PATTERN [TRIES]
  for _ in $(seq "${3:-100}"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
check() { CHECKS=$((CHECKS + 1)); eval "$1" || fail "$2"; }
http() { # PATH [RAW REQUEST]: prints the response (status line, headers, body)
  local req=${2:-"GET $1 HTTP/1.1\r\nHost: x\r\n\r\n"}
  exec 3<>"/dev/tcp/127.0.0.1/$MPORT" || return 1
  printf "$req" >&3 2>/dev/null
  tr -d '\r' <&3
  exec 3<&-
}
scrape() { http /metrics > "$T/metrics"; }
metric() { awk -v m="$1" '$1 == m {print $NF}' "$T/metrics"; }

PORT=$(free_port); MPORT=$(free_port)
cat > "$T/c.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $PORT
  state_store_type: memory
  heartbeat_interval: 0.3
  heartbeat_timeout: 2
Y
"$BIN" coordinator -c "$T/c.yaml" --host 127.0.0.1 --port "$PORT" --metrics-port "$MPORT" --no-worker-warning 1 \
  --log-format json > "$T/coord.out" 2> "$T/coord.log" & CPID=$!; PIDS+=($CPID)
wait_for "$T/coord.out" "started successfully" 400 || fail "coordinator did not start: $(cat "$T/coord.log")"

# 1. Metrics before any work; the request parser's refusals.
run http /healthz; expect_out "HTTP/1.1 200 OK"; expect_out "ok"
run http /metrics; expect_out "Content-Type: text/plain; version=0.0.4"; expect_out "auralith_up 1"; expect_out "auralith_tasks_completed_total 0"
expect_out '# TYPE auralith_tasks_dispatched_total counter'
run http /nope; expect_out "404"
run http / 'POST /metrics HTTP/1.1\r\n\r\n'; expect_out "405"
run http / 'GET /metrics HTTP/2.0\r\n\r\n'; expect_out "505"
run http / 'GET metrics\r\n\r\n'; expect_out "400"
run http / "GET /metrics HTTP/1.1\r\nX: $(head -c 9000 /dev/zero | tr '\0' a)\r\n\r\n"; expect_out "431"
run http / "HEAD /metrics HTTP/1.0\r\n\r\n"; expect_out "200 OK"; CHECKS=$((CHECKS + 1)); [[ "$OUT" != *auralith_up* ]] || fail "HEAD sent a body"

# 2. A job with no worker: the warning.
run "$BIN" submit-job --external -c "$T/c.yaml" -i "$DATA/pipeline/raw" -o "$T/out" -t "$DATA/pipeline/tokenizers" \
  --files-per-task 2 --max-seq-len 64 --detach
expect_rc 0 "detached submit"
JOB=$(sed -n 's/^Job ID: //p' <<<"$OUT")
check 'wait_for "$T/coord.log" "no alive worker" 400' "no warning while tasks wait without a worker"
scrape
TOTAL=$(metric 'auralith_job_tasks{job_id="'"$JOB"'",state="total"}')
check '[ "${TOTAL:-0}" -gt 1 ]' "job tasks gauge: '$TOTAL'"
check '[ "$(metric "auralith_tasks{state=\"pending\"}")" = "$TOTAL" ]' "pending gauge != $TOTAL"

# 3. A worker runs the job; "heartbeat" marks its registration.
"$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$PORT" --worker-id wm1 > "$T/w.log" 2>&1 & W=$!; PIDS+=($W)
for _ in $(seq 200); do
  run "$BIN" job-status --coordinator "127.0.0.1:$PORT" --job-id "$JOB"
  case "$OUT" in *"Status: completed"*) break;; esac; sleep 0.1
done
expect_out "Status: completed"
check 'grep heartbeat "$T/coord.log" | grep -q "wm1"' "grep heartbeat finds no registration of wm1"
IDX="$T/out/index.json"
for _ in $(seq 100); do [ -f "$IDX" ] && break; sleep 0.05; done
python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['totals']; print(*(f'{k}={v}' for k, v in t.items()))" "$IDX" > "$T/totals"
tot() { tr ' ' '\n' < "$T/totals" | sed -n "s/^$1=//p"; }
scrape
check '[ "$(metric auralith_tasks_completed_total)" = "$TOTAL" ]' "completed_total != $TOTAL"
check '[ "$(metric auralith_tasks_dispatched_total)" = "$TOTAL" ]' "dispatched_total != $TOTAL"
check '[ "$(metric auralith_samples_total)" = "$(tot samples)" ]' "samples_total != manifest ($(metric auralith_samples_total) vs $(tot samples))"
check '[ "$(metric auralith_tokens_total)" = "$(tot tokens)" ]' "tokens_total != manifest"
check '[ "$(metric auralith_shards_total)" = "$(tot shards)" ]' "shards_total != manifest"
check '[ "$(metric auralith_input_bytes_total)" -gt 0 ]' "no input bytes counted"
SKIPPED=$(awk '/^auralith_files_skipped_total/ {s += $NF} END {print s}' "$T/metrics")
check '[ "$SKIPPED" = "$(tot skipped)" ]' "skipped by reason ($SKIPPED) != manifest"
check '[ "$(metric "auralith_workers{state=\"alive\"}")" = 1 ]' "alive workers != 1"

# 4. The worker is killed: its loss is logged with "heartbeat".
kill -9 "$W"
check 'wait_for "$T/coord.log" "heartbeat lost" 400' "no heartbeat loss logged: $(tail -3 "$T/coord.log")"

# 5. Every log line is JSON with time, level, component; the worker's lines name it.
check 'python3 - "$T/coord.log" <<PY
import json, sys
n = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert {"time", "level", "component", "msg"} <= d.keys(), line
    n += 1
assert n > 3
regs = [json.loads(l) for l in open(sys.argv[1]) if "heartbeat registered" in l]
assert regs and regs[0]["worker_id"] == "wm1" and regs[0]["component"] == "coordinator", regs
PY' "JSON log lines do not parse or lack fields"
kill -TERM "$CPID"; wait "$CPID"; RC=$?
expect_rc 0 "coordinator stop"
finish
