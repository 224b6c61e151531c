#!/usr/bin/env bash
# What cannot succeed fails at once, with its reason and exit code:
#  - zero or negative sizes are usage errors naming the flag (exit 2);
#  - a missing input directory is an error naming it (exit 1);
#  - a missing or corrupt tokenizers directory is refused before the job is submitted,
#    embedded and external (exit 1, within a second, not after the tasks' retries);
#  - a worker that cannot load the tokenizers of a queued job fails the job at once with
#    that reason (status failed, exit 4 for a follower), instead of after max_retries.
source "$(dirname "$0")/lib.sh"
DATA="${AL_DATA_DIR:?}"
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_for() { # FILE PATTERN [TRIES]
  for _ in $(seq "${3:-100}"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }
within() { # MS_LIMIT WHAT: checks the time since T0
  CHECKS=$((CHECKS + 1)); local el=$(( $(ms) - T0 )); [ "$el" -lt "$1" ] || fail "$2 took ${el} ms"; }
TOK="$DATA/pipeline/tokenizers"
IN="$DATA/pipeline/raw"
E=(submit-job --embedded -c "$(dirname "$DATA")/../configs/embedded.yaml")
[ -f "${E[3]}" ] || E=(submit-job --embedded)

# 1. Sizes.
for flag in max-seq-len shard-size files-per-task; do
  for v in 0 -3; do
    run "$BIN" "${E[@]}" -i "$IN" -o "$T/o" -t "$TOK" "--$flag" "$v"
    expect_rc 2 "--$flag $v"; expect_err "--$flag"
  done
done

# 2. Missing input directory: named, not "No files found".
T0=$(ms); run "$BIN" "${E[@]}" -i "$T/no-such-input" -o "$T/o" -t "$TOK"
expect_rc 1 "missing input"; expect_err "input directory $T/no-such-input: No such file or directory"; within 3000 "missing input"
touch "$T/afile"
run "$BIN" "${E[@]}" -i "$T/afile" -o "$T/o" -t "$TOK"
expect_rc 1 "input is a file"; expect_err "not a directory"

# 3. Missing and corrupt tokenizers, embedded.
T0=$(ms); run "$BIN" "${E[@]}" -i "$IN" -o "$T/o" -t "$T/no-such-tok"
expect_rc 1 "missing tokenizers"; expect_err "tokenizers directory $T/no-such-tok: No such file or directory"
within 3000 "missing tokenizers"
mkdir -p "$T/bad/text"; cp "$TOK"/text/* "$T/bad/text/"; echo '{"a":' > "$T/bad/text/vocab.json"
T0=$(ms); run "$BIN" "${E[@]}" -i "$IN" -o "$T/o" -t "$T/bad"
expect_rc 1 "corrupt tokenizers"; expect_err "tokenizers directory $T/bad cannot be used"; expect_err "vocab.json"
within 3000 "corrupt tokenizers"
CHECKS=$((CHECKS + 1)); [ ! -e "$T/o" ] || fail "a refused job left output"

# 4. External: refused before submission; then a worker whose tokenizers break after
#    submission fails the job at once.
PORT=$(free_port)
cat > "$T/c.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $PORT
  state_store_type: memory
  heartbeat_interval: 0.5
  heartbeat_timeout: 5
  retry_backoff: 5
  max_retries: 3
Y
"$BIN" coordinator -c "$T/c.yaml" --host 127.0.0.1 --port "$PORT" >> "$T/coord.log" 2>&1 & CPID=$!; PIDS+=($CPID)
wait_for "$T/coord.log" "started successfully" 400
T0=$(ms); run "$BIN" submit-job --external -c "$T/c.yaml" -i "$IN" -o "$T/x1" -t "$T/bad"
expect_rc 1 "external corrupt tokenizers"; expect_err "cannot be used"; within 3000 "external corrupt tokenizers"
mkdir -p "$T/tok/text"; cp "$TOK"/text/* "$T/tok/text/"
run "$BIN" submit-job --external -c "$T/c.yaml" -i "$IN" -o "$T/x2" -t "$T/tok" --files-per-task 2 --detach
expect_rc 0 "detached submit"
JOB=$(sed -n 's/^Job ID: //p' <<<"$OUT")
echo 'not json' > "$T/tok/text/vocab.json"   # the tokenizers break while the job waits
T0=$(ms)
"$BIN" worker -c "$T/c.yaml" --coordinator "127.0.0.1:$PORT" --worker-id wf > "$T/wf.log" 2>&1 & W=$!; PIDS+=($W)
for _ in $(seq 100); do
  run "$BIN" job-status --coordinator "127.0.0.1:$PORT" --job-id "$JOB"
  case "$OUT" in *"Status: failed"*) break;; esac; sleep 0.1
done
expect_out "Status: failed"; within 8000 "failing a job whose tokenizers cannot load"
run "$BIN" job-status --coordinator "127.0.0.1:$PORT" --job-id "$JOB" --json
expect_out "No tokenizers found in $T/tok"
CHECKS=$((CHECKS + 1)); grep -q "cannot succeed on any retry" "$T/coord.log" || fail "no fail-fast log: $(tail -5 "$T/coord.log")"
CHECKS=$((CHECKS + 1)); ! grep -q "retry 1 in" "$T/coord.log" || fail "the task was retried"
finish
