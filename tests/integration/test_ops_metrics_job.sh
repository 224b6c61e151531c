#!/usr/bin/env bash
# The fleet's Prometheus figures during real jobs (coordinator, worker, real Redis):
#  - a worker's own /metrics (--metrics-port): connection state, slots, busy threads,
#    counters that start at 0, move with each job and end equal to the manifests'
#    totals and to what the coordinator and `status` report for it; /healthz answers
#    503 once the coordinator is gone;
#  - the coordinator's /metrics: scraped over and over while a job runs, the counters
#    never go back and end at the sum of both jobs' manifests; store (Redis) latency
#    histogram, backlog and connection, connections by role, network bytes, failed
#    attempts by reason, per-job input bytes/tokens/elapsed;
#  - job-status' MB/s and ids/s are the job's bytes and tokens over its elapsed time;
#  - refused --metrics-port/--metrics-host values exit 1 or 2 naming the address.
source "$(dirname "$0")/lib.sh"
DATA="${AL_DATA_DIR:?}"
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
command -v redis-server >/dev/null || { echo "SKIP: no redis-server"; exit 0; }
# N distinct free ports: all sockets stay bound until every port is chosen, so two of
# them can never be the same port.
free_ports() { python3 -c 'import socket,sys
ss=[socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1",0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"; }
wait_for() { # FILE PATTERN [TRIES]
  for _ in $(seq "${3:-100}"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
check() { CHECKS=$((CHECKS + 1)); eval "$1" || fail "$2"; }
http() { # PORT PATH: the response, without CRs (a server that never closes: 10 s, then what came)
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf "GET $2 HTTP/1.1\r\nHost: x\r\n\r\n" >&3
  timeout 10 tr -d '\r' <&3
  exec 3<&-
}
scrape() { http "$1" /metrics > "$2"; }                 # PORT FILE
m() { awk -v k="$2" '$1 == k {print $NF}' "$1"; }        # FILE METRIC: its value
jsonv() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
totals() { python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['totals']; print(t['$2'])" "$3"; }

read -r RPORT CPORT MPORT WPORT <<<"$(free_ports 4)"
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no > "$T/redis.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do redis-cli -p "$RPORT" PING 2>/dev/null | grep -q PONG && break; sleep 0.05; done
cat > "$T/c.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $CPORT
  state_store_type: redis
  state_store_host: 127.0.0.1
  state_store_port: $RPORT
  heartbeat_interval: 0.2
  heartbeat_timeout: 5
Y
"$BIN" coordinator -c "$T/c.yaml" --metrics-port "$MPORT" > "$T/coord.out" 2> "$T/coord.log" & CPID=$!; PIDS+=($CPID)
# nothing below means anything without a coordinator: stop here with its log
wait_for "$T/coord.out" "started successfully" 400 || { fail "coordinator did not start: $(cat "$T/coord.log")"; finish; }

# 1. Bad metrics flags of the worker.
run "$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$CPORT" --worker-id bad --metrics-port 0
expect_rc 2 "--metrics-port 0"; expect_err "metrics-port"
run "$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$CPORT" --worker-id bad --metrics-port "$MPORT"
expect_rc 1 "metrics port in use"; expect_err "cannot listen on 127.0.0.1:$MPORT"
run "$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$CPORT" --worker-id bad --metrics-port "$WPORT" --metrics-host nohost
expect_rc 1 "bad metrics host"; expect_err "'nohost' is not an IP address"

# 2. A worker with its own endpoint, before any task.
"$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$CPORT" --worker-id wk1 --threads 2 --metrics-port "$WPORT" \
  > "$T/w.log" 2>&1 & W=$!; PIDS+=($W)
wait_for "$T/w.log" "connected to coordinator" 400 || fail "worker did not connect: $(cat "$T/w.log")"
scrape "$WPORT" "$T/w0"
check '[ "$(m "$T/w0" "auralith_worker_connection_state{state=\"connected\"}")" = 1 ]' "worker not connected in its metrics"
check '[ "$(m "$T/w0" "auralith_worker_connection_state{state=\"connecting\"}")" = 0 ]' "two connection states"
check '[ "$(m "$T/w0" "auralith_worker_slots{worker_id=\"wk1\"}")" = 2 ]' "slots != 2"
check '[ "$(m "$T/w0" "auralith_worker_pool_threads_busy{worker_id=\"wk1\"}")" = 0 ]' "busy threads before any task"
check '[ "$(m "$T/w0" "auralith_worker_tasks_completed_total{worker_id=\"wk1\"}")" = 0 ]' "completed before any task"
check '[ "$(m "$T/w0" process_resident_memory_bytes)" -gt 1000000 ]' "no RSS"
check '[ "$(m "$T/w0" auralith_network_sent_bytes_total)" -gt 0 ]' "no bytes sent (hello, heartbeats)"
check 'grep -q "^# TYPE auralith_worker_input_bytes_total counter" "$T/w0"' "no TYPE line"
run http "$WPORT" /healthz; expect_out "200 OK"

# 3. Job A; both endpoints end equal to its manifest.
submit() { # NAME INPUT FILES_PER_TASK: detached submit, sets JOB
  run "$BIN" submit-job --external -c "$T/c.yaml" -i "$2" -o "$T/$1" -t "$DATA/pipeline/tokenizers" \
    --files-per-task "$3" --max-seq-len 64 --detach
  expect_rc 0 "submit $1"; JOB=$(sed -n 's/^Job ID: //p' <<<"$OUT")
}
wait_job() { # JOB: until final, at most 120 s
  local end=$((SECONDS + 120))
  while [ "$SECONDS" -lt "$end" ]; do
    run "$BIN" job-status --coordinator "127.0.0.1:$CPORT" --job-id "$1"
    case "$OUT" in *"Status: completed"*) return 0;; esac; sleep 0.05
  done; return 1
}
submit a "$DATA/pipeline/raw" 2; JA=$JOB
wait_job "$JA" || fail "job A did not complete: $OUT"
for _ in $(seq 100); do [ -f "$T/a/index.json" ] && break; sleep 0.05; done
TASKS_A=$("$BIN" job-status --coordinator "127.0.0.1:$CPORT" --job-id "$JA" --json | jsonv 'd["total_tasks"]')
scrape "$WPORT" "$T/w1"; scrape "$MPORT" "$T/c1"
check '[ "$(m "$T/w1" "auralith_worker_tasks_completed_total{worker_id=\"wk1\"}")" = "$TASKS_A" ]' "worker completed != $TASKS_A"
check '[ "$(m "$T/w1" "auralith_worker_samples_total{worker_id=\"wk1\"}")" = "$(totals x samples "$T/a/index.json")" ]' "worker samples != manifest"
check '[ "$(m "$T/w1" "auralith_worker_tokens_total{worker_id=\"wk1\"}")" = "$(totals x tokens "$T/a/index.json")" ]' "worker tokens != manifest"
WBYTES=$(m "$T/w1" "auralith_worker_input_bytes_total{worker_id=\"wk1\"}")
INBYTES=$(find "$DATA/pipeline/raw" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
check '[ "$WBYTES" -gt 0 ] && [ "$WBYTES" -le "$INBYTES" ]' "worker input bytes $WBYTES not in (0, $INBYTES]"
check '[ "$(m "$T/c1" auralith_input_bytes_total)" = "$WBYTES" ]' "coordinator input bytes != worker's ($WBYTES)"
check '[ "$(m "$T/c1" auralith_tokens_total)" = "$(totals x tokens "$T/a/index.json")" ]' "coordinator tokens != manifest"
run "$BIN" job-status --coordinator "127.0.0.1:$CPORT" --job-id "$JA" --json
GOT=$(jsonv "d[\"bytes\"], d[\"tokens\"]" <<<"$OUT"); check '[ "$GOT" = "$WBYTES $(totals x tokens "$T/a/index.json")" ]' "job-status bytes/tokens $GOT != metrics ($WBYTES)"
check '[ "$(jsonv "abs(d[\"mb_per_s\"] * d[\"elapsed_s\"] * 1e6 - d[\"bytes\"]) < 1 and abs(d[\"ids_per_s\"] * d[\"elapsed_s\"] - d[\"tokens\"]) < 1 and d[\"mb_per_s\"] > 0" <<<"$OUT")" = True ]' "job-status rates are not bytes/tokens over elapsed: $OUT"
# status shows the worker's RSS and bytes from its heartbeats, the figures of its /metrics
for _ in $(seq 100); do
  run "$BIN" status --coordinator "127.0.0.1:$CPORT" --json
  [ "$(jsonv 'd["workers"][0]["bytes_processed"]' <<<"$OUT")" = "$WBYTES" ] && break; sleep 0.05
done
GOT=$(jsonv 'd["workers"][0]["bytes_processed"], d["workers"][0]["rss_bytes"] > 1000000' <<<"$OUT")
check '[ "$GOT" = "$WBYTES True" ]' "status: worker bytes, RSS > 1 MB: $GOT"

# 4. Coordinator figures beyond the job counters.
check '[ "$(m "$T/c1" "auralith_store_info{type=\"redis\"}")" = 1 ] && [ "$(m "$T/c1" auralith_store_up)" = 1 ]' "store not redis/up"
N=$(m "$T/c1" auralith_store_commands_total)
check '[ "$N" -gt 10 ]' "few store commands: $N"
check '[ "$(m "$T/c1" "auralith_store_command_duration_seconds_bucket{le=\"+Inf\"}")" = "$N" ] && [ "$(m "$T/c1" auralith_store_command_duration_seconds_count)" = "$N" ]' "histogram count != commands"
check 'awk "/^auralith_store_command_duration_seconds_bucket/ {if (\$NF < p) bad = 1; p = \$NF} END {exit bad}" "$T/c1"' "histogram buckets not cumulative"
check 'awk "\$1 == \"auralith_store_command_duration_seconds_sum\" {exit !(\$2 > 0)}" "$T/c1"' "latency sum 0"
check '[ -n "$(m "$T/c1" auralith_store_pending_commands)" ]' "no store backlog gauge"
check '[ "$(m "$T/c1" "auralith_connections{role=\"worker\"}")" = 1 ]' "worker connections != 1"
check '[ "$(m "$T/c1" auralith_network_received_bytes_total)" -gt "$WBYTES" ] || [ "$(m "$T/c1" auralith_network_received_bytes_total)" -gt 1000 ]' "no bytes received"
check '[ "$(m "$T/c1" auralith_network_sent_bytes_total)" -gt 1000 ]' "no bytes sent"
check '[ "$(m "$T/c1" "auralith_task_attempts_failed_total{reason=\"other\"}")" = 0 ]' "failed attempts in a clean job"
check '[ "$(m "$T/c1" process_open_fds)" -gt 3 ]' "no fd count"

# 5. Job B (eight copies of the input, one file per task: long enough to be seen
#    running), scraped while it runs: counters never go back, per-job figures appear,
#    and the totals end at A + B.
for i in 1 2 3 4 5 6 7 8; do mkdir -p "$T/raw8/$i"; cp -r "$DATA/pipeline/raw/." "$T/raw8/$i/"; done
submit b "$T/raw8" 1; JB=$JOB
: > "$T/series"
scrape_end=$((SECONDS + 120)) # a slow (sanitizer) build scrapes for two minutes at most
for i in $(seq 2000); do
  [ "$SECONDS" -lt "$scrape_end" ] || break
  scrape "$MPORT" "$T/cs"; scrape "$WPORT" "$T/ws"
  echo "$(m "$T/cs" auralith_tasks_completed_total) $(m "$T/cs" auralith_tokens_total) $(m "$T/ws" "auralith_worker_tasks_completed_total{worker_id=\"wk1\"}") $(m "$T/cs" "auralith_job_input_bytes_total{job_id=\"$JB\"}")" >> "$T/series"
  [ "$(m "$T/cs" "auralith_jobs{status=\"completed\"}")" = 2 ] && break
  sleep 0.01
done
check '[ "$(wc -l < "$T/series")" -ge 2 ]' "fewer than two scrapes during job B"
check 'awk "{for (k = 1; k <= 3; k++) {if (\$k < p[k]) bad = 1; p[k] = \$k}} END {exit bad}" "$T/series"' "a counter went back: $(cat "$T/series")"
check 'grep -q " [0-9][0-9]*\$" "$T/series" || [ "$(wc -l < "$T/series")" -lt 3 ]' "no per-job input bytes while job B ran: $(cat "$T/series")"
wait_job "$JB" || fail "job B did not complete: $OUT"
for _ in $(seq 100); do [ -f "$T/b/index.json" ] && break; sleep 0.05; done
scrape "$MPORT" "$T/c2"; scrape "$WPORT" "$T/w2"
S=$(( $(totals x samples "$T/a/index.json") + $(totals x samples "$T/b/index.json") ))
K=$(( $(totals x tokens "$T/a/index.json") + $(totals x tokens "$T/b/index.json") ))
check '[ "$(m "$T/c2" auralith_samples_total)" = "$S" ] && [ "$(m "$T/c2" auralith_tokens_total)" = "$K" ]' "coordinator totals != manifests A+B ($S, $K)"
TASKS_B=$("$BIN" job-status --coordinator "127.0.0.1:$CPORT" --job-id "$JB" --json | jsonv 'd["total_tasks"]')
BBYTES=$("$BIN" job-status --coordinator "127.0.0.1:$CPORT" --job-id "$JB" --json | jsonv 'd["bytes"]')
check '[ "$(m "$T/c2" auralith_tasks_completed_total)" = $((TASKS_A + TASKS_B)) ]' "completed != $TASKS_A + $TASKS_B"
check '[ "$(m "$T/w2" "auralith_worker_samples_total{worker_id=\"wk1\"}")" = "$S" ] && [ "$(m "$T/w2" "auralith_worker_tokens_total{worker_id=\"wk1\"}")" = "$K" ]' "worker totals != manifests A+B"
check '[ "$BBYTES" -gt "$WBYTES" ] && [ "$(m "$T/w2" "auralith_worker_input_bytes_total{worker_id=\"wk1\"}")" = $((WBYTES + BBYTES)) ]' "worker bytes != $WBYTES + $BBYTES"
check '[ "$(m "$T/c2" auralith_store_commands_total)" -gt "$N" ]' "store commands did not move"

# 6. The coordinator goes: the worker's /healthz says so, its metrics still answer.
stop_within() { # PID WHAT: SIGTERM, then at most 60 s for it to exit; sets RC
  kill -TERM "$1"
  for _ in $(seq 600); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then fail "$2 still running 60 s after SIGTERM"; kill -9 "$1"; fi
  wait "$1"; RC=$?
}
stop_within "$CPID" "coordinator"
for _ in $(seq 100); do run http "$WPORT" /healthz; case "$OUT" in *503*) break;; esac; sleep 0.05; done
expect_out "503"; expect_out "not connected to the coordinator 127.0.0.1:$CPORT"
scrape "$WPORT" "$T/w3"
check '[ "$(m "$T/w3" "auralith_worker_connection_state{state=\"connected\"}")" = 0 ]' "still connected after the coordinator stopped"
stop_within "$W" "worker"
expect_rc 0 "worker stop"
finish
