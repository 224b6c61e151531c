#!/usr/bin/env bash
# Limits before trust (docs/SECURITY.md), with real processes: the pre-hello frame
# limit, bounded memory of unauthenticated peers, idle clients closed, connections per
# address capped, a worker still joins at the open-files limit, unsealed-job caps and
# expiry, and list_jobs pages small enough for any frame limit.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/lib.sh"

P=$(free_port)
cat > "$T/c.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $P
  state_store_type: memory
  client_idle_timeout: 1
  max_connections_per_peer: 60
  max_unsealed_jobs_per_connection: 2
  max_unsealed_jobs: 3
workers:
  - name: p
    num_processes: 1
Y
start_coord c "$T/c.yaml"
rss() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
RSS0=$(rss "$CPID")

# ---- 40 peers announce a 16 MiB frame and send 1 MiB of it, never a hello.
pyw '
import socket, struct, sys, time, wire
port = int(sys.argv[1])
socks = []
for _ in range(40):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(struct.pack(">I", 16 << 20))
    socks.append(s)
p = wire.Peer(port)
p.s.sendall(struct.pack(">I", 16 << 20) + b"\x80" * 1024)
r = p.recv()
print(r["t"], r["code"], r["message"])
sent = 0
for s in socks:
    try:
        s.sendall(b"\x00" * (1 << 20)); sent += 1
    except OSError:
        pass
time.sleep(0.3)
print("CLOSED", sum(1 for s in socks if wire.Peer.closed(type("x", (), {"s": s})(), 2.0)))
' "$P"
expect_rc 0 "oversized pre-hello frames"
expect_out "error 2 frame 1: length 16777216 exceeds the maximum frame size 8192"
expect_out "CLOSED 40"
RSS1=$(rss "$CPID")
CHECKS=$((CHECKS + 1)); [ $((RSS1 - RSS0)) -lt 20000 ] || fail "coordinator RSS grew by $((RSS1 - RSS0)) KiB under pre-hello floods"

# ---- Idle clients are closed after client_idle_timeout; workers are not.
"$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$P" --worker-id w1 > "$T/w1.log" 2>&1 & W1=$!; PIDS+=($W1)
wait_log w1 "connected to coordinator" || fail "worker did not join: $(cat "$T/w1.log")"
pyw '
import sys, time, wire
p = wire.Peer(int(sys.argv[1]), timeout=5)
print(p.hello("admin", "idle")["t"])
t0 = time.monotonic()
r = p.recv()
print(r["t"], r["code"], r["message"])
print("CLOSED", p.closed(1.0), "AFTER %.1f" % (time.monotonic() - t0))
' "$P"
expect_rc 0 "idle client"; expect_out "welcome"; expect_out "error 13 idle for 1s (client_idle_timeout): connection closed"
expect_out "CLOSED True"
expect_log c "closing the admin connection from 127.0.0.1: idle for"
sleep 1.2
CHECKS=$((CHECKS + 1)); [ "$(grep -c 'connected to coordinator' "$T/w1.log")" -eq 1 ] || fail "idle timeout touched the worker: $(cat "$T/w1.log")"

# ---- Connections per address are capped (60 here).
pyw '
import socket, sys, time
port = int(sys.argv[1])
socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(70)]
time.sleep(0.5)
closed = 0
for s in socks:
    s.settimeout(0.05)
    try:
        if s.recv(1) == b"": closed += 1
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed += 1
print("CLOSED", closed)
' "$P"
expect_rc 0 "per-address cap"; expect_out "CLOSED 11" # 60 minus the worker's connection = 59 served
expect_log c "127.0.0.1 already has 60 connections (max_connections_per_peer)"

# ---- Unsealed jobs: per connection, in total, and expiry when the submitter goes.
pyw '
import sys, wire
port, d = int(sys.argv[1]), sys.argv[2]
import itertools
n = itertools.count()
def job():  # each job its own output directory (a non-empty one is refused)
    return {"t": "submit_job", "input_dir": d, "output_dir": d + "/u%d" % next(n), "tokenizers_dir": d}
a = wire.Peer(port); a.hello("submitter", "a")
print("A1", a.request(job())["t"], "A2", a.request(job())["t"])
r = a.request(job()); print("A3", r["t"], r["code"], r["message"])
b = wire.Peer(port); b.hello("submitter", "b")
print("B1", b.request(job())["t"])
r = b.request(job()); print("B2", r["t"], r["code"], r["message"])
a.close()
import time; time.sleep(0.3)
print("B3", b.request(job())["t"])
' "$P" "$T"
expect_rc 0 "unsealed jobs"
expect_out "A1 job_accepted A2 job_accepted"
expect_out "A3 error 13 submit_job: this connection holds 2 unsealed jobs (max_unsealed_jobs_per_connection 2); seal or cancel one first"
expect_out "B1 job_accepted"
expect_out "B2 error 13 submit_job: the coordinator holds 3 unsealed jobs (max_unsealed_jobs 3); try later"
expect_out "B3 job_accepted"
expect_log c "expired: its submitter (127.0.0.1) disconnected before sealing it"
run "$ALCTL" --coordinator "127.0.0.1:$P" --json jobs; expect_rc 0
CHECKS=$((CHECKS + 1)); [ "$(python3 -c 'import json,sys;print(sum(1 for j in json.load(sys.stdin) if j["status"]=="cancelled"))' <<<"$OUT")" = 4 ] || fail "expected 4 expired jobs (both submitters gone): $OUT"
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null

# ---- list_jobs pages: 2,500 jobs never make one reply; --limit/--after walk them.
P2=$(free_port)
printf 'coordinator:\n  host: 127.0.0.1\n  port: %s\n  state_store_type: memory\n  max_frame_bytes: 1MiB\n  max_unsealed_jobs_per_connection: 100000\n  max_unsealed_jobs: 100000\n' "$P2" > "$T/c2.yaml"
start_coord c2 "$T/c2.yaml"
pyw '
import sys, wire
port, d = int(sys.argv[1]), sys.argv[2]
a = wire.Peer(port, timeout=30); a.hello("submitter", "a")
for i in range(2500):
    a.send({"t": "submit_job", "rid": i + 1, "name": "j%04d" % i, "input_dir": d, "output_dir": d + "/p%d" % i, "tokenizers_dir": d})
n = 0
while n < 2500:
    r = a.recv(); assert r["t"] == "job_accepted", r; n += 1
r = a.request({"t": "list_jobs"})
print("PAGE", len(r["jobs"]), r.get("more"))
' "$P2" "$T"
expect_rc 0 "2,500 jobs"; expect_out "PAGE 1000 True"
run "$ALCTL" --coordinator "127.0.0.1:$P2" --json jobs; expect_rc 0 "jobs over the frame limit"
N=$(python3 -c 'import json,sys;d=json.load(sys.stdin);print(len(d), d[0]["name"], d[-1]["name"])' <<<"$OUT")
CHECKS=$((CHECKS + 1)); [ "$N" = "1000 j1500 j2499" ] || fail "first page: $N"
run "$ALCTL" --coordinator "127.0.0.1:$P2" jobs --limit 10; expect_rc 0
expect_out "(older jobs: alctl jobs --after "
AFTER=$(printf '%s\n' "$OUT" | sed -n 's/^(older jobs: alctl jobs --after \(.*\))$/\1/p')
run "$ALCTL" --coordinator "127.0.0.1:$P2" --json jobs --limit 5 --after "$AFTER"; expect_rc 0
N=$(python3 -c 'import json,sys;d=json.load(sys.stdin);print(len(d), d[0]["name"], d[-1]["name"])' <<<"$OUT")
CHECKS=$((CHECKS + 1)); [ "$N" = "5 j2485 j2489" ] || fail "second page: $N"
run "$ALCTL" --coordinator "127.0.0.1:$P2" jobs --after nosuchjob; expect_rc 1; expect_err "list_jobs.after: job 'nosuchjob' not found"
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null
finish
