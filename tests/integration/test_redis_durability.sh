#!/usr/bin/env bash
# Durability with real processes: a redis-server, a coordinator with the Redis store,
# two workers, a submitter.
#   1. Redis unreachable / wrong password at start: clear error, non-zero exit.
#   2. The coordinator is SIGKILLed in the middle of a job and started again against
#      the same Redis: it reloads the job, the workers reconnect, the job completes,
#      every input file is in the output exactly once, and redis-cli shows the records.
#   3. Redis is stopped for 10 s in the middle of a job and started again: the job
#      completes, the coordinator logged the outage and the reconnect.
source "$(dirname "$0")/lib.sh"
DATA="${AL_DATA_DIR:?}"
T=$(mktemp -d)
PIDS=()
WPIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
json() { python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(eval(sys.argv[2]))" "$@"; }
RPORT=$(free_port)
PW="s3cret pw"
rcli() { redis-cli -p "$RPORT" -a "$PW" --no-auth-warning -n 1 "$@"; }
# The server must be ours: a free port can be taken by another process between
# free_port and redis-server's bind, and then something else answers on it. The first
# start moves to a fresh port when that happens; a restart must get the same port back.
redis_is_ours() { rcli INFO server 2>/dev/null | tr -d '\r' | grep -qx "process_id:$RPID"; }
start_redis() { # $1 = fresh: another port may be chosen (the configs are rewritten)
  for _ in 1 2 3 4 5; do
    redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync always \
      --dir "$T" --requirepass "$PW" > "$T/redis.log" 2>&1 & PIDS+=($!); RPID=$!
    for _ in $(seq 200); do
      redis_is_ours && return 0
      kill -0 "$RPID" 2>/dev/null || break
      sleep 0.05
    done
    kill -9 "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null
    [ "${1:-}" = fresh ] || break
    RPORT=$(free_port)
    write_config "$T/c.yaml" "$PW"; write_config "$T/bad.yaml" "wrong"
  done
  fail "redis-server did not start on port $RPORT: $(tail -2 "$T/redis.log")"
  finish
}
# field of the job record, read the way a monitoring script would
job_field() { rcli GET "e2e:job:$1" | python3 -c "import json,sys;t=sys.stdin.read().strip();print(json.loads(t).get('$2','') if t else '')"; }

CPORT=$(free_port)
while [ "$CPORT" = "$RPORT" ]; do CPORT=$(free_port); done
write_config() { # $1 file, $2 password
cat > "$1" <<Y
coordinator:
  host: 127.0.0.1
  port: $CPORT
  state_store_type: redis
  state_store_host: 127.0.0.1
  state_store_port: $RPORT
  state_store_db: 1
  state_store_password: "$2"
  state_store_key_prefix: "e2e:"
  state_store_connect_timeout: 1
  state_store_command_timeout: 2
  retention: 3600
  heartbeat_interval: 0.5
  heartbeat_timeout: 3
  retry_backoff: 0.1
  max_retry_backoff: 0.5
workers:
  - name: p
    num_processes: 1
Y
}
write_config "$T/c.yaml" "$PW"
write_config "$T/bad.yaml" "wrong"

# 1. Redis not there; then wrong password.
run "$BIN" coordinator -c "$T/c.yaml" --host 127.0.0.1 --port "$CPORT"
expect_rc 1 "no Redis"; expect_err "cannot connect to Redis at 127.0.0.1:$RPORT: Connection refused"
start_redis fresh
run "$BIN" coordinator -c "$T/bad.yaml" --host 127.0.0.1 --port "$CPORT"
expect_rc 1 "wrong password"; expect_err "Redis at 127.0.0.1:$RPORT rejected the password"

# Input: 40 documents (copies of two) that take a noticeable time each, 2 per task ->
# 20 tasks, a few seconds of work for two single-slot workers.
NDOCS=40; NTASKS=20
mkdir -p "$T/in"
python3 - "$T/in" <<'PY'
import sys, random
random.seed(11)
words = "harbour crane berth shuttle container yard quay vessel tide rope".split()
for i in range(2):
    with open(f"{sys.argv[1]}/doc{i:03d}.txt", "w") as f:
        for _ in range(9000):
            f.write(" ".join(random.choice(words) + str(random.randint(0, 99999)) for _ in range(12)) + "\n")
PY
for i in $(seq 2 $((NDOCS - 1))); do cp "$T/in/doc00$((i % 2)).txt" "$T/in/doc$(printf %03d "$i").txt"; done

NSTART=0
start_coordinator() { # each start logs to its own file; $T/coord.log is the current one
  NSTART=$((NSTART + 1))
  "$BIN" coordinator -c "$T/c.yaml" --host 127.0.0.1 --port "$CPORT" > "$T/coord$NSTART.log" 2>&1 & PIDS+=($!); CPID=$!
  ln -sf "$T/coord$NSTART.log" "$T/coord.log"
  for _ in $(seq 200); do grep -q "started successfully" "$T/coord$NSTART.log" 2>/dev/null && return 0; sleep 0.05; done
  fail "coordinator did not start: $(tail -3 "$T/coord$NSTART.log")"
  finish
}
start_coordinator
for i in 1 2; do
  "$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$CPORT" --worker-id "w$i" > "$T/w$i.log" 2>&1 & PIDS+=($!)
  WPIDS+=($!)
done

check_output() { # $1 output dir, $2 label: every input file exactly once, no temporaries
  for _ in $(seq 100); do [ -f "$1/index.json" ] && break; sleep 0.1; done
  CHECKS=$((CHECKS + 1))
  [ "$(json "$1/index.json" 'sorted(s for x in d["shards"] for s in x["sources"]) == sorted(set(s for x in d["shards"] for s in x["sources"])), len(set(s for x in d["shards"] for s in x["sources"])), d["totals"]["samples"]')" = "(True, $NDOCS, $NDOCS)" ] \
    || fail "$2: each file exactly once: $(json "$1/index.json" 'd["totals"]')"
  CHECKS=$((CHECKS + 1)); [ -z "$(find "$1" -name '*.tmp*')" ] || fail "$2: temporary files left"
}

# 2. SIGKILL the coordinator mid-job.
run "$BIN" submit-job --external --detach -c "$T/c.yaml" -i "$T/in" -o "$T/out1" -t "$DATA/pipeline/tokenizers" \
    --max-seq-len 300000 --files-per-task 2
expect_rc 0 "submit (detached)"
JOB=$(printf '%s\n' "$OUT" | sed -n 's/^Job ID: *//p' | head -1)
CHECKS=$((CHECKS + 1)); [ -n "$JOB" ] || fail "no job id in: $OUT"
CHECKS=$((CHECKS + 1)); [ "$(rcli SISMEMBER e2e:jobs:active "$JOB")" = "1" ] || fail "job not in jobs:active"
for _ in $(seq 600); do rcli GET "e2e:job:$JOB" | grep -q '"completed_tasks": [1-9]' && break; sleep 0.02; done
# the workers pause while the coordinator is killed, so the kill lands mid-job however
# loaded the machine is
kill -STOP "${WPIDS[@]}"
sleep 0.2
DONE_BEFORE=$(job_field "$JOB" completed_tasks)
CHECKS=$((CHECKS + 1)); [ "$DONE_BEFORE" -ge 1 ] && [ "$DONE_BEFORE" -lt "$NTASKS" ] || fail "kill point: $DONE_BEFORE tasks done"
kill -9 "$CPID"; wait "$CPID" 2>/dev/null
# one task the killed coordinator recorded as completed loses a shard: the restarted one
# must run it again rather than count it
LOST=""
for i in $(seq 0 $((NTASKS - 1))); do
  LOST=$(rcli GET "e2e:task:$JOB-$(printf %06d "$i")" | python3 -c 'import json,sys
t = sys.stdin.read().strip(); d = json.loads(t) if t else {}
s = d.get("result", {}).get("shards", []) if d.get("status") == "completed" else []
print(d["id"] + " " + s[0]["path"] if s else "")')
  [ -n "$LOST" ] && break
done
CHECKS=$((CHECKS + 1)); [ -n "$LOST" ] || fail "no completed task with a shard in Redis before the restart"
LOST_TASK=${LOST%% *}; LOST_SHARD="$T/out1/${LOST#* }"
CHECKS=$((CHECKS + 1)); [ -f "$LOST_SHARD" ] || fail "recorded shard $LOST_SHARD is not there"
rm -f "$LOST_SHARD"
start_coordinator
kill -CONT "${WPIDS[@]}"
CHECKS=$((CHECKS + 1)); grep -q "recovery: 1 unfinished jobs reloaded" "$T/coord.log" || fail "no recovery line: $(grep recovery "$T/coord.log")"
for _ in $(seq 600); do case "$(job_field "$JOB" status)" in completed|completed_with_errors|failed) break;; esac; sleep 0.1; done
CHECKS=$((CHECKS + 1)); [ "$(job_field "$JOB" status)" = "completed" ] || fail "job after restart: $(rcli GET "e2e:job:$JOB")"
CHECKS=$((CHECKS + 1)); [ "$(job_field "$JOB" completed_tasks)" = "$NTASKS" ] || fail "completed_tasks: $(rcli GET "e2e:job:$JOB")"
CHECKS=$((CHECKS + 1)); [ "$(job_field "$JOB" failed_tasks)" = "0" ] || fail "failed_tasks"
check_output "$T/out1" "after coordinator SIGKILL"
CHECKS=$((CHECKS + 1)); grep -q "task $LOST_TASK restored as completed, but its output does not verify.*it runs again" "$T/coord.log" \
  || fail "the task whose shard was deleted was not run again: $(grep -F "$LOST_TASK" "$T/coord.log" | tail -3)"
CHECKS=$((CHECKS + 1)); [ -f "$LOST_SHARD" ] || fail "the deleted shard $LOST_SHARD was not written again"
CHECKS=$((CHECKS + 1))
[ "$(json "$T/out1/index.json" 'all(__import__("os").path.isfile(sys.argv[1].rsplit("/", 1)[0] + "/" + x["path"]) for x in d["shards"])')" = "True" ] \
  || fail "index.json lists a shard that is not there"
# recovery restores tasks through the job manager's restore call: no placeholder worker
# joins (log, task records, worker list below)
CHECKS=$((CHECKS + 1)); ! grep -qF "(recovery)" "$T"/coord*.log || fail "a (recovery) worker appeared: $(grep -F "(recovery)" "$T"/coord*.log | head -2)"
CHECKS=$((CHECKS + 1))
for i in $(seq 0 $((NTASKS - 1))); do rcli GET "e2e:task:$JOB-$(printf %06d "$i")"; done | grep -qF "(recovery)" \
  && fail "a task record names the (recovery) worker"
# the admin commands work against the restarted, Redis-backed coordinator
run "$BIN" job-status --coordinator "127.0.0.1:$CPORT" --job-id "$JOB"
expect_rc 0 "job-status"; expect_out "completed"; expect_out "$JOB"
run "$BIN" status --coordinator "127.0.0.1:$CPORT"
expect_rc 0 "status"; expect_out "w1"; expect_out "w2"
CHECKS=$((CHECKS + 1)); case "$OUT" in *"(recovery)"*) fail "status lists a (recovery) worker";; esac
CHECKS=$((CHECKS + 1)); rcli GET "e2e:task:$JOB-000019" | grep -q '"status": "completed"' || fail "task record"
CHECKS=$((CHECKS + 1)); [ -z "$(rcli SMEMBERS e2e:jobs:active)" ] || fail "jobs:active not empty"
TTL=$(rcli TTL "e2e:job:$JOB"); CHECKS=$((CHECKS + 1)); [ "$TTL" -gt 3000 ] || fail "retention TTL $TTL"
TTL=$(rcli TTL "e2e:task:$JOB-000000"); CHECKS=$((CHECKS + 1)); [ "$TTL" -gt 3000 ] || fail "task retention TTL $TTL"
CHECKS=$((CHECKS + 1)); [ "$(rcli TTL e2e:heartbeat:w1)" -gt 0 ] || fail "heartbeat TTL"

# 3. Redis down for 10 s mid-job (clean shutdown: the append-only file keeps its data).
"$BIN" submit-job --external -c "$T/c.yaml" -i "$T/in" -o "$T/out2" -t "$DATA/pipeline/tokenizers" \
    --max-seq-len 300000 --files-per-task 2 > "$T/submit2.log" 2>&1 & PIDS+=($!); SUB=$!
for _ in $(seq 300); do [ -n "$(ls "$T/out2" 2>/dev/null)" ] && break; sleep 0.05; done
sleep 0.3
rcli SHUTDOWN > /dev/null 2>&1; wait "$RPID" 2>/dev/null
sleep 10
start_redis
wait "$SUB"; RC=$?
CHECKS=$((CHECKS + 1)); [ "$RC" -eq 0 ] || fail "job across the Redis outage: exit $RC: $(tail -5 "$T/submit2.log")"
CHECKS=$((CHECKS + 1)); grep -q "Tasks:    $NTASKS/$NTASKS" "$T/submit2.log" || fail "all tasks: $(tail -8 "$T/submit2.log")"
check_output "$T/out2" "after the Redis outage"
CHECKS=$((CHECKS + 1)); grep -q "lost Redis at 127.0.0.1:$RPORT" "$T/coord.log" || fail "outage not logged"
for _ in $(seq 100); do grep -q "reconnected to Redis at 127.0.0.1:$RPORT" "$T/coord.log" && break; sleep 0.05; done
CHECKS=$((CHECKS + 1)); grep -q "reconnected to Redis at 127.0.0.1:$RPORT" "$T/coord.log" || fail "reconnect not logged"
JOB2=$(sed -n 's/^Job ID: *//p' "$T/submit2.log" | head -1)
for _ in $(seq 50); do [ "$(job_field "$JOB2" status)" = "completed" ] && break; sleep 0.1; done
CHECKS=$((CHECKS + 1)); [ "$(job_field "$JOB2" status)" = "completed" ] || fail "job record in Redis after the outage: $(rcli GET "e2e:job:$JOB2")"

kill -TERM "$CPID"; wait "$CPID"; RC=$?
CHECKS=$((CHECKS + 1)); [ "$RC" -eq 0 ] || fail "coordinator exit $RC after SIGTERM"
CHECKS=$((CHECKS + 1)); grep -q "Coordinator stopped" "$T/coord.log" || fail "no clean stop"

# 4. SIGTERM while Redis is down: the stop waits for the store (nothing acknowledged is
#    dropped); a second signal gives up on it and the process exits, saying so.
start_coordinator
rcli SHUTDOWN > /dev/null 2>&1; wait "$RPID" 2>/dev/null
for _ in $(seq 100); do grep -q "lost Redis" "$T/coord.log" && break; sleep 0.05; done
kill -TERM "$CPID"; sleep 1
CHECKS=$((CHECKS + 1)); kill -0 "$CPID" 2>/dev/null || fail "the stop did not wait for the state store"
kill -TERM "$CPID"
for _ in $(seq 100); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.05; done
CHECKS=$((CHECKS + 1)); kill -0 "$CPID" 2>/dev/null && fail "a second SIGTERM did not end the coordinator"
wait "$CPID" 2>/dev/null
CHECKS=$((CHECKS + 1)); grep -q "not confirmed by Redis" "$T/coord.log" || fail "unconfirmed writes not reported: $(tail -3 "$T/coord.log")"
finish
