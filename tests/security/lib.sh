# Helpers of the security suite: real coordinator/worker processes on free loopback
# ports, and hostile peers written with wire.py. Source it after ../integration/lib.sh.
SEC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALCTL="${AL_BIN_DIR:?}/alctl"
DATA="${AL_DATA_DIR:?}"
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# start_coord NAME CONFIG [ARGS...]: starts a coordinator logging to $T/NAME.log; CPID is its pid.
start_coord() {
  local name=$1 cfg=$2; shift 2
  "$BIN" coordinator -c "$cfg" "$@" > "$T/$name.log" 2>&1 & CPID=$!; PIDS+=($CPID)
  for _ in $(seq 200); do grep -q "started successfully" "$T/$name.log" 2>/dev/null && return 0; sleep 0.05; done
  fail "coordinator $name did not start: $(tail -3 "$T/$name.log")"; return 1
}
# pyw SCRIPT: runs python3 with wire.py importable; sets RC/OUT/ERR like run.
pyw() { run env PYTHONPATH="$SEC_DIR" python3 -c "$1" "${@:2}"; }
expect_log() { CHECKS=$((CHECKS + 1)); grep -qF -- "$2" "$T/$1.log" || fail "$1.log lacks '$2': $(tail -5 "$T/$1.log")"; }
# wait_log NAME TEXT: up to 10 s for TEXT to appear in $T/NAME.log
wait_log() { for _ in $(seq 200); do grep -qF -- "$2" "$T/$1.log" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
