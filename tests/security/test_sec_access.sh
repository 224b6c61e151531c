#!/usr/bin/env bash
# Who may connect and what each may do (docs/SECURITY.md), with real processes:
# the config file's host/port honoured, protected mode, per-role secrets and rights,
# constant-time-checked tokens with per-address delays, one worker id per process.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/lib.sh"

# ---- 1. The file's host/port are used; flags override only when given.
P1=$(free_port)
printf 'coordinator:\n  host: 127.0.0.1\n  port: %s\n  state_store_type: memory\n' "$P1" > "$T/c1.yaml"
run "$BIN" coordinator -c "$T/c1.yaml" --print-config; expect_rc 0 "print-config"
expect_out "  host: \"127.0.0.1\""; expect_out "  port: $P1"
run "$BIN" coordinator -c "$T/c1.yaml" --print-config --port 9999 --host ::1; expect_rc 0
expect_out "  host: \"::1\""; expect_out "  port: 9999"
start_coord c1 "$T/c1.yaml"
expect_log c1 "Listening on 127.0.0.1:$P1"
CHECKS=$((CHECKS + 1)); ss -ltn | grep -q "127.0.0.1:$P1 " || fail "not listening on 127.0.0.1:$P1: $(ss -ltn)"
CHECKS=$((CHECKS + 1)); ss -ltn | grep -q "0.0.0.0:$P1 " && fail "listening on 0.0.0.0:$P1"
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null

# ---- 2. Protected mode: no secret => loopback peers only.
P2=$(free_port)
printf 'coordinator:\n  host: 0.0.0.0\n  port: %s\n  state_store_type: memory\n' "$P2" > "$T/c2.yaml"
start_coord c2 "$T/c2.yaml"
expect_log c2 "protected mode"
run "$ALCTL" --coordinator "127.0.0.1:$P2" workers; expect_rc 0 "loopback peer served in protected mode"
EXT=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.' | grep -v '^127\.' | head -1)
if [ -n "$EXT" ]; then
  run "$ALCTL" --coordinator "$EXT:$P2" workers; expect_rc 1 "non-loopback peer in protected mode"
  expect_err "refused the connection: protected mode: this coordinator has no auth token configured"
  expect_err "Set coordinator.auth_token (or AURALITH_AUTH_TOKEN"
  expect_log c2 "refusing $EXT: protected mode"
  # a hostile non-loopback worker: refused, nothing assigned, nothing joined
  pyw 'import sys,wire; p=wire.Peer(int(sys.argv[1]), sys.argv[2]); r=p.hello("worker","evil"); print(r["t"], r["code"]); print(p.closed())' "$P2" "$EXT"
  expect_rc 0 "raw worker from $EXT"; expect_out "refuse 5"; expect_out "True"
  run "$ALCTL" --coordinator "127.0.0.1:$P2" --json workers; expect_rc 0; expect_out "[]"
else
  echo "note: no non-loopback IPv4 address on this host; protected-mode refusal not exercised"
fi
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null

# ---- 3. Roles with their own secrets.
P3=$(free_port)
cat > "$T/c3.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $P3
  state_store_type: memory
  worker_token: wsecret
  client_token: csecret
  admin_token: asecret
  heartbeat_interval: 0.2
  heartbeat_timeout: 1
workers:
  - name: p
    num_processes: 1
Y
start_coord c3 "$T/c3.yaml"
A3="127.0.0.1:$P3"
run "$BIN" coordinator -c "$T/c3.yaml" --print-config; expect_out 'worker_token: "<redacted>"'
# a worker needs the worker token
AURALITH_WORKER_TOKEN=csecret run "$BIN" worker -c "$T/c3.yaml" --coordinator "$A3" --worker-id w-bad
expect_rc 1 "worker with the client token"; expect_err "coordinator refused worker w-bad: auth token does not match the worker token (AUTH)"
expect_log c3 "authentication failure from 127.0.0.1 (role worker): auth token does not match the worker token"
AURALITH_WORKER_TOKEN=wsecret "$BIN" worker -c "$T/c3.yaml" --coordinator "$A3" --worker-id w1 > "$T/w1.log" 2>&1 & W1=$!; PIDS+=($W1)
for _ in $(seq 100); do AURALITH_ADMIN_TOKEN=asecret run "$ALCTL" --coordinator "$A3" --json workers; case "$OUT" in *w1*) break;; esac; sleep 0.05; done
expect_out '"w1"'
# client token: read status yes; drain / strategy no
AURALITH_CLIENT_TOKEN=csecret run "$ALCTL" --coordinator "$A3" workers; expect_rc 0 "client reads status"; expect_out "w1"
AURALITH_CLIENT_TOKEN=csecret run "$ALCTL" --coordinator "$A3" drain w1; expect_rc 1 "client drains"
expect_err "message 'drain' needs the admin role"
AURALITH_CLIENT_TOKEN=csecret run "$ALCTL" --coordinator "$A3" strategy least_busy; expect_rc 1 "client sets strategy"
expect_err "message 'set_strategy' needs the admin role"
run "$ALCTL" --coordinator "$A3" workers; expect_rc 1 "no token"; expect_err "an auth token is required"
AURALITH_ADMIN_TOKEN=wsecret run "$ALCTL" --coordinator "$A3" workers; expect_rc 1 "worker token as admin"; expect_err "auth token does not match"
# a submitter holding the admin token still cannot drain; nor send worker messages
pyw '
import sys, wire
p = wire.Peer(int(sys.argv[1]))
print(p.hello("submitter", "s", "asecret")["t"])
print(p.request({"t": "drain", "worker_id": "w1"}))
print(p.request({"t": "heartbeat", "cpu_percent": 1.0}))
j = p.request({"t": "submit_job", "input_dir": sys.argv[2], "output_dir": sys.argv[2] + "/o1", "tokenizers_dir": sys.argv[2]})
print("JOB", j["job_id"])
q = wire.Peer(int(sys.argv[1]))
q.hello("submitter", "other", "csecret")
print("OTHER", q.request({"t": "cancel_job", "job_id": j["job_id"]}))
print("OTHERSEAL", q.request({"t": "seal_job", "job_id": j["job_id"], "total_tasks": 0}))
print("OWN", p.request({"t": "cancel_job", "job_id": j["job_id"]})["t"])
' "$P3" "$T"
expect_rc 0 "raw submitter"
expect_out "welcome"
expect_out "'message': \"message 'drain' needs the admin role"
expect_out "heartbeat' is not allowed for a submitter"
expect_out "OTHER {'t': 'error'"; expect_out "cancel_job: job '"; expect_out "was submitted by another connection; only its submitter or an admin may change it"
expect_out "OTHERSEAL {'t': 'error'"
expect_out "OWN ok"
# admin: cancel any job, strategy, drain
pyw '
import sys, wire
p = wire.Peer(int(sys.argv[1])); p.hello("submitter", "s", "csecret")
j = p.request({"t": "submit_job", "input_dir": sys.argv[2], "output_dir": sys.argv[2] + "/o2", "tokenizers_dir": sys.argv[2]})
print("JOB", j["job_id"]); sys.stdout.flush()
a = wire.Peer(int(sys.argv[1])); a.hello("admin", "a", "asecret")
print("CANCEL", a.request({"t": "cancel_job", "job_id": j["job_id"]})["t"])
' "$P3" "$T"
expect_rc 0; expect_out "CANCEL ok"
AURALITH_ADMIN_TOKEN=asecret run "$ALCTL" --coordinator "$A3" strategy least_busy; expect_rc 0 "admin sets strategy"
AURALITH_ADMIN_TOKEN=asecret run "$ALCTL" --coordinator "$A3" drain w1; expect_rc 0 "admin drains"
wait "$W1" 2>/dev/null
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null

# ---- auth_token is the shorthand for every role; the environment overrides the file.
P4=$(free_port)
printf 'coordinator:\n  host: 127.0.0.1\n  port: %s\n  state_store_type: memory\n  auth_token: filetok\n  heartbeat_interval: 0.2\n  heartbeat_timeout: 1\n' "$P4" > "$T/c4.yaml"
AURALITH_ADMIN_TOKEN=envadmin start_coord c4 "$T/c4.yaml"
A4="127.0.0.1:$P4"
# the file's auth_token no longer opens the admin role (the environment set another)
AURALITH_AUTH_TOKEN=filetok run "$ALCTL" --coordinator "$A4" drain nobody; expect_rc 1 "file admin token replaced by env"
expect_err "message 'drain' needs the admin role"
AURALITH_ADMIN_TOKEN=envadmin run "$ALCTL" --coordinator "$A4" drain nobody; expect_rc 1; expect_err "worker not found: nobody"
AURALITH_CLIENT_TOKEN=filetok run "$ALCTL" --coordinator "$A4" jobs; expect_rc 0 "auth_token as client token"

# ---- Wrong tokens: each refusal from one address is held longer (0.1 s doubling, at
# most 5 s), and every failure is counted in the log.
P5=$(free_port)
printf 'coordinator:\n  host: 127.0.0.1\n  port: %s\n  state_store_type: memory\n  auth_token: right\n' "$P5" > "$T/c5.yaml"
start_coord c5 "$T/c5.yaml"; C5=$CPID
pyw '
import sys, time, wire
ts = []
for i in range(5):
    t0 = time.monotonic()
    p = wire.Peer(int(sys.argv[1]), timeout=10)
    r = p.hello("admin", "g", "guess%d" % i)
    ts.append(time.monotonic() - t0)
    assert r["t"] == "refuse" and r["code"] == 5 and r["reason"] == "auth token does not match", r
print("DELAYS", " ".join("%.2f" % t for t in ts))
print("OK" if 0.09 <= ts[0] < 0.5 and 1.5 <= ts[4] < 3.0 else "BAD")
' "$P5"
expect_rc 0 "guessing"; expect_out "OK"
expect_log c5 "authentication failure from 127.0.0.1 (role admin): auth token does not match; 5 recent from this address, 5 in total; refusal held 1.6s"
kill -TERM "$C5"; wait "$C5" 2>/dev/null

# ---- 5. One worker id, one process.
AURALITH_AUTH_TOKEN=filetok "$BIN" worker -c "$T/c4.yaml" --coordinator "$A4" --worker-id dup > "$T/d1.log" 2>&1 & D1=$!; PIDS+=($D1)
wait_log d1 "connected to coordinator" || fail "first worker did not connect: $(cat "$T/d1.log")"
AURALITH_AUTH_TOKEN=filetok run timeout 10 "$BIN" worker -c "$T/c4.yaml" --coordinator "$A4" --worker-id dup
expect_rc 1 "second process with a live worker's id"
expect_err "coordinator refused worker dup: worker id 'dup' is in use by a live worker connected from 127.0.0.1"
expect_err "(ID_IN_USE)"
expect_log c4 "refusing a second connection for worker id 'dup' from 127.0.0.1"
CHECKS=$((CHECKS + 1)); kill -0 "$D1" 2>/dev/null || fail "the live worker was displaced"
CHECKS=$((CHECKS + 1)); [ "$(grep -c 'connected to coordinator' "$T/d1.log")" -eq 1 ] || fail "the live worker reconnected: $(cat "$T/d1.log")"
# a dead worker's id may be reused once it is declared dead
kill -9 "$D1"; wait "$D1" 2>/dev/null
sleep 1.5
AURALITH_AUTH_TOKEN=filetok "$BIN" worker -c "$T/c4.yaml" --coordinator "$A4" --worker-id dup > "$T/d2.log" 2>&1 & D2=$!; PIDS+=($D2)
wait_log d2 "connected to coordinator" || fail "dead worker's id not reusable: $(cat "$T/d2.log")"
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null
finish
