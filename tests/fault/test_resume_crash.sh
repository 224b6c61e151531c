#!/usr/bin/env bash
# --resume after a crash with no store to recover from: an embedded job killed (SIGKILL)
# mid-job leaves no index.json, only the commit journal (.staging/committed.<job>.jsonl,
# src/coord/coord_journal.h). --resume reuses every task the journal lists whose shards
# verify, runs the rest, and ends with the same manifest totals as an uninterrupted
# run; a torn last line, a second crash during the resume and a changed layout are
# handled; nothing of the journal is left once index.json is written.
source "$(dirname "$0")/../integration/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="${AL_DATA_DIR:?}"
TOK="$DATA/pipeline/tokenizers"
T=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT

mkdir -p "$T/in"
python3 - "$T/in" <<'PY'
import random, sys
random.seed(11)
w = "alpha beta gamma delta river city data model".split()
for i in range(400):
    with open(f"{sys.argv[1]}/d{i:04d}.txt", "w") as f:
        f.write(" ".join(random.choice(w) + str(random.randint(0, 99)) for _ in range(random.randint(3000, 9000))))
open(sys.argv[1] + "/empty.txt", "w").close()
PY
find "$T/in" -name 'd*.txt' -exec realpath {} \; | sort > "$T/usable"
realpath "$T/in/empty.txt" > "$T/unusable"
printf 'coordinator:\n  state_store_type: memory\n' > "$T/c.yaml"
job() { # OUT [flags]: one embedded job with one worker, 5 files per task
  "$BIN" submit-job --embedded -w 1 -c "$T/c.yaml" -i "$T/in" -o "$T/$1" -t "$TOK" --files-per-task 5 "${@:2}"
}
journal_lines() { cat "$T/$1"/.staging/committed.*.jsonl 2>/dev/null | grep -c '}$'; }
totals() { python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(" ".join(f"{k}={t[k]}" for k in sorted(t)))' "$1/index.json"; }
# Starts a job in the background and kills it (SIGKILL) once its journal holds at least
# MIN lines; fails when the job ended first.
crash_after() { # OUT MIN [flags]
  local out="$1" min="$2"; shift 2
  # the process itself in the background (a function would be a subshell, and the
  # signal would not reach the job)
  "$BIN" submit-job --embedded -w 1 -c "$T/c.yaml" -i "$T/in" -o "$T/$out" -t "$TOK" --files-per-task 5 "$@" \
    > "$T/$out.crash.log" 2>&1 &
  local p=$!
  PIDS+=($p)
  for _ in $(seq 600); do [ "$(journal_lines "$out")" -ge "$min" ] && break; sleep 0.01; done
  kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null
  CHECKS=$((CHECKS + 1)); [ ! -f "$T/$out/index.json" ] || fail "$out: the job ended before it was killed"
}
check_out() { # WHAT OUT
  CHECKS=$((CHECKS + 1))
  local msg
  msg=$(python3 "$HERE/check_output.py" "$T/$2" completed --usable "$T/usable" --unusable "$T/unusable" 2>&1) || fail "$1: $msg"
  CHECKS=$((CHECKS + 1)); [ ! -e "$T/$2/.staging" ] || fail "$1: .staging left behind: $(ls "$T/$2/.staging" | head -3)"
}

run job clean
expect_rc 0 "uninterrupted run"
check_out "uninterrupted run" clean
want=$(totals "$T/clean")

# 1. Killed mid-job, then resumed: every journaled task is reused.
crash_after a 5
n=$(journal_lines a)
run job a --resume
expect_rc 0 "--resume after SIGKILL"
CHECKS=$((CHECKS + 1))
got=$(grep -o 'reused [0-9]* of' <<<"$OUT$ERR" | head -1 | awk '{print $2}')
[ "${got:-0}" -ge "$n" ] || fail "--resume reused ${got:-0} tasks; the journal listed $n: $(grep -i resume <<<"$OUT$ERR" | head -3)"
expect_err "listed by the commit journal of an interrupted run"
check_out "--resume after SIGKILL" a
CHECKS=$((CHECKS + 1)); [ "$(totals "$T/a")" = "$want" ] || fail "totals after the resume differ: $(totals "$T/a") vs $want"

# 2. A torn last line (the crash cut a write), and a second crash during the resume.
crash_after b 3
printf '{"task_dir":"task_x","shards":[{"path":"task_x/sha' >> "$(ls "$T"/b/.staging/committed.*.jsonl | head -1)"
crash_after b 8 --resume
run job b --resume
expect_rc 0 "--resume after two crashes"
expect_err "1 lines ignored"
check_out "--resume after two crashes" b
CHECKS=$((CHECKS + 1)); [ "$(totals "$T/b")" = "$want" ] || fail "totals after two crashes differ: $(totals "$T/b") vs $want"

# 3. Another layout: the journaled shards do not fit, so every task runs again.
crash_after c 3
run job c --resume --max-seq-len 2048
expect_rc 0 "--resume with another max_seq_len"
expect_err "reused 0 of"
check_out "--resume with another max_seq_len" c

# 4. A journaled shard that no longer verifies makes only its task run again.
crash_after d 4
victim=$(find "$T/d" -name '*.safetensors' | sort | head -1)
printf 'garbage' >> "$victim"
run job d --resume
expect_rc 0 "--resume with a damaged shard"
check_out "--resume with a damaged shard" d
CHECKS=$((CHECKS + 1)); [ "$(totals "$T/d")" = "$want" ] || fail "totals with a damaged shard differ: $(totals "$T/d") vs $want"
finish
