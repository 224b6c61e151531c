#!/usr/bin/env bash
# TLS on every coordinator connection, with real processes and certificates made here by
# the openssl CLI: a job end to end over TLS (coordinator + 2 workers + submit-job
# --external, output checked), alctl and status over TLS; refusals with the reason named
# on the peer: wrong CA, expired certificate, wrong name, a plaintext client on the TLS
# port (nothing of value sent back, the coordinator logs the handshake error with the
# peer's address), a TLS client on a plaintext port, and a worker without the client
# certificate the coordinator requires.
source "$(dirname "$0")/../integration/lib.sh"
ALCTL="${AL_BIN_DIR:?}/alctl"
DATA="${AL_DATA_DIR:?}"
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
json() { python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(eval(sys.argv[2]))" "$@"; }
wait_log() { for _ in $(seq 200); do grep -qF -- "$2" "$T/$1.log" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
expect_log() { CHECKS=$((CHECKS + 1)); wait_log "$1" "$2" || fail "$1.log lacks '$2': $(tail -5 "$T/$1.log")"; }

# ---- Certificates --------------------------------------------------------------------
C="$T/certs"; mkdir -p "$C"
(
  cd "$C" || exit 1
  req() { openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "$@"; }
  req -x509 -days 30 -subj /CN=test-ca -keyout ca.key -out ca.pem
  req -x509 -days 30 -subj /CN=other-ca -keyout ca2.key -out ca2.pem
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
  leaf() { # NAME CA
    req -subj "/CN=$1" -keyout "$1.key" -out "$1.csr"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 30 -extfile san.ext -out "$1.pem"
  }
  leaf srv ca; leaf srv2 ca2; leaf client ca
  # expired: valid for one day in 2020 (openssl ca takes explicit dates)
  mkdir db; : > db/index; echo 01 > db/serial
  printf '[ca]\ndefault_ca=c\n[c]\ndatabase=db/index\nserial=db/serial\nnew_certs_dir=db\ndefault_md=sha256\npolicy=p\ncopy_extensions=copy\n[p]\ncommonName=supplied\n' > ca.cnf
  req -subj /CN=old -keyout old.key -out old.csr -addext subjectAltName=IP:127.0.0.1
  openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in old.csr -out old.pem \
    -startdate 20200101000000Z -enddate 20200102000000Z
) > "$T/openssl.log" 2>&1 || { cat "$T/openssl.log"; fail "cannot make certificates"; finish; }

# config NAME PORT [extra coordinator lines...]: one file for the coordinator and its peers
config() {
  local name=$1 port=$2; shift 2
  {
    printf 'coordinator:\n  host: 127.0.0.1\n  port: %s\n  state_store_type: memory\n' "$port"
    printf '  heartbeat_interval: 0.5\n  heartbeat_timeout: 2\n  retry_backoff: 0.1\n  max_retry_backoff: 0.5\n'
    for l in "$@"; do printf '  %s\n' "$l"; done
    printf 'workers:\n  - name: p\n    num_processes: 1\n'
  } > "$T/$name.yaml"
}
start_coord() { # NAME PORT
  "$BIN" coordinator -c "$T/$1.yaml" --host 127.0.0.1 --port "$2" > "$T/$1.log" 2>&1 & PIDS+=($!)
  wait_log "$1" "started successfully" || fail "coordinator $1 did not start: $(tail -3 "$T/$1.log")"
}

# ---- 1. A job end to end over TLS ----------------------------------------------------
P1=$(free_port)
config tls "$P1" "tls_cert: $C/srv.pem" "tls_key: $C/srv.key" "tls_ca: $C/ca.pem"
start_coord tls "$P1"
expect_log tls "TLS:         on ($C/srv.pem)"
for i in 1 2; do
  "$BIN" worker -c "$T/tls.yaml" --coordinator "127.0.0.1:$P1" --worker-id "w$i" > "$T/w$i.log" 2>&1 & PIDS+=($!)
done
expect_log w1 "connected to coordinator (auralith"
expect_log w1 ", TLS)"
expect_log w2 ", TLS)"
run "$BIN" submit-job --external -c "$T/tls.yaml" -i "$DATA/pipeline/raw" -o "$T/out1" -t "$DATA/pipeline/tokenizers" \
    --max-seq-len 64 --shard-size 8 --files-per-task 4
expect_rc 0 "job over TLS"; expect_out "Tasks:    11/11"; expect_out "Samples:  33"
for _ in $(seq 50); do [ -f "$T/out1/index.json" ] && break; sleep 0.1; done
CHECKS=$((CHECKS + 1))
[ "$(json "$T/out1/index.json" 'd["totals"]["samples"], d["totals"]["files"], d["status"]')" = "(33, 43, 'completed')" ] \
  || fail "manifest of the TLS job: $(json "$T/out1/index.json" 'd["totals"], d["status"]')"
for s in $(json "$T/out1/index.json" '" ".join(x["path"] for x in d["shards"])'); do
  CHECKS=$((CHECKS + 1))
  want=$(json "$T/out1/index.json" "[x['sha256'] for x in d['shards'] if x['path']=='$s'][0]")
  [ "$(sha256sum "$T/out1/$s" | cut -d' ' -f1)" = "$want" ] || fail "sha256 of $s"
done
for i in 1 2; do CHECKS=$((CHECKS + 1)); grep -q "success" "$T/w$i.log" || fail "worker w$i ran no task"; done

# alctl and status over TLS (settings from the environment)
run env AURALITH_TLS_CA="$C/ca.pem" "$ALCTL" --coordinator "127.0.0.1:$P1" workers
expect_rc 0 "alctl over TLS"; expect_out "w1"; expect_out "w2"
run env AURALITH_TLS_CA="$C/ca.pem" AURALITH_TLS_SERVER_NAME=localhost "$BIN" status --coordinator "127.0.0.1:$P1"
expect_rc 0 "status over TLS (name localhost)"; expect_out "w1"

# ---- 2. Refusals on the peer ---------------------------------------------------------
run env AURALITH_TLS_CA="$C/ca2.pem" "$ALCTL" --coordinator "127.0.0.1:$P1" workers
expect_rc 1 "wrong CA"; expect_err "TLS handshake with coordinator 127.0.0.1:$P1 failed: certificate verify failed: unable to get local issuer certificate"
run env AURALITH_TLS_CA="$C/ca.pem" AURALITH_TLS_SERVER_NAME=coordinator.example "$BIN" status --coordinator "127.0.0.1:$P1"
expect_rc 1 "wrong name"; expect_err "hostname mismatch"
run env AURALITH_TLS_CA="$C/nope.pem" "$ALCTL" --coordinator "127.0.0.1:$P1" workers
expect_rc 1 "missing CA file"; expect_err "cannot load the CA file '$C/nope.pem'"
# a worker trusting the wrong CA never joins, and says why
config wrongca "$P1" "tls_ca: $C/ca2.pem"
"$BIN" worker -c "$T/wrongca.yaml" --coordinator "127.0.0.1:$P1" --worker-id wbad > "$T/wbad.log" 2>&1 & PIDS+=($!); WBAD=$!
expect_log wbad "certificate verify failed: unable to get local issuer certificate"
kill "$WBAD" 2>/dev/null
CHECKS=$((CHECKS + 1)); ! grep -q "connected to coordinator" "$T/wbad.log" || fail "the worker trusting another CA joined"

# A plaintext client on the TLS port: refused with a hint; the coordinator logs the
# handshake error with the peer's address; a raw hello with a token gets no protocol reply.
run "$ALCTL" --coordinator "127.0.0.1:$P1" --timeout 3 workers
expect_rc 1 "plaintext client to TLS"; expect_err "AURALITH_TLS_CA"
expect_log tls "TLS handshake with 127.0.0.1:"
expect_log tls "the peer does not speak TLS"
run python3 - "$P1" <<'PY'
import socket, struct, sys
# a hello frame (msgpack map) with a token, in the clear
body = b"\x84\xa4type\xa5hello\xa7version\x01\xa4role\xa6worker\xa5token\xa9s3cret-tk"
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(struct.pack(">I", len(body)) + body)
data = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
except socket.timeout:
    print("no close within 5s"); sys.exit(1)
# nothing of the protocol comes back: at most a TLS alert record (content type 21)
print("reply", len(data), data[:1].hex())
sys.exit(0 if (len(data) == 0 or (data[0] == 0x15 and b"welcome" not in data and b"error" not in data)) else 1)
PY
expect_rc 0 "raw plaintext hello to the TLS port: $OUT"

# ---- 3. Expired certificate ----------------------------------------------------------
P2=$(free_port)
config old "$P2" "tls_cert: $C/old.pem" "tls_key: $C/old.key"
start_coord old "$P2"
run env AURALITH_TLS_CA="$C/ca.pem" "$ALCTL" --coordinator "127.0.0.1:$P2" workers
expect_rc 1 "expired certificate"; expect_err "certificate verify failed: certificate has expired"

# ---- 4. A TLS client on a plaintext port ---------------------------------------------
P3=$(free_port)
config plain "$P3"
start_coord plain "$P3"
run env AURALITH_TLS_CA="$C/ca.pem" "$ALCTL" --coordinator "127.0.0.1:$P3" --timeout 3 workers
expect_rc 1 "TLS client to plaintext"; expect_err "TLS handshake with coordinator 127.0.0.1:$P3 failed"
expect_err "does not speak TLS on this port"

# ---- 5. Client certificates required -------------------------------------------------
P4=$(free_port)
config mtls "$P4" "tls_cert: $C/srv.pem" "tls_key: $C/srv.key" "tls_ca: $C/ca.pem" "tls_require_client_cert: true"
start_coord mtls "$P4"
expect_log mtls "client certificates required"
"$BIN" worker -c "$T/mtls.yaml" --coordinator "127.0.0.1:$P4" --worker-id nocert > "$T/nocert.log" 2>&1 & PIDS+=($!); NOCERT=$!
expect_log nocert "certificate required"
expect_log mtls "did not return a certificate"
kill "$NOCERT" 2>/dev/null
CHECKS=$((CHECKS + 1)); ! grep -q "connected to coordinator" "$T/nocert.log" || fail "a worker without a client certificate joined"
config mtls_w "$P4" "tls_ca: $C/ca.pem" "tls_client_cert: $C/client.pem" "tls_client_key: $C/client.key"
"$BIN" worker -c "$T/mtls_w.yaml" --coordinator "127.0.0.1:$P4" --worker-id withcert > "$T/withcert.log" 2>&1 & PIDS+=($!)
expect_log withcert ", TLS)"
run env AURALITH_TLS_CA="$C/ca.pem" AURALITH_TLS_CERT="$C/client.pem" AURALITH_TLS_KEY="$C/client.key" \
    "$ALCTL" --coordinator "127.0.0.1:$P4" workers
expect_rc 0 "alctl with a client certificate"; expect_out "withcert"
CHECKS=$((CHECKS + 1)); ! grep -q "nocert" <<< "$OUT" || fail "the worker without a certificate is listed"
# a client certificate of another CA is refused by the coordinator
run env AURALITH_TLS_CA="$C/ca.pem" AURALITH_TLS_CERT="$C/srv2.pem" AURALITH_TLS_KEY="$C/srv2.key" \
    "$ALCTL" --coordinator "127.0.0.1:$P4" --timeout 3 workers
expect_rc 1 "client certificate of another CA"
expect_log mtls "certificate verify failed: unable to get local issuer certificate"

# ---- 6. Bad coordinator settings fail at start, naming the file ----------------------
config badkey "$(free_port)" "tls_cert: $C/srv.pem" "tls_key: $C/client.key"
run "$BIN" coordinator -c "$T/badkey.yaml" --host 127.0.0.1 --port "$(free_port)"
expect_rc 1 "mismatched key"; expect_err "does not match the certificate"
config nokey "$(free_port)" "tls_cert: $C/srv.pem"
run "$BIN" coordinator -c "$T/nokey.yaml" --host 127.0.0.1 --port "$(free_port)"
expect_rc 1 "cert without key"; expect_err "needs both tls_cert and tls_key"
finish
