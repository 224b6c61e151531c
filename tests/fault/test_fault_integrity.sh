#!/usr/bin/env bash
# Output integrity under faults, with real processes (coordinator, workers, submit-job
# over loopback TCP) and real files. Every scenario checks the final status and exit
# code, then tests/fault/check_output.py checks the output directory: every usable
# input exactly once in shards that exist and verify, every shard on disk listed in
# index.json, no staging directory, no temporary file.
#
#   FAULT_TRIALS=N  SIGSTOP/SIGCONT trials (default 3; the full series uses 20)
#   FAULT_CHAOS=N   trials of each combined scenario (1b, 6b; default 1)
source "$(dirname "$0")/../integration/lib.sh"
ERR=""
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="${AL_DATA_DIR:?}"
TOK="$DATA/pipeline/tokenizers"
TRIALS="${FAULT_TRIALS:-3}"
CHAOS="${FAULT_CHAOS:-1}"
T=$(mktemp -d)
PIDS=()
MNT=""
cleanup() {
  for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
  [ -n "$MNT" ] && umount "$MNT" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
rnd() { python3 -c "import random; print(round(random.uniform($1, $2), 3))"; }
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq "${3:-200}"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
check() { # what OUT STATUS [checker options...]; with the job's record when OUT.submit names it
  local what="$1"; shift
  CHECKS=$((CHECKS + 1))
  local msg job rec=()
  job=$(sed -n 's/^Job ID: *//p' "$1.submit" 2>/dev/null | head -1)
  if [ -n "$job" ]; then # a refused run names no job: the previous output is checked alone
    if "$BIN" job-status --coordinator "127.0.0.1:$PORT" --job-id "$job" --json > "$1.record" 2>/dev/null; then
      rec=(--record "$1.record")
    else
      fail "$what: job-status $job: $(head -c 300 "$1.record")"
    fi
  fi
  msg=$(python3 "$HERE/check_output.py" "$@" "${rec[@]}" 2>&1) || fail "$what: $msg"
}

# Input: 1,200 text files that tokenize to a few thousand ids each, plus unusable ones.
mkdir -p "$T/in/sub"
python3 - "$T/in" <<'PY'
import os, random, sys
random.seed(7)
w = "the of and to in is was for on that with as by at from river city data model train".split()
for i in range(1200):
    d = sys.argv[1] + ("/sub" if i % 3 == 0 else "")
    with open(f"{d}/doc{i:05d}.txt", "w") as f:
        f.write(" ".join(random.choice(w) + str(random.randint(0, 999)) for _ in range(random.randint(2000, 6000))))
open(sys.argv[1] + "/empty.txt", "w").close()
open(sys.argv[1] + "/blank.md", "w").write("   \n\t\n")
open(sys.argv[1] + "/photo.bin", "wb").write(bytes(range(256)) * 4)
PY
find "$T/in" -name 'doc*.txt' -exec realpath {} \; | sort > "$T/usable"
printf '%s\n' "$(realpath "$T/in/empty.txt")" "$(realpath "$T/in/blank.md")" "$(realpath "$T/in/photo.bin")" > "$T/unusable"

PORT=$(free_port)
cat > "$T/c.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $PORT
  state_store_type: memory
  heartbeat_interval: 0.2
  heartbeat_timeout: 1
  retry_backoff: 0.05
  max_retry_backoff: 0.2
  max_retries: 5
workers:
  - name: p
    num_processes: 1
job:
  files_per_task: 20
  max_seq_len: 8192
  shard_size: 7
Y
NCOORD=0
start_coord() { # each start logs to its own file; coord.log is the current one
  NCOORD=$((NCOORD + 1))
  [ -f "$T/coord.log" ] && cat "$T/coord.log" >> "$T/coord.all.log"
  "$BIN" coordinator -c "$T/c.yaml" --host 127.0.0.1 --port "$PORT" > "$T/coord.log" 2>&1 & CPID=$!; PIDS+=($CPID)
  wait_for "$T/coord.log" "started successfully" || fail "coordinator did not start: $(tail -3 "$T/coord.log")"
}
start_worker() { # ID
  "$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$PORT" --worker-id "$1" >> "$T/$1.log" 2>&1 & LASTW=$!
  PIDS+=($LASTW)
  wait_for "$T/$1.log" "connected to coordinator" || fail "worker $1 did not connect"
}
# A job that never ends, or a coordinator that does not stop, fails the scenario with the
# logs that say why, instead of hanging until ctest's timeout kills the script silently.
submit() { # OUT [extra flags]: attached external submit; sets RC
  local out="$1"; shift
  timeout 300 "$BIN" submit-job --external -c "$T/c.yaml" --coordinator "127.0.0.1:$PORT" -i "$T/in" -o "$T/$out" \
    -t "$TOK" "$@" > "$T/$out.submit" 2>&1
  RC=$?
  [ "$RC" = 124 ] && fail "$out: submit-job still attached after 300 s: $(tail -3 "$T/$out.submit" | tr '\n' ' ') | coordinator: $(tail -12 "$T/coord.log" | tr '\n' ' ')"
  return "$RC" # also the exit status of `submit ... &` for `wait`
}
stop_coord() { # SIGNAL: signals the coordinator and waits at most 60 s for it to exit
  kill -"$1" "$CPID" 2>/dev/null
  for _ in $(seq 600); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$CPID" 2>/dev/null; then
    fail "coordinator still running 60 s after SIG$1: $(tail -12 "$T/coord.log" | tr '\n' ' ')"
    kill -9 "$CPID"
  fi
  wait "$CPID" 2>/dev/null
}

start_coord
start_worker wa; WA=$LASTW
start_worker wb; WB=$LASTW

# 1. A worker paused past heartbeat_timeout, then resumed, at varied moments. Its stale
#    attempts must neither be accepted nor destroy the retries' published shards.
for trial in $(seq "$TRIALS"); do
  out="stop$trial"
  submit "$out" & SUB=$!
  sleep "$(rnd 0.05 0.6)"
  victim=$WA; [ $((trial % 2)) -eq 0 ] && victim=$WB
  kill -STOP "$victim"
  sleep "$(rnd 1.3 2.5)"
  kill -CONT "$victim"
  wait "$SUB"; RC=$?
  CHECKS=$((CHECKS + 1)); [ "$RC" -eq 0 ] || fail "trial $trial: submit-job exit $RC: $(tail -3 "$T/$out.submit")"
  sleep 2.5 # the resumed worker finishes its stale attempt; its result is refused, its staging removed
  check "stop/cont trial $trial" "$T/$out" completed --usable "$T/usable" --unusable "$T/unusable"
done

# 1b. Faults combined at random moments: one worker killed (SIGKILL) and restarted while
#     the other is paused for 0.3-4 s, so for a while no worker runs at all.
for trial in $(seq "$CHAOS"); do
  out="chaos$trial"
  submit "$out" & SUB=$!
  sleep "$(rnd 0.05 1.5)"
  kill -9 "$WA" 2>/dev/null; wait "$WA" 2>/dev/null
  sleep "$(rnd 0 0.5)"
  kill -STOP "$WB"
  sleep "$(rnd 0.3 4)"
  start_worker wa; WA=$LASTW
  sleep "$(rnd 0 2)"
  kill -CONT "$WB"
  wait "$SUB"; RC=$?
  CHECKS=$((CHECKS + 1)); [ "$RC" -eq 0 ] || fail "chaos trial $trial: submit-job exit $RC: $(tail -3 "$T/$out.submit")"
  sleep 2.5
  check "chaos trial $trial" "$T/$out" completed --usable "$T/usable" --unusable "$T/unusable"
done

# 2. A second run into the same directory is refused; --overwrite replaces it; --resume
#    reuses what verifies and runs what is missing.
submit stop1
expect_rc 1 "second run into a non-empty output directory"
CHECKS=$((CHECKS + 1)); grep -q "is not empty" "$T/stop1.submit" || fail "refusal does not say why: $(tail -2 "$T/stop1.submit")"
check "after a refused rerun" "$T/stop1" completed --usable "$T/usable" --unusable "$T/unusable"
submit stop1 --overwrite
expect_rc 0 "--overwrite"
check "--overwrite" "$T/stop1" completed --usable "$T/usable" --unusable "$T/unusable"
rm -rf "$(find "$T/stop1" -maxdepth 1 -name 'task_*' | sort | sed -n 3p)"
victim_shard=$(find "$T/stop1" -name '*.safetensors' | sort | sed -n 10p)
printf 'garbage' >> "$victim_shard" # wrong size: its task must run again
submit stop1 --resume
expect_rc 0 "--resume"
CHECKS=$((CHECKS + 1)); grep -qE "reused (58|59|60) of 61 tasks" "$T/coord.log" || fail "--resume reused: $(grep reused "$T/coord.log" | tail -1)"
check "--resume" "$T/stop1" completed --usable "$T/usable" --unusable "$T/unusable"

# 3. Job timeout and cancel: every shard on disk is listed, nothing else is left.
# the workers pause once the job runs, so it times out however fast this machine is
submit tmo --timeout 1.5 & SUB=$!
for _ in $(seq 400); do [ -n "$(ls -A "$T/tmo/.staging" 2>/dev/null)" ] && break; sleep 0.01; done
kill -STOP "$WA" "$WB"
wait "$SUB"; RC=$?
kill -CONT "$WA" "$WB"
expect_rc 6 "job timeout"
sleep 2
check "timeout" "$T/tmo" timeout --usable "$T/usable" --partial
submit can --detach --files-per-task 1 # 1,203 tasks: long enough to be cancelled midway
JOB=$(sed -n 's/^Job ID: *//p' "$T/can.submit")
sleep 0.2
"$(dirname "$BIN")/alctl" --coordinator "127.0.0.1:$PORT" cancel "$JOB" > "$T/cancel.out" 2>&1
CHECKS=$((CHECKS + 1)); [ $? -eq 0 ] || fail "alctl cancel: $(cat "$T/cancel.out")"
for _ in $(seq 100); do [ -f "$T/can/index.json" ] && break; sleep 0.05; done
sleep 1
check "cancel" "$T/can" cancelled --usable "$T/usable" --partial

# 4. A coordinator stopped with SIGTERM (a planned restart) does not end its workers:
#    they reconnect with backoff and the next job runs on them.
stop_coord TERM
sleep 0.5
CHECKS=$((CHECKS + 1)); kill -0 "$WA" 2>/dev/null && kill -0 "$WB" 2>/dev/null || fail "a worker exited when the coordinator stopped"
start_coord
wait_for "$T/coord.log" "worker wa heartbeat registered\|worker wa heartbeat resumed" 200 || fail "wa did not come back"
wait_for "$T/coord.log" "worker wb heartbeat registered\|worker wb heartbeat resumed" 200 || fail "wb did not come back"
submit after_restart
expect_rc 0 "job after a coordinator restart"
check "after restart" "$T/after_restart" completed --usable "$T/usable" --unusable "$T/unusable"

# 6. With Redis: the coordinator killed (SIGKILL) or stopped (SIGTERM) and restarted while
#    an attached submit-job follows the job; Redis killed and then the coordinator killed
#    during the outage. The submitter reconnects and its exit code
#    is the job's final status; workers ride through; job-status answers for the
#    finished job after another restart (from job:<id> in Redis).
if command -v redis-server > /dev/null; then
  RPORT=$(free_port)
  start_redis() {
    redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync always --dir "$T" \
      >> "$T/redis.log" 2>&1 & RPID=$!; PIDS+=($RPID)
    for _ in $(seq 100); do redis-cli -p "$RPORT" PING 2>/dev/null | grep -q PONG && break; sleep 0.05; done
  }
  start_redis
  stop_coord TERM
  sed -i "s/state_store_type: memory/state_store_type: redis\n  state_store_host: 127.0.0.1\n  state_store_port: $RPORT\n  retention: 3600/" "$T/c.yaml"
  start_coord
  wait_for "$T/coord.log" "worker wb heartbeat registered\|worker wb heartbeat resumed" 300 || fail "workers did not join the Redis-backed coordinator"
  for sig in KILL TERM; do
    out="restart_$sig"
    submit "$out" --files-per-task 4 & SUB=$!
    wait_for "$T/$out.submit" "submitted:" 600 || fail "$sig: the job was not submitted: $(tail -2 "$T/$out.submit")"
    sleep 0.3
    # the workers pause across the restart, so the job is still running however fast
    # this machine is, and the submitter must reconnect to follow it
    kill -STOP "$WA" "$WB"
    stop_coord "$sig"
    sleep 0.5
    start_coord
    kill -CONT "$WA" "$WB"
    wait "$SUB"; RC=$?
    CHECKS=$((CHECKS + 1)); [ "$RC" -eq 0 ] || fail "submit-job across a coordinator $sig: exit $RC: $(tail -3 "$T/$out.submit")"
    CHECKS=$((CHECKS + 1)); grep -q "reconnected to the coordinator" "$T/$out.submit" || fail "$sig: the submitter did not reconnect"
    check "coordinator $sig mid-job" "$T/$out" completed --usable "$T/usable" --unusable "$T/unusable"
  done
  # 6b. The coordinator killed twice in one job at random moments while the workers run
  #     (commits and results in flight), a worker killed and restarted with the first.
  for trial in $(seq "$CHAOS"); do
    out="kill2_$trial"
    submit "$out" --files-per-task 4 & SUB=$!
    wait_for "$T/$out.submit" "submitted:" 600 || fail "kill2 $trial: the job was not submitted: $(tail -2 "$T/$out.submit")"
    for k in 1 2; do
      sleep "$(rnd 0.05 1.2)"
      stop_coord KILL
      [ "$k" = 1 ] && { kill -9 "$WA" 2>/dev/null; wait "$WA" 2>/dev/null; }
      sleep "$(rnd 0 0.8)"
      start_coord
      [ "$k" = 1 ] && { start_worker wa; WA=$LASTW; }
    done
    wait "$SUB"; RC=$?
    CHECKS=$((CHECKS + 1)); [ "$RC" -eq 0 ] || fail "coordinator killed twice, trial $trial: submit-job exit $RC: $(tail -3 "$T/$out.submit")"
    sleep 2
    check "coordinator killed twice, trial $trial" "$T/$out" completed --usable "$T/usable" --unusable "$T/unusable"
  done
  # Redis killed mid-job (its append-only file keeps what it acknowledged), then the
  # coordinator killed during the outage: whatever the coordinator had done in memory
  # (commits, even the job's end) was never reported final, so the restarted pair runs
  # what Redis does not hold as done, and the job completes with every input once.
  out="outage_kill"
  submit "$out" --files-per-task 4 & SUB=$!
  # after the submission (a submitter cut off while it still submits fails: exit 1)
  wait_for "$T/$out.submit" "submitted:" 600 || fail "outage+kill: the job was not submitted: $(tail -2 "$T/$out.submit")"
  for _ in $(seq 600); do [ "$(find "$T/$out" -maxdepth 1 -name 'task_*' 2>/dev/null | wc -l)" -ge 5 ] && break; sleep 0.02; done
  kill -9 "$RPID"; wait "$RPID" 2>/dev/null
  sleep "$(rnd 0.5 2.0)"
  stop_coord KILL
  start_redis
  start_coord
  wait "$SUB"; RC=$?
  CHECKS=$((CHECKS + 1)); [ "$RC" -eq 0 ] || fail "submit-job across a Redis outage and a coordinator SIGKILL: exit $RC: $(tail -3 "$T/$out.submit")"
  CHECKS=$((CHECKS + 1)); grep -q "recovery: 1 unfinished jobs reloaded" "$T/coord.log" || fail "outage+kill: the job was not reloaded: $(grep recovery "$T/coord.log")"
  check "Redis outage then coordinator SIGKILL" "$T/$out" completed --usable "$T/usable" --unusable "$T/unusable"
  JOB=$(sed -n 's/^Job ID: *//p' "$T/restart_TERM.submit" | head -1)
  stop_coord TERM
  start_coord
  run "$BIN" job-status --coordinator "127.0.0.1:$PORT" --job-id "$JOB"
  expect_rc 0 "job-status of a job finished before the restart"; expect_out "completed"
  # alctl jobs lists the jobs finished before the restart too, from the store
  run "$(dirname "$BIN")/alctl" --coordinator "127.0.0.1:$PORT" --json jobs
  expect_rc 0 "alctl jobs after a restart"
  CHECKS=$((CHECKS + 1))
  got=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(sorted(j["status"] for j in d if j["id"] == sys.argv[1])))' "$JOB" <<<"$OUT")
  [ "$got" = "completed" ] || fail "alctl jobs after a restart: job $JOB listed as '$got': $(head -c 400 <<<"$OUT")"
  CHECKS=$((CHECKS + 1))
  n=$(python3 -c 'import json,sys; print(sum(1 for j in json.load(sys.stdin) if j["status"] == "completed"))' <<<"$OUT")
  [ "$n" -ge 3 ] || fail "alctl jobs after a restart: $n completed jobs listed, expected the 3 Redis-backed ones"
else
  echo "SKIP Redis restart scenarios: redis-server not installed"
fi

# 5. The disk fills: at a shard, or at the manifest. Whatever the size, the job either
#    completes with everything listed, or fails with nothing unlisted left behind. Needs
#    root for a small tmpfs (CI runs as root).
if [ "$(id -u)" -eq 0 ] && mkdir -p "$T/mnt" && mount -t tmpfs -o size=64k tmpfs "$T/mnt" 2>/dev/null; then
  MNT="$T/mnt"; umount "$MNT"
  mkdir -p "$T/small"
  find "$T/in" -name 'doc*.txt' | sort | head -40 | xargs -I{} cp {} "$T/small/"
  run_small() { # tmpfs size in KiB; sets RC
    mount -t tmpfs -o size=${1}k tmpfs "$MNT"
    "$BIN" submit-job --external -c "$T/c.yaml" --coordinator "127.0.0.1:$PORT" -i "$T/small" -o "$MNT/o" -t "$TOK" \
      --files-per-task 4 > "$T/full.submit" 2>&1
    RC=$?
  }
  # what the shards take, so that the sizes below straddle "shards fit, manifest does not"
  run_small 65536
  used=$(df -k --output=used "$MNT" | tail -1)
  man=$(( ($(stat -c %s "$MNT/o/index.json") + 4095) / 4096 * 4 ))
  umount "$MNT"
  manifest_failures=0; shard_failures=0; completed=0
  for kb in 400 1600 $((used / 2)) $((used - man - 8)) $((used - man - 4)) $((used - man)) $((used - 4)) $((used)) $((used + 8)) $((used * 2)); do
    run_small "$kb"
    st=$(python3 -c "import json,sys; print(json.load(open('$MNT/o/index.json'))['status'])" 2>/dev/null || echo none)
    if [ "$RC" -eq 0 ]; then
      completed=$((completed + 1))
      check "disk ${kb}k completed" "$MNT/o" completed
    else
      CHECKS=$((CHECKS + 1))
      n=$(find "$MNT/o" -name '*.safetensors' 2>/dev/null | wc -l)
      if [ "$st" = none ]; then
        manifest_failures=$((manifest_failures + 1))
        grep -q "cannot write the job manifest" "$T/full.submit" || fail "disk ${kb}k: no manifest and no reason given: $(tail -2 "$T/full.submit")"
        [ "$n" -eq 0 ] || fail "disk ${kb}k: no manifest but $n shards left"
      else
        shard_failures=$((shard_failures + 1))
        python3 "$HERE/check_output.py" "$MNT/o" "$st" > "$T/chk" 2>&1 || fail "disk ${kb}k ($st): $(cat "$T/chk")"
      fi
    fi
    umount "$MNT"
  done
  echo "disk full: $completed completed, $shard_failures failed at a shard, $manifest_failures failed at the manifest"
  CHECKS=$((CHECKS + 1)); [ "$completed" -ge 1 ] || fail "no disk size let the job complete"
  CHECKS=$((CHECKS + 1)); [ "$shard_failures" -ge 1 ] || fail "no disk size made a shard write fail"
  CHECKS=$((CHECKS + 1)); [ "$manifest_failures" -ge 1 ] || fail "no disk size made the manifest write fail"
else
  echo "SKIP disk-full scenario: needs root to mount a tmpfs"
fi
finish
