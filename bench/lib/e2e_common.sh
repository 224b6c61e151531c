# Helpers for the end-to-end and job-scale sections (sourced by run.sh).

# al_e2e_config PATH COORD_PORT REDIS_PORT STORE THREADS: writes a config in the original's
# YAML layout for a coordinator on 127.0.0.1.
al_e2e_config() {
  cat >"$1" <<YAML
coordinator:
  host: 127.0.0.1
  port: $2
  state_store_type: $4
  state_store_host: 127.0.0.1
  state_store_port: ${3:-6379}
  state_store_db: 0
  heartbeat_interval: 1
  heartbeat_timeout: 30
  max_retries: 3
  retry_backoff: 1
workers:
  - name: bench
    num_processes: $5
job:
  name: bench
  num_workers: $5
  timeout: 86400
YAML
}

# al_tree_stats DIR -> "files bytes prose_bytes" (prose = *.rst, *.txt, *.md).
al_tree_stats() {
  find "$1" -type f -printf '%s %f\n' | awk '{ n++; b += $1; if ($2 ~ /\.(rst|txt|md)$/) p += $1 }
    END { printf "%d %d %d\n", n, b, p }'
}

# al_job_stats OUTDIR STDOUT_LOG -> "tokens skipped_files skipped_bytes": tokens from the
# manifest's totals (else the "Tokens:" line of submit-job), and the files the job skipped
# (unclassified, blank, unreadable) with their input bytes, so MB/s can count what was
# tokenized. Fields that cannot be found are empty.
al_job_stats() {
  local m="$1/index.json" t=""
  if [ -f "$m" ] && command -v node >/dev/null; then
    node -e '
      const fs = require("fs");
      const j = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      const t = j.totals && typeof j.totals.tokens === "number" ? j.totals.tokens : "";
      let n = 0, b = 0;
      for (const s of j.skipped || []) { n++; try { b += fs.statSync(s.path).size; } catch (e) {} }
      console.log(`${t} ${n} ${b}`);' "$m" 2>/dev/null && return 0
  fi
  t="$(sed -nE 's/^Tokens: *([0-9]+).*/\1/p' "$2" 2>/dev/null | tail -n 1)"
  echo "$t 0 0"
}

# al_wait_port PORT [TRIES]: wait until something listens on 127.0.0.1:PORT.
al_wait_port() {
  local i
  for i in $(seq 1 "${2:-100}"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# al_stop_pid PID: TERM (the CLI's graceful stop; SIGINT would be ignored by a background
# job of a non-interactive shell), then KILL after 5 s.
al_stop_pid() {
  local p="$1" i
  kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null
  for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null # reap it (a zombie would still answer kill -0)
  return 0
}

# al_bg NAME CMD...: start CMD in the background with its output in the logs, record it, and
# set AL_BG_PID.
al_bg() {
  local name="$1" line; shift
  line="$(printf '%q ' "$@")"; line="${line//$AL_ROOT\//}"
  printf '%s\t%s &\n' "$name" "${line% }" >>"$AL_CMDS"
  ( ulimit -f 262144; exec "$@" ) >"$AL_LOGS/$name.out" 2>"$AL_LOGS/$name.err" &
  AL_BG_PID=$!
  al_track "$AL_BG_PID"
}
