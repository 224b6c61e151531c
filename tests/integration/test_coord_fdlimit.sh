#!/usr/bin/env bash
# The coordinator out of file descriptors: 300 connections against a limit of 64. It
# must stay up, never log a line per failed accept (libuv drops the excess connections
# with its reserve-fd trick; when even that fails the coordinator logs one counted line
# every 5 s), and serve normally once the flood is gone.
source "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
CPID=""
cleanup() { [ -n "$CPID" ] && kill -9 "$CPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
printf 'coordinator:\n  state_store_type: memory\n' > "$T/c.yaml"
prlimit --nofile=64:64 "$BIN" coordinator -c "$T/c.yaml" --host 127.0.0.1 --port "$PORT" > "$T/coord.log" 2>&1 &
CPID=$!
for _ in $(seq 100); do grep -q "started successfully" "$T/coord.log" 2>/dev/null && break; sleep 0.05; done
python3 - "$PORT" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
socks = []
for _ in range(300):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        socks.append(s)
    except OSError:
        s.close()
time.sleep(1.5)
for s in socks:
    s.close()
PY
sleep 0.5
CHECKS=$((CHECKS + 1)); kill -0 "$CPID" 2>/dev/null || fail "coordinator died under fd exhaustion: $(tail -3 "$T/coord.log")"
n=$(grep -c "accept failed" "$T/coord.log")
CHECKS=$((CHECKS + 1)); [ "$n" -le 3 ] || fail "expected at most 3 rate-limited accept-failure lines, got $n"
CHECKS=$((CHECKS + 1)); [ "$(wc -c < "$T/coord.log")" -lt 20000 ] || fail "the log grew to $(wc -c < "$T/coord.log") bytes"
run "$BIN" status --coordinator "127.0.0.1:$PORT"
expect_rc 0 "status after the flood"; expect_out "Active Workers: 0"
kill -TERM "$CPID"; wait "$CPID"; RC=$?; CPID=""
CHECKS=$((CHECKS + 1)); [ "$RC" -eq 0 ] || fail "coordinator exit $RC after SIGTERM"
finish
