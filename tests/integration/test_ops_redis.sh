#!/usr/bin/env bash
# Managed-Redis setups against a real redis-server:
#  1. a Redis 6+ ACL user (state_store_username + state_store_password = AUTH user pass):
#     the coordinator runs a job, redis-cli as that user reads task:<id> with its
#     status and worker_id; a wrong password is refused at start naming the user;
#  2. TLS: redis-server listens on its TLS port only and the coordinator reaches it
#     through a stunnel client tunnel (docs/OPERATIONS.md, "Redis over TLS"), with the
#     ACL user, and runs a job. Skipped (with a note) when redis-server lacks TLS or
#     stunnel4 is missing.
source "$(dirname "$0")/lib.sh"
DATA="${AL_DATA_DIR:?}"
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_for() { # FILE PATTERN [TRIES]
  for _ in $(seq "${3:-100}"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
command -v redis-server >/dev/null || { echo "SKIP: no redis-server"; exit 0; }
RUSER=pipeline; RPASS="acl pw 1"
ACL=(--user default off --user "$RUSER" on ">$RPASS" '~*' '&*' '+@all')

write_config() { # FILE PORT PASSWORD
cat > "$1" <<Y
coordinator:
  host: 127.0.0.1
  port: $CPORT
  state_store_type: redis
  state_store_host: 127.0.0.1
  state_store_port: $2
  state_store_username: $RUSER
  state_store_password: "$3"
  state_store_connect_timeout: 2
  heartbeat_interval: 0.5
  heartbeat_timeout: 5
Y
}
run_job() { # CONFIG OUT: coordinator + worker + job; sets JOB
  "$BIN" coordinator -c "$1" --host 127.0.0.1 --port "$CPORT" > "$T/$2.coord" 2>&1 & local cp=$!; PIDS+=($cp)
  wait_for "$T/$2.coord" "started successfully" 400 || fail "coordinator did not start: $(tail -3 "$T/$2.coord")"
  "$BIN" worker -c "$1" --coordinator "127.0.0.1:$CPORT" --worker-id "w-$2" > "$T/$2.worker" 2>&1 & local wp=$!
  PIDS+=($wp)
  run "$BIN" submit-job --external -c "$1" -i "$DATA/pipeline/raw" -o "$T/$2" -t "$DATA/pipeline/tokenizers" \
    --files-per-task 20 --max-seq-len 64
  expect_rc 0 "job via $2"; expect_out "Status:   completed"
  JOB=$(sed -n 's/^Job ID: *//p' <<<"$OUT")
  kill -TERM "$wp" "$cp"; wait "$wp" "$cp" 2>/dev/null
}

# 1. ACL user.
RPORT=$(free_port); CPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" "${ACL[@]}" > "$T/redis.log" 2>&1 & PIDS+=($!)
rcli() { redis-cli -p "$RPORT" --user "$RUSER" --pass "$RPASS" --no-auth-warning "$@"; }
for _ in $(seq 200); do rcli PING 2>/dev/null | grep -q PONG && break; sleep 0.05; done
write_config "$T/acl.yaml" "$RPORT" "$RPASS"
run_job "$T/acl.yaml" acl
REC=$(rcli GET "task:$JOB-000000")
CHECKS=$((CHECKS + 1))
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["status"]=="completed" and d["worker_id"]=="w-acl", d' \
  "$REC" || fail "task record via the ACL user: $REC"
write_config "$T/bad.yaml" "$RPORT" "wrong"
run timeout 30 "$BIN" coordinator -c "$T/bad.yaml" --host 127.0.0.1 --port "$CPORT"
expect_rc 1 "wrong ACL password"; expect_err "rejected user '$RUSER'"

# 2. TLS through stunnel.
if ! command -v stunnel4 >/dev/null; then echo "SKIP TLS: no stunnel4"; finish; fi
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 -subj /CN=127.0.0.1 \
  -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
TPORT=$(free_port); LPORT=$(free_port)
redis-server --port 0 --tls-port "$TPORT" --tls-cert-file "$T/cert.pem" --tls-key-file "$T/key.pem" \
  --tls-ca-cert-file "$T/cert.pem" --tls-auth-clients no --bind 127.0.0.1 --save "" "${ACL[@]}" \
  > "$T/redis-tls.log" 2>&1 & PIDS+=($!)
if ! wait_for "$T/redis-tls.log" "Ready to accept" 200; then
  echo "SKIP TLS: this redis-server has no TLS ($(tail -1 "$T/redis-tls.log"))"; finish
fi
cat > "$T/stunnel.conf" <<S
foreground = yes
pid =
[redis]
client = yes
accept = 127.0.0.1:$LPORT
connect = 127.0.0.1:$TPORT
CAfile = $T/cert.pem
verifyChain = yes
checkIP = 127.0.0.1
S
stunnel4 "$T/stunnel.conf" > "$T/stunnel.log" 2>&1 & PIDS+=($!)
for _ in $(seq 200); do
  redis-cli -p "$LPORT" --user "$RUSER" --pass "$RPASS" --no-auth-warning PING 2>/dev/null | grep -q PONG && break
  sleep 0.05
done
write_config "$T/tls.yaml" "$LPORT" "$RPASS"
run_job "$T/tls.yaml" tls
REC=$(redis-cli -p "$TPORT" --tls --cacert "$T/cert.pem" --user "$RUSER" --pass "$RPASS" --no-auth-warning \
  GET "task:$JOB-000000")
CHECKS=$((CHECKS + 1)); [[ "$REC" == *'"status": "completed"'* || "$REC" == *'"status":"completed"'* ]] || \
  fail "task record over TLS: $REC"
CHECKS=$((CHECKS + 1)); ! redis-cli -p "$TPORT" PING 2>/dev/null | grep -q PONG || fail "TLS port answered plain text"
finish
