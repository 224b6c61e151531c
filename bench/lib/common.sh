# Shared helpers for bench/*.sh. Sourced, never run.
# Conventions: every measurement is one row appended to $AL_ROWS (tab separated:
# metric, ours, peer, ratio, target, met, note); lib/table.sh renders them.

AL_BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AL_ROOT="$(cd "$AL_BENCH_DIR/.." && pwd)"
AL_WORK="${AL_WORK:-$AL_BENCH_DIR/work}"
AL_BUILD="${AL_BUILD:-$AL_ROOT/build}"
mkdir -p "$AL_WORK"

al_log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# Seconds since the epoch with nanoseconds, as a decimal string.
al_now() { date +%s.%N; }

# A TCP port on 127.0.0.1 that nothing listens on right now (bounded tries), chosen below
# the kernel's ephemeral range: a port in that range can be taken at any moment by an
# outgoing connection, and then a server cannot bind it.
al_free_port() {
  local i port lo=32768
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
  [ "$lo" -gt 12000 ] || lo=32768
  for i in $(seq 1 200); do
    port=$(( 10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000) ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"; return 0
    fi
  done
  return 1
}

# Background processes started by the bench, stopped by al_cleanup (trap EXIT).
AL_PIDS=()
al_track() { AL_PIDS+=("$1"); }
al_cleanup() {
  local p
  for p in "${AL_FG_PID:-}" "${AL_PIDS[@]:-}"; do
    [ -n "$p" ] || continue
    if kill -0 "$p" 2>/dev/null; then
      kill "$p" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$p" 2>/dev/null || true
    fi
  done
  AL_PIDS=()
}

# Start a private redis-server on a free loopback port without persistence.
# Sets AL_REDIS_PORT and AL_REDIS_PID. Returns non-zero if redis-server is missing.
al_redis_start() {
  local try
  for try in 1 2 3; do # a port can still be taken between the check and the bind
    al_redis_start_once && return 0
  done
  return 1
}
al_redis_start_once() {
  command -v redis-server >/dev/null || return 1
  local dir="$AL_WORK/redis"
  mkdir -p "$dir"
  AL_REDIS_PORT="$(al_free_port)"
  redis-server --bind 127.0.0.1 --port "$AL_REDIS_PORT" --save "" --appendonly no \
    --dir "$dir" --protected-mode yes --daemonize no --loglevel warning \
    >"$dir/redis-$AL_REDIS_PORT.log" 2>&1 &
  AL_REDIS_PID=$!
  al_track "$AL_REDIS_PID"
  local i
  for i in $(seq 1 100); do
    if timeout 2 redis-cli -h 127.0.0.1 -p "$AL_REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
      return 0
    fi
    sleep 0.05
  done
  al_log "redis-server did not answer on port $AL_REDIS_PORT: $(tail -n 1 "$dir/redis-$AL_REDIS_PORT.log" 2>/dev/null)"
  kill "$AL_REDIS_PID" 2>/dev/null
  return 1
}
al_redis_stop() {
  if [ -n "${AL_REDIS_PID:-}" ] && kill -0 "$AL_REDIS_PID" 2>/dev/null; then
    timeout 5 redis-cli -h 127.0.0.1 -p "$AL_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$AL_REDIS_PID"
    for _ in $(seq 1 50); do kill -0 "$AL_REDIS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$AL_REDIS_PID" 2>/dev/null
    wait "$AL_REDIS_PID" 2>/dev/null # reap it: a zombie would still answer kill -0
  fi
  AL_REDIS_PID=""
}

# Append one row. Empty fields are written as "—".
# al_row METRIC OURS PEER RATIO TARGET MET NOTE
al_row() {
  local out=() f
  for f in "$1" "$2" "$3" "$4" "$5" "$6" "$7"; do
    [ -n "$f" ] || f="—"
    out+=("${f//$'\t'/ }")
  done
  (IFS=$'\t'; printf '%s\n' "${out[*]}") >>"$AL_ROWS"
}

# Arithmetic on decimals (awk, so no bc dependency).
al_calc() { awk "BEGIN { printf \"%s\", $1 }" </dev/null; }
# al_fmt NUMBER: integers and values >= 1000 with thousands separators and no decimals,
# smaller values with 3 significant digits; anything that is not a number unchanged.
al_fmt() {
  awk -v x="$1" 'function commas(n,  s, r) { s = sprintf("%.0f", n); r = "";
      while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
      return s r }
    BEGIN {
    if (x == "" || x !~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) { printf "%s", x; exit }
    ax = x < 0 ? -x : x
    if (ax >= 1000 || x ~ /^-?[0-9]+$/) printf "%s%s", (x < 0 ? "-" : ""), commas(ax);
    else if (ax >= 100) printf "%.1f", x; else if (ax >= 10) printf "%.2f", x;
    else if (ax >= 1) printf "%.2f", x; else printf "%.3f", x }'
}
# al_ratio OURS PEER: ours/peer with 2 decimals, or empty when either is missing.
al_ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a !~ /^[0-9.eE+-]+$/ || b !~ /^[0-9.eE+-]+$/ || b + 0 == 0) exit
    printf "%.2f×", a / b }'
}
# al_met VALUE OP THRESHOLD -> "yes" / "NO (missed)" / "" when VALUE is not a number.
al_met() {
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (v !~ /^-?[0-9.eE+-]+$/) exit
    ok = (op == ">=") ? (v + 0 >= t + 0) : (op == "<=") ? (v + 0 <= t + 0) : \
         (op == "<") ? (v + 0 < t + 0) : (op == "==") ? (v + 0 == t + 0) : 0
    printf "%s", ok ? "yes" : "NO (missed)" }'
}

# Pull "RESULT key value" from a bench program's output file.
al_result() { awk -v k="$2" '$1 == "RESULT" && $2 == k { v = $3 } END { if (v != "") print v }' "$1" 2>/dev/null; }

# Machine description, one markdown bullet per line.
al_machine() {
  local cpu mem
  cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  mem="$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "- nproc: $(nproc)"
  echo "- CPU: ${cpu:-unknown}"
  echo "- memory: $mem"
  echo "- kernel: $(uname -sr)"
  echo "- commit: $(git -C "$AL_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$AL_ROOT" diff --quiet 2>/dev/null || echo ' (with local changes)')"
}

# Peak RSS (kB) of a command: al_time_rss OUTFILE cmd...  (GNU time is not assumed).
al_peak_rss_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# al_run NAME TIMEOUT CMD...: runs CMD with a time limit, stdout to $AL_LOGS/NAME.out and
# stderr to $AL_LOGS/NAME.err, and records the exact command (paths relative to the repo)
# in $AL_CMDS for RESULTS.md. Returns CMD's exit code (124 on timeout).
al_run() {
  local name="$1" to="$2" line; shift 2
  line="$(printf '%q ' "$@")"
  line="${line//$AL_ROOT\//}"
  printf '%s\t%s\n' "$name" "${line% }" >>"$AL_CMDS"
  al_log "run $name: ${line% }"
  # In the background and waited for, so Ctrl-C or TERM reaches run.sh's trap at once.
  # Output files are capped (ulimit -f, 256 MiB): a program stuck logging in a loop is
  # killed by SIGXFSZ instead of filling the disk.
  ( ulimit -f 262144; exec timeout --kill-after=10 "$to" "$@" ) >"$AL_LOGS/$name.out" 2>"$AL_LOGS/$name.err" &
  AL_FG_PID=$!
  wait "$AL_FG_PID"
  local rc=$?
  AL_FG_PID=""
  return "$rc"
}

# al_fail_note NAME RC: a short reason for a failed al_run, for the table's note column.
al_fail_note() {
  local last
  last="$(tail -c 4096 "$AL_LOGS/$1.err" 2>/dev/null | grep -v '^\s*$' | tail -n 1 | cut -c1-120)"
  if [ "$2" = 124 ]; then echo "timed out (log: work/logs.$AL_MODE/$1.err)"; return; fi
  echo "failed, exit $2${last:+: $last} (log: work/logs.$AL_MODE/$1.err)"
}

# al_value NAME KEY [UNIT_REGEX]: the value of "RESULT KEY v" in NAME's stdout; failing
# that, the last number directly followed by a unit matching UNIT_REGEX (for bench
# programs that print prose), in stdout then stderr.
al_value() {
  local v
  v="$(al_result "$AL_LOGS/$1.out" "$2")"
  if [ -z "$v" ] && [ -n "${3:-}" ]; then
    v="$(cat "$AL_LOGS/$1.out" "$AL_LOGS/$1.err" 2>/dev/null | grep -oE "[0-9][0-9,]*(\.[0-9]+)? ?($3)" \
         | tail -n 1 | grep -oE '^[0-9][0-9,]*(\.[0-9]+)?' | tr -d ,)"
  fi
  echo "$v"
}

# al_pipeline_has SUBCOMMAND: true when the built auralith-pipeline has SUBCOMMAND.
al_pipeline_has() {
  [ -x "$AL_PIPELINE" ] && "$AL_PIPELINE" "$1" --help >/dev/null 2>&1
}

# al_unavailable NAME: true when a run's stderr says the capability is not in this build.
al_unavailable() { grep -qi "not available" "$AL_LOGS/$1.err" 2>/dev/null; }

# al_node_ok: true when node and the peers' npm packages are installed.
al_node_ok() { command -v node >/dev/null && [ -f "$AL_BENCH_DIR/node_modules/.auralith-bench-stamp" ]; }

# The tokenizers root the pipeline reads (<root>/text -> the tokenizer under test), made
# by whichever section needs it first: `run.sh --only scale` works on a fresh work dir.
al_tokroot() {
  local tokroot="$AL_WORK/tokroot-$AL_MODE"
  if [ ! -e "$tokroot/text/vocab.json" ]; then
    rm -rf "$tokroot"; mkdir -p "$tokroot"; ln -s "$AL_TOKDIR" "$tokroot/text"
  fi
  echo "$tokroot"
}
