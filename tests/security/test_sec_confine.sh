#!/usr/bin/env bash
# Which files a job may touch (docs/SECURITY.md), with real processes: inputs are read
# only when they resolve inside the job's input_dir (and worker_input_roots), tasks
# naming other paths are refused by the coordinator, special files are skipped with a
# reason, and no output (shards or index.json) lands outside worker_output_root or in
# a file system root.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/lib.sh"

mkdir -p "$T/in/sub" "$T/root" "$T/elsewhere"
printf 'plain words of the corpus\n' > "$T/in/a.txt"
printf 'more words in a subdirectory\n' > "$T/in/sub/b.txt"
printf 'SECRET-CANARY-7731 must never be tokenized\n' > "$T/secret.txt"
ln -s "$T/secret.txt" "$T/in/x.txt"
ln -s "$T/in/a.txt" "$T/in/alias.txt"
mkfifo "$T/in/pipe.txt"
python3 -c 'import socket,sys;s=socket.socket(socket.AF_UNIX);s.bind(sys.argv[1])' "$T/in/sock.txt"
ln -s "$T/elsewhere" "$T/root/link"

P=$(free_port)
cat > "$T/c.yaml" <<Y
coordinator:
  host: 127.0.0.1
  port: $P
  state_store_type: memory
  worker_output_root: $T/root
  worker_input_roots: $T/in
workers:
  - name: p
    num_processes: 1
Y
start_coord c "$T/c.yaml"
A="127.0.0.1:$P"
"$BIN" worker -c "$T/c.yaml" --coordinator "$A" --worker-id w1 > "$T/w1.log" 2>&1 & PIDS+=($!)
wait_log w1 "connected to coordinator" || fail "worker did not join"
TOK="$DATA/pipeline/tokenizers"

# ---- A symlink to a secret, a FIFO and a socket in the input tree: skipped with reasons.
run timeout 60 "$BIN" submit-job --external -c "$T/c.yaml" -i "$T/in" -o "$T/root/out" -t "$TOK" --max-seq-len 64 --shard-size 8 --job-name conf
expect_rc 0 "job over a tree with a symlink out"
CHECKS=$((CHECKS + 1)); grep -rq "SECRET-CANARY" "$T/root" && fail "the secret reached the output"
run "$BIN" inspect "$T/root/out" --sample 10; CHECKS=$((CHECKS + 1)); case "$OUT" in *SECRET-CANARY*) fail "inspect printed the secret";; esac
IDX="$T/root/out/index.json"
CHECKS=$((CHECKS + 1)); [ -f "$IDX" ] || fail "no index.json"
skip() { python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
def walk(v):
    if isinstance(v, dict):
        if "path" in v and "reason" in v: yield v
        for x in v.values(): yield from walk(x)
    elif isinstance(v, list):
        for x in v: yield from walk(x)
for s in walk(d):
    if s["path"].endswith(sys.argv[2]): print(s["reason"])
' "$IDX" "$1"; }
CHECKS=$((CHECKS + 1)); [[ "$(skip /x.txt)" == "outside the job's input_dir $T/in (resolves to $T/secret.txt)" ]] || fail "x.txt reason: '$(skip /x.txt)' in $(cat "$IDX")"
CHECKS=$((CHECKS + 1)); [[ "$(skip /pipe.txt)" == "not a regular file: a FIFO" ]] || fail "pipe.txt reason: '$(skip /pipe.txt)'"
CHECKS=$((CHECKS + 1)); [[ "$(skip /sock.txt)" == "not a regular file: a socket" ]] || fail "sock.txt reason: '$(skip /sock.txt)'"
CHECKS=$((CHECKS + 1)); [ -z "$(skip /alias.txt)" ] || fail "a symlink inside the tree was skipped: $(skip /alias.txt)"

# ---- A job over /etc: every file is outside worker_input_roots, none is read.
run timeout 60 "$BIN" submit-job --external -c "$T/c.yaml" -i /etc -o "$T/root/etc" -t "$TOK" --max-seq-len 64 --shard-size 8 --job-name etc
CHECKS=$((CHECKS + 1)); [ -z "$(ls "$T/root/etc"/task_*/*.safetensors 2>/dev/null)" ] || fail "files of /etc were tokenized"
CHECKS=$((CHECKS + 1)); grep -q "outside worker_input_roots $T/in (resolves to /etc/" "$T/root/etc/index.json" || fail "no roots reason in $(head -c 600 "$T/root/etc/index.json")"

# ---- The protocol: a task naming a path outside the job's input_dir is refused.
pyw '
import sys, wire
p = wire.Peer(int(sys.argv[1])); p.hello("submitter", "s")
d = sys.argv[2]
j = p.request({"t": "submit_job", "input_dir": d + "/in", "output_dir": d + "/root/p", "tokenizers_dir": d})
for f in ["/etc/shadow", d + "/in/../secret.txt", d + "/in", d + "/inx/a.txt", "sub/b.txt"]:
    r = p.request({"t": "submit_tasks", "job_id": j["job_id"], "tasks": [{"index": 0, "files": [d + "/in/a.txt", f]}]})
    print(r["t"], r["code"], r["message"])
r = p.request({"t": "submit_job", "input_dir": "in/../..", "output_dir": d + "/root/q", "tokenizers_dir": d})
print(r["t"], r["code"], r["message"])
' "$P" "$T"
expect_rc 0 "raw submitter"
expect_out "error 4 submit_tasks: tasks[0].files[1] '/etc/shadow' is not inside the job's input_dir '$T/in'"
expect_out "error 4 submit_tasks: tasks[0].files[1] '$T/in/../secret.txt' is not inside the job's input_dir '$T/in'"
expect_out "error 4 submit_tasks: tasks[0].files[1] '$T/in' is not inside the job's input_dir '$T/in'"
expect_out "error 4 submit_tasks: tasks[0].files[1] '$T/inx/a.txt' is not inside the job's input_dir '$T/in'"
expect_out "error 4 submit_tasks: tasks[0].files[1] 'sub/b.txt' is not inside the job's input_dir '$T/in'"
expect_out "error 4 submit_job: input_dir 'in/../..' must be an absolute path without '.', '..' or empty components"

# ---- Output confinement: through a symlink out of the root, outside it, a file system root.
pyw '
import sys, wire
p = wire.Peer(int(sys.argv[1])); p.hello("submitter", "s")
d = sys.argv[2]
for o in [d + "/root/link/out", d + "/elsewhere", d + "/root/../elsewhere", "/", "//"]:
    r = p.request({"t": "submit_job", "input_dir": d + "/in", "output_dir": o, "tokenizers_dir": d})
    print(r["t"], r["code"], r["message"])
' "$P" "$T"
expect_rc 0 "output dirs"
expect_out "error 4 submit_job: output_dir '$T/root/link/out' is outside worker_output_root '$T/root' (symlinks resolved)"
expect_out "error 4 submit_job: output_dir '$T/elsewhere' is outside worker_output_root '$T/root' (symlinks resolved)"
expect_out "error 4 submit_job: output_dir '$T/root/../elsewhere' must be an absolute path without '.', '..' or empty components"
expect_out "error 4 submit_job: output_dir '/' is a file system root"
expect_out "error 4 submit_job: output_dir '//' must be an absolute path"
CHECKS=$((CHECKS + 1)); [ -z "$(ls -A "$T/elsewhere")" ] || fail "something was written outside the root: $(ls -A "$T/elsewhere")"
# The output directory is accepted, then swapped for a symlink out of the root before the
# job ends: index.json is checked again when it is written, and refused.
pyw '
import os, sys, wire
p = wire.Peer(int(sys.argv[1])); p.hello("submitter", "s")
d = sys.argv[2]
j = p.request({"t": "submit_job", "input_dir": d + "/in", "output_dir": d + "/root/swap", "tokenizers_dir": d})
print("ACCEPTED", j["t"])
os.rmdir(d + "/root/swap")  # created empty at submit
os.symlink(d + "/elsewhere", d + "/root/swap")
print("CANCEL", p.request({"t": "cancel_job", "job_id": j["job_id"]})["t"])
' "$P" "$T"
expect_rc 0 "swapped output dir"; expect_out "ACCEPTED job_accepted"; expect_out "CANCEL ok"
wait_log c "index.json not written: output_dir '$T/root/swap' is outside worker_output_root '$T/root' (symlinks resolved)" ||
  fail "no refusal logged for the swapped output dir"
CHECKS=$((CHECKS + 1)); [ -z "$(ls -A "$T/elsewhere")" ] || fail "index.json written through the swapped symlink: $(ls -A "$T/elsewhere")"
run timeout 30 "$BIN" submit-job --external -c "$T/c.yaml" -i "$T/in" -o "$T/root/link/out" -t "$TOK" --job-name esc
expect_rc 1 "submit-job through a symlink out of the root"
expect_err "output_dir '$T/root/link/out' is outside worker_output_root '$T/root' (symlinks resolved)"
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null

# ---- Without worker_output_root, -o / is still refused (no /index.json, no /task_*).
P2=$(free_port)
printf 'coordinator:\n  host: 127.0.0.1\n  port: %s\n  state_store_type: memory\n' "$P2" > "$T/c2.yaml"
start_coord c2 "$T/c2.yaml"
run timeout 30 "$BIN" submit-job --external -c "$T/c2.yaml" -i "$T/in" -o / -t "$TOK" --job-name rootout
expect_rc 1 "-o /"; expect_err "output_dir '/' is a file system root"
CHECKS=$((CHECKS + 1)); [ ! -e /index.json ] || fail "/index.json exists"
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null
finish
