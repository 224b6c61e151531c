#!/usr/bin/env bash
# One coordinator per Redis keyspace (docs/SECURITY.md), with a real redis-server, real
# coordinators, workers and an attached submit-job:
#   - a second coordinator on the keyspace refuses to start and names the holder;
#   - a clean stop releases the lease; a crashed coordinator's lease is taken over by a
#     restart on the same host at once;
#   - a standby takes over a SIGKILLed coordinator's job mid-run on the same port, and
#     the job completes with every input exactly once;
#   - a coordinator paused past its lease while a standby took over is deposed when it
#     resumes: exit 3, nothing more written (the standby's lease stands).
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/lib.sh"
command -v redis-server > /dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
FAULT="$(cd "$(dirname "$0")/../fault" && pwd)"

RP=$(free_port)
redis-server --port "$RP" --bind 127.0.0.1 --save "" --appendonly no > "$T/redis.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do redis-cli -p "$RP" PING 2>/dev/null | grep -q PONG && break; sleep 0.05; done
rc() { redis-cli -p "$RP" "$@"; }

P=$(free_port)
P2=$(free_port)
cfg() { # NAME PORT
  cat > "$T/$1.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $2
  state_store_type: redis
  state_store_host: 127.0.0.1
  state_store_port: $RP
  lease_ttl: 2
  heartbeat_interval: 0.2
  heartbeat_timeout: 1
  retry_backoff: 0.05
  max_retry_backoff: 0.2
workers:
  - name: p
    num_processes: 1
job:
  files_per_task: 4
  max_seq_len: 4096
  shard_size: 5
Y
}
cfg a "$P"
cfg b "$P2"

# ---- Refused: a second coordinator names the holder and exits 1; nothing of it is written.
start_coord a "$T/a.yaml"; A=$CPID
expect_log a "holding the keyspace lease of Redis at 127.0.0.1:$RP db 0, key prefix '' (epoch 1, ttl 2s)"
run timeout 10 "$BIN" coordinator -c "$T/b.yaml"
expect_rc 1 "second coordinator"
expect_err "another coordinator holds the keyspace lease of Redis at 127.0.0.1:$RP db 0, key prefix '': {\"instance\":"
expect_err "\"pid\":$A,"
expect_err "start it with --standby"
CHECKS=$((CHECKS + 1)); [ "$(rc GET coordinator:epoch)" = 1 ] || fail "the refused coordinator moved the epoch: $(rc GET coordinator:epoch)"

# ---- A clean stop releases the lease (a standby need not wait for it to expire).
kill -TERM "$A"; wait "$A" 2>/dev/null
CHECKS=$((CHECKS + 1)); [ "$(rc EXISTS coordinator:lease)" = 0 ] || fail "lease still held after a clean stop: $(rc GET coordinator:lease)"

# ---- A restart after a crash on the same host takes the dead process's lease at once.
start_coord a "$T/a.yaml"; A=$CPID
kill -9 "$A"; wait "$A" 2>/dev/null
start_coord a "$T/a.yaml"; A=$CPID
expect_log a "a process of this host that no longer runs; taking it over"
expect_log a "(epoch 3, ttl 2s)"

# ---- Standby takeover mid-job: B waits for the lease, A is killed, B binds the same
#      port, recovers the job; workers and the attached submitter reconnect.
mkdir -p "$T/in"
python3 - "$T/in" <<'PY'
import random, sys
random.seed(11)
w = "lorem ipsum dolor sit amet river stone cloud data token model".split()
for i in range(240):
    open(f"{sys.argv[1]}/d{i:04d}.txt", "w").write(" ".join(random.choice(w) + str(random.randint(0, 99)) for _ in range(3000)))
PY
find "$T/in" -name '*.txt' -exec realpath {} \; | sort > "$T/usable"
"$BIN" coordinator -c "$T/a.yaml" --standby > "$T/b.log" 2>&1 & B=$!; PIDS+=($B)
wait_log b "standby: another coordinator holds the keyspace lease" || fail "standby did not wait: $(tail -3 "$T/b.log")"
for w in w1 w2; do
  "$BIN" worker -c "$T/a.yaml" --coordinator "127.0.0.1:$P" --worker-id "$w" > "$T/$w.log" 2>&1 & PIDS+=($!)
  wait_log "$w" "connected to coordinator" || fail "worker $w did not join"
done
"$BIN" submit-job --external -c "$T/a.yaml" --coordinator "127.0.0.1:$P" -i "$T/in" -o "$T/out" \
  -t "$DATA/pipeline/tokenizers" > "$T/submit.log" 2>&1 & SUB=$!
wait_log submit "submitted:" || fail "job not submitted: $(tail -3 "$T/submit.log")"
for _ in $(seq 200); do [ "$(find "$T/out" -maxdepth 1 -name 'task_*' 2>/dev/null | wc -l)" -ge 3 ] && break; sleep 0.05; done
kill -9 "$A"; wait "$A" 2>/dev/null
for _ in $(seq 300); do grep -q "started successfully" "$T/b.log" && break; sleep 0.05; done
expect_log b "taking it over"
expect_log b "(epoch 4, ttl 2s)"
expect_log b "recovery: 1 unfinished jobs reloaded"
wait "$SUB"; RC=$?
CHECKS=$((CHECKS + 1)); [ "$RC" -eq 0 ] || fail "submit-job across the takeover: exit $RC: $(tail -3 "$T/submit.log")"
CHECKS=$((CHECKS + 1))
msg=$(python3 "$FAULT/check_output.py" "$T/out" completed --usable "$T/usable" 2>&1) || fail "takeover output: $msg"

# ---- Deposed: the holder paused past its lease, a standby takes over, the holder
#      resumes and exits 3 without writing; the standby's lease stands.
kill -TERM "$B"; wait "$B" 2>/dev/null
start_coord a "$T/a.yaml"; A=$CPID
"$BIN" coordinator -c "$T/b.yaml" --standby > "$T/b2.log" 2>&1 & B=$!; PIDS+=($B)
wait_log b2 "standby: another coordinator holds" || fail "second standby did not wait"
kill -STOP "$A"
for _ in $(seq 200); do grep -q "started successfully" "$T/b2.log" && break; sleep 0.05; done
expect_log b2 "started successfully"
HOLDER=$(rc GET coordinator:lease)
kill -CONT "$A"
wait "$A"; ARC=$?
CHECKS=$((CHECKS + 1)); [ "$ARC" -eq 3 ] || fail "deposed coordinator exit $ARC, expected 3: $(tail -3 "$T/a.log")"
expect_log a "coordinator: deposed: FENCED the keyspace lease is held by {\"instance\":"
CHECKS=$((CHECKS + 1)); [ "$(rc GET coordinator:lease)" = "$HOLDER" ] || fail "the lease changed hands: $(rc GET coordinator:lease)"
CHECKS=$((CHECKS + 1)); grep -q "\"pid\":$B," <<<"$HOLDER" || fail "the standby does not hold the lease: $HOLDER"
kill -TERM "$B"; wait "$B" 2>/dev/null
finish
