#!/usr/bin/env bash
# Monitoring and administration with real processes: a redis-server, a coordinator
# keeping its state in it, three workers,
# `submit-job --external --detach` followed to completion by `job-status`, `status`,
# and every alctl command (text and --json), then errors once the coordinator is gone.
source "$(dirname "$0")/lib.sh"
DATA="${AL_DATA_DIR:?}"
ALCTL="${AL_BIN_DIR:?}/alctl"
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# py EXPR: evaluates EXPR with d = the JSON document in $OUT
py() { python3 -c "import json,sys;d=json.loads(sys.stdin.read());print(($1))" <<<"$OUT"; }
expect_py() { CHECKS=$((CHECKS + 1)); local got; got=$(py "$1" 2>&1); [ "$got" = "$2" ] || fail "$1: got '$got', expected '$2' in: $OUT"; }
lines() { printf '%s' "$OUT" | grep -c "$1"; }

RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$T" > "$T/redis.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do redis-cli -p "$RPORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
PORT=$(free_port)
A="127.0.0.1:$PORT"
cat > "$T/c.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $PORT
  state_store_type: redis
  state_store_host: 127.0.0.1
  state_store_port: $RPORT
  heartbeat_interval: 0.5
  heartbeat_timeout: 5
workers:
  - name: p
    num_processes: 1
Y
"$BIN" coordinator -c "$T/c.yaml" --host 127.0.0.1 --port "$PORT" > "$T/coord.log" 2>&1 & PIDS+=($!); CPID=$!
for _ in $(seq 100); do grep -q "started successfully" "$T/coord.log" 2>/dev/null && break; sleep 0.05; done

run "$BIN" status --coordinator "$A"; expect_rc 0 "status, no workers"
expect_out "Active Workers: 0"; expect_out "[WARNING] No active workers"

for i in 1 2 3; do
  "$BIN" worker -c "$T/c.yaml" --coordinator "$A" --worker-id "w$i" > "$T/w$i.log" 2>&1 & PIDS+=($!)
done
for _ in $(seq 100); do
  run "$BIN" status --coordinator "$A"; case "$OUT" in *"Active Workers: 3"*) break;; esac; sleep 0.05
done
expect_rc 0 status
expect_out "============================================================
Distributed System Status
============================================================
Coordinator: $A

Active Workers: 3

Workers:"
for i in 1 2 3; do expect_out "  • w$i: CPU="; done
CHECKS=$((CHECKS + 1)); [ "$(lines ' Memory=[0-9.]*% RSS=[0-9.]*MB Slots=1 Running=[0-9]* Queued=[0-9]* Done=0 Failed=0 Input=0.0MB Rate=0.00MB/s,0ids/s State=alive')" -eq 3 ] || fail "worker lines: $OUT"
run "$BIN" status --coordinator "$A" --json; expect_rc 0 "status --json"
expect_py 'd["coordinator"], d["active_workers"]' "('$A', 3)"
expect_py 'sorted(w["id"] for w in d["workers"]), {w["status"] for w in d["workers"]}, {w["slots"] for w in d["workers"]}' \
  "(['w1', 'w2', 'w3'], {'alive'}, {1})"

run "$ALCTL" --coordinator "$A" workers; expect_rc 0 "alctl workers"
expect_out "WORKER  STATE        SLOTS   RUN QUEUE   CPU%   MEM%   RSS_MB    DONE FAILED     MB/S   SEEN"
CHECKS=$((CHECKS + 1)); [ "$(lines '^w[123]  *alive')" -eq 3 ] || fail "alctl workers rows: $OUT"
run "$ALCTL" --coordinator "$A" --json workers; expect_rc 0; expect_py 'len(d), sorted(w["id"] for w in d)' "(3, ['w1', 'w2', 'w3'])"
export AURALITH_COORDINATOR="$A"   # alctl's default address
run "$ALCTL" workers --json; expect_rc 0 "address from AURALITH_COORDINATOR"; expect_py 'len(d)' 3
unset AURALITH_COORDINATOR

# A detached submit, followed to completion with job-status.
run "$BIN" submit-job --external --detach -c "$T/c.yaml" -i "$DATA/pipeline/raw" -o "$T/out" \
    -t "$DATA/pipeline/tokenizers" --max-seq-len 64 --shard-size 8 --files-per-task 4 --job-name nightly
expect_rc 0 "detached submit"
JOB=$(printf '%s\n' "$OUT" | sed -n 's/^Job ID: //p' | head -1)
CHECKS=$((CHECKS + 1)); [ -n "$JOB" ] || fail "no job id in: $OUT"
for _ in $(seq 200); do
  run "$BIN" job-status --coordinator "$A" --job-id "$JOB"; case "$OUT" in *"Status: completed"*) break;; esac; sleep 0.05
done
expect_rc 0 job-status
expect_out "Checking status for job: $JOB
============================================================
Job: $JOB
============================================================
Status: completed
Created: "
expect_out "
Progress: 11/11 (100.0%)
Throughput: "
expect_out " ids/s
Errors: 0
Name: nightly"
expect_out "Samples: 33"
run "$BIN" job-status --coordinator "$A" --job-id "$JOB" --json; expect_rc 0
expect_py 'd["id"], d["status"], d["total_tasks"], d["completed_tasks"], d["failed_tasks"], d["throughput"], d["samples"], d["errors"]' \
  "('$JOB', 'completed', 11, 11, 0, 100.0, 33, [])"
# Throughput: the input bytes and token ids over the elapsed time, as in /metrics.
INBYTES=$(find "$DATA/pipeline/raw" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
expect_py 'd["bytes"] > 0 and d["bytes"] <= '"$INBYTES"', d["elapsed_s"] > 0, abs(d["mb_per_s"] * d["elapsed_s"] * 1e6 - d["bytes"]) < 1, abs(d["ids_per_s"] * d["elapsed_s"] - d["tokens"]) < 1' \
  "(True, True, True, True)"
JBYTES=$(py 'd["bytes"]'); JTOK=$(py 'd["tokens"]')
# The workers' heartbeats carry their RSS and what their tasks read and wrote: once the
# next heartbeats arrived, the workers' sums equal the job's figures.
for _ in $(seq 100); do
  run "$BIN" status --coordinator "$A" --json
  [ "$(py 'sum(w["bytes_processed"] for w in d["workers"]), sum(w["tokens"] for w in d["workers"])')" = "($JBYTES, $JTOK)" ] && break
  sleep 0.05
done
expect_py 'sum(w["bytes_processed"] for w in d["workers"]), sum(w["tokens"] for w in d["workers"]), all(w["rss_bytes"] > 1000000 and w["uptime_s"] > 0 for w in d["workers"])' \
  "($JBYTES, $JTOK, True)"
# The original's keys and JSON fields, read with a plain Redis client.
rget() { redis-cli -p "$RPORT" --raw GET "$1"; }
OUT=$(rget "job:$JOB")
expect_py 'd["id"], d["status"], d["total_tasks"], d["completed_tasks"], d["failed_tasks"]' "('$JOB', 'completed', 11, 11, 0)"
OUT=$(rget "task:$JOB-000000")
expect_py 'd["id"], d["job_id"], d["status"], d["retries"], d["result"]["status"], "output_dir" in d, "error" in d' \
  "('$JOB-000000', '$JOB', 'completed', 0, 'success', True, False)"
CHECKS=$((CHECKS + 1)); [ "$(redis-cli -p "$RPORT" --raw SISMEMBER jobs:active "$JOB")" = "0" ] || fail "finished job still in jobs:active"
CHECKS=$((CHECKS + 1)); ttl=$(redis-cli -p "$RPORT" --raw TTL "job:$JOB"); [ "$ttl" -gt 0 ] || fail "finished job has no retention TTL: $ttl"
CHECKS=$((CHECKS + 1)); ttl=$(redis-cli -p "$RPORT" --raw TTL heartbeat:w1); [ "$ttl" -gt 0 ] && [ "$ttl" -le 5 ] || fail "heartbeat:w1 TTL $ttl, expected 1..5"
OUT=$(rget metrics:w1); expect_py 'sorted(d.keys())' "['cpu_usage', 'memory_usage', 'samples_processed', 'tasks_completed']"
run "$BIN" job-status --coordinator "$A" --job-id nope; expect_rc 1 "job-status unknown job"
CHECKS=$((CHECKS + 1)); [ "$ERR" = "[ERROR] job not found: nope" ] || fail "job-status nope: '$ERR'"

run "$ALCTL" --coordinator "$A" jobs; expect_rc 0 "alctl jobs"
expect_out "$JOB  completed                     11/11  100.0%      0  "; expect_out " nightly"
run "$ALCTL" --coordinator "$A" jobs --json; expect_rc 0; expect_py 'len(d), d[0]["id"], d[0]["status"], d[0]["name"]' "(1, '$JOB', 'completed', 'nightly')"
run "$ALCTL" --coordinator "$A" job "$JOB"; expect_rc 0 "alctl job"; expect_out "Status: completed"; expect_out "Progress: 11/11"
run "$ALCTL" --coordinator "$A" --json job "$JOB"; expect_rc 0; expect_py 'd["status"], d["completed_tasks"]' "('completed', 11)"
run "$ALCTL" --coordinator "$A" job nope; expect_rc 1 "alctl job nope"
CHECKS=$((CHECKS + 1)); [ "$ERR" = "alctl: job not found: nope" ] || fail "alctl job nope: '$ERR'"
run "$ALCTL" --coordinator "$A" task "$JOB-000000"; expect_rc 0 "alctl task"
expect_out "Task: $JOB-000000
Job: $JOB
Status: completed
Attempts: 1"
expect_out "Files: 4"
run "$ALCTL" --coordinator "$A" --json task "$JOB-000010"; expect_rc 0
expect_py 'd["status"], d["files"], d["error"]' "('completed', 3, None)"
run "$ALCTL" --coordinator "$A" task "$JOB-999999"; expect_rc 1
CHECKS=$((CHECKS + 1)); [ "$ERR" = "alctl: task not found: $JOB-999999" ] || fail "alctl task unknown: '$ERR'"

run "$ALCTL" --coordinator "$A" strategy least_busy; expect_rc 0; expect_out "Strategy set to least_busy"
run "$ALCTL" --coordinator "$A" --json strategy dynamic; expect_rc 0; expect_py 'd["ok"], d["strategy"]' "(True, 'dynamic')"
run "$ALCTL" --coordinator "$A" strategy fastest; expect_rc 1; expect_err "is not one of round_robin, least_busy, dynamic"
run "$ALCTL" --coordinator "$A" strategy; expect_rc 0; expect_out "round_robin, least_busy, dynamic"

run "$ALCTL" --coordinator "$A" top --iterations 2 --interval 0.2; expect_rc 0 "alctl top"
CHECKS=$((CHECKS + 1)); [ "$(lines '^auralith top - coordinator ')" -eq 2 ] || fail "two frames: $OUT"
expect_out "Workers: 3 (3 active)"; expect_out "$JOB  completed"
run "$ALCTL" --coordinator "$A" --json top --iterations 2 --interval 0.2; expect_rc 0
CHECKS=$((CHECKS + 1))
[ "$(printf '%s\n' "$OUT" | python3 -c 'import json,sys;print([ (len(f["workers"]), len(f["jobs"])) for f in map(json.loads, sys.stdin)])')" = "[(3, 1), (3, 1)]" ] \
  || fail "top --json frames: $OUT"

# Drain every worker, then a new job waits for capacity and can be cancelled.
for i in 1 2 3; do run "$ALCTL" --coordinator "$A" drain "w$i"; expect_rc 0 "drain w$i"; expect_out "Draining worker w$i"; done
run "$ALCTL" --coordinator "$A" --json drain nope; expect_rc 1
CHECKS=$((CHECKS + 1)); [ "$ERR" = "alctl: worker not found: nope" ] || fail "drain unknown: '$ERR'"
run "$ALCTL" --coordinator "$A" --json workers; expect_rc 0
expect_py '{w["status"] for w in d if w["status"] != "disconnected"} <= {"draining"}' True
run "$BIN" submit-job --external --detach -c "$T/c.yaml" -i "$DATA/pipeline/raw" -o "$T/out2" \
    -t "$DATA/pipeline/tokenizers" --files-per-task 20
expect_rc 0 "second detached submit"
JOB2=$(printf '%s\n' "$OUT" | sed -n 's/^Job ID: //p' | head -1)
run "$ALCTL" --coordinator "$A" cancel "$JOB2"; expect_rc 0 "cancel"; expect_out "Cancelled job $JOB2"
run "$BIN" job-status --coordinator "$A" --job-id "$JOB2"; expect_rc 0; expect_out "Status: cancelled"
run "$ALCTL" --coordinator "$A" cancel "$JOB2"; expect_rc 1 "cancel twice"; expect_err "is already cancelled"
CHECKS=$((CHECKS + 1)); [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "one line: $ERR"

# Coordinator gone: one line, exit 1, for every client.
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null
run "$ALCTL" --coordinator "$A" workers; expect_rc 1
CHECKS=$((CHECKS + 1)); [ "$ERR" = "alctl: cannot connect to coordinator $A: Connection refused" ] || fail "unreachable: '$ERR'"
run "$BIN" status --coordinator "$A"; expect_rc 1
CHECKS=$((CHECKS + 1)); [ "$ERR" = "[ERROR] cannot connect to coordinator $A: Connection refused" ] || fail "status unreachable: '$ERR'"
finish
