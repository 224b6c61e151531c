#!/usr/bin/env bash
# Worker process lifecycle against a real coordinator over loopback TCP:
#  - SIGTERM drains: the running task finishes and is reported, the job completes, exit 0;
#  - a second SIGINT abandons: the running task stops between files, its partial output
#    is removed, the worker exits promptly;
#  - the coordinator killed and restarted: the worker keeps its task, reconnects with
#    backoff and is served again;
#  - cancel from the coordinator: the running task stops and its output is removed;
#  - bad worker invocations fail with a clear message.
source "$(dirname "$0")/lib.sh"
DATA="${AL_DATA_DIR:?}"
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_for() { # FILE PATTERN [TRIES]
  for _ in $(seq "${3:-100}"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
ALCTL="$(dirname "$BIN")/alctl"

# Slow input: many mid-sized files per task so a task lasts long enough to be interrupted.
mkdir -p "$T/in"
python3 - "$T/in" <<'PY'
import sys, random
random.seed(3)
w = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
for i in range(30):
    with open(f"{sys.argv[1]}/f{i:03d}.txt", "w") as f:
        f.write("\n".join(" ".join(random.choice(w) + str(random.randint(0, 9999)) for _ in range(16)) for _ in range(4000)))
PY

# A slow input for the interrupted cases: many copies of one big file, so a task is
# certainly still running when it is interrupted.
mkdir -p "$T/slow"
for i in $(seq -w 1 300); do cp "$T/in/f000.txt" "$T/slow/s$i.txt"; done

PORT=$(free_port)
cat > "$T/c.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $PORT
  state_store_type: memory
  heartbeat_interval: 0.5
  heartbeat_timeout: 5
  retry_backoff: 0.1
workers:
  - name: p
    num_processes: 1
Y
start_coord() { "$BIN" coordinator -c "$T/c.yaml" --host 127.0.0.1 --port "$PORT" >> "$T/coord.log" 2>&1 & CPID=$!; PIDS+=($CPID); wait_for "$T/coord.log" "started successfully"; }
submit() { # OUT INPUT
  "$BIN" submit-job --external -c "$T/c.yaml" -i "$T/$2" -o "$T/$1" -t "$DATA/pipeline/tokenizers" \
     --max-seq-len 50000 --files-per-task 300 --detach > "$T/$1.submit" 2>&1; }

# 1. SIGTERM drains.
start_coord
"$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$PORT" --worker-id wd > "$T/wd.log" 2>&1 & W=$!; PIDS+=($W)
wait_for "$T/wd.log" "connected to coordinator"
submit out1 in
JOB=$(sed -n 's/^Job ID: //p' "$T/out1.submit")
CHECKS=$((CHECKS + 1)); [ -n "$JOB" ] || fail "no job id from a detached submit: $(cat "$T/out1.submit")"
wait_for "$T/coord.log" "assign\|task_started\|running" 20; sleep 0.3
kill -TERM "$W"
wait "$W"; RC=$?
CHECKS=$((CHECKS + 1)); [ "$RC" -eq 0 ] || fail "drained worker exit $RC"
CHECKS=$((CHECKS + 1)); grep -q "attempt 1 success: 30 samples" "$T/wd.log" || fail "drain did not finish the running task: $(tail -3 "$T/wd.log")"
CHECKS=$((CHECKS + 1)); ! grep -q "NOT_ALLOWED" "$T/wd.log" || fail "the coordinator refused the worker's drain notice"
run "$BIN" job-status --coordinator "127.0.0.1:$PORT" --job-id "$JOB"
expect_rc 0 "job-status after drain"; expect_out "Status: completed"; expect_out "Progress: 1/1"

# 2. A second SIGINT abandons the running task and removes its partial output.
"$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$PORT" --worker-id wa > "$T/wa.log" 2>&1 & W=$!; PIDS+=($W)
wait_for "$T/wa.log" "connected to coordinator"
submit out2 slow
for _ in $(seq 200); do [ -d "$T/out2/.staging" ] && break; sleep 0.02; done # the attempt is writing
kill -INT "$W"; sleep 0.05; kill -INT "$W"
T0=$(date +%s%N); wait "$W"; T1=$(date +%s%N)
CHECKS=$((CHECKS + 1)); [ $(( (T1 - T0) / 1000000 )) -lt 5000 ] || fail "abandon took $(( (T1 - T0) / 1000000 )) ms"
CHECKS=$((CHECKS + 1)); grep -q "abandoning 1 running task" "$T/wa.log" || fail "no abandon: $(tail -3 "$T/wa.log")"
CHECKS=$((CHECKS + 1)); [ -z "$(find "$T/out2" -name '*.safetensors' 2>/dev/null)" ] || fail "abandoned task left shards"

# 3. The coordinator is killed and restarted: the worker reconnects by itself.
"$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$PORT" --worker-id wr > "$T/wr.log" 2>&1 & WR=$!; PIDS+=($WR)
wait_for "$T/wr.log" "connected to coordinator"
kill -9 "$CPID"; wait "$CPID" 2>/dev/null
wait_for "$T/wr.log" "reconnecting in"
CHECKS=$((CHECKS + 1)); grep -q "reconnecting in" "$T/wr.log" || fail "worker did not notice the lost coordinator"
start_coord
for _ in $(seq 200); do [ "$(grep -c "connected to coordinator" "$T/wr.log")" -ge 2 ] && break; sleep 0.05; done
CHECKS=$((CHECKS + 1)); [ "$(grep -c "connected to coordinator" "$T/wr.log")" -ge 2 ] || fail "worker did not reconnect: $(tail -3 "$T/wr.log")"
run "$BIN" status --coordinator "127.0.0.1:$PORT"
expect_rc 0 "status after restart"; expect_out "wr"

# 4. Cancel from the coordinator stops the running task and removes its output.
submit out4 slow
JOB=$(sed -n 's/^Job ID: //p' "$T/out4.submit")
for _ in $(seq 200); do [ -d "$T/out4/.staging" ] && break; sleep 0.02; done # the attempt is writing
run "$ALCTL" --coordinator "127.0.0.1:$PORT" cancel "$JOB"
expect_rc 0 "alctl cancel"
# The attempt ends either on the cancel_task, or (a loaded machine, the cancel read
# late) when the coordinator's finalize has already removed the job's staging
# directory under it: both stop the task, and neither leaves anything behind.
for _ in $(seq 200); do grep -qE "attempt 1 failed: .*(: cancelled|No such file or directory)$" "$T/wr.log" && break; sleep 0.05; done
CHECKS=$((CHECKS + 1)); grep -qE "attempt 1 failed: .*(: cancelled|No such file or directory)$" "$T/wr.log" || fail "worker did not stop the cancelled task: $(tail -3 "$T/wr.log")"
CHECKS=$((CHECKS + 1)); [ -z "$(find "$T/out4" -name '*.safetensors' 2>/dev/null)" ] || fail "cancelled task left shards"
CHECKS=$((CHECKS + 1)); [ ! -e "$T/out4/.staging" ] || fail "cancelled job left $(find "$T/out4/.staging" | head -3)"
run "$BIN" job-status --coordinator "127.0.0.1:$PORT" --job-id "$JOB"
expect_out "Status: cancelled"

# 5. Bad invocations.
run "$BIN" worker -c "$T/c.yaml" --coordinator "nope" --worker-id x
expect_rc 2 "address without port"; expect_err "expected HOST:PORT"
run "$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$PORT" --worker-id x --threads 0
expect_rc 2 "zero threads"; expect_err "--threads"
kill -TERM "$WR" "$CPID"; wait 2>/dev/null
finish
