#!/bin/bash
# Interleaved before/after of two build directories on a shared, noisy host: ROUNDS
# rounds, each running the old build's program and then the new one's, so both see the
# same minute of host load. Per metric it prints the median over the rounds and in how
# many rounds the new build was better. Programs: bench_dispatch (memory store),
# bench_conn, and `submit-job --embedded` over INPUT_DIR (end to end).
#
#   bench/ab_builds.sh OLD_BUILD_DIR NEW_BUILD_DIR INPUT_DIR TOKENIZERS_DIR [ROUNDS] [CONNS] [SECONDS]
set -euo pipefail
usage="usage: ab_builds.sh OLD_BUILD NEW_BUILD INPUT_DIR TOKENIZERS_DIR [ROUNDS] [CONNS] [SECONDS]"
old=${1:?$usage}
new=${2:?$usage}
input=${3:?$usage}
tok=${4:?$usage}
rounds=${5:-3}
conns=${6:-2000}
secs=${7:-15}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/c.yaml" <<EOF
coordinator:
  host: 127.0.0.1
  state_store_type: memory
EOF

# one value per line: "<metric> <value>"
dispatch() { "$1/bench/bench_dispatch" --tasks 100000 --workers 32 --store memory 2>/dev/null |
  awk '$1 == "RESULT" && ($2 == "dispatch_tasks_per_s" || $2 == "dispatch_coord_us_per_task") {print $2, $3}'; }
conn() { "$1/bench/bench_conn" --connections "$conns" --seconds "$secs" --heartbeat-timeout 5 2>/dev/null |
  awk '$1 == "RESULT" && ($2 ~ /^conn_(rss_bytes_per_conn|hb_p50_ms|hb_p99_ms|false_dead|refused)$/) {print $2, $3}'; }
e2e() {
  rm -rf "$work/out"
  local t0 t1
  t0=$(date +%s.%N)
  "$1/auralith-pipeline" submit-job --embedded -w 2 -c "$work/c.yaml" -i "$input" -o "$work/out" -t "$tok" \
    --max-seq-len 4096 >/dev/null 2>&1 || { echo "e2e_seconds failed"; return; }
  t1=$(date +%s.%N)
  echo "e2e_seconds $(echo "$t1 - $t0" | bc)"
}

for _ in $(seq "$rounds"); do
  for prog in dispatch conn e2e; do
    $prog "$old" | sed 's/^/old /' >> "$work/r"
    $prog "$new" | sed 's/^/new /' >> "$work/r"
  done
done

median() { sort -n | awk '{v[NR] = $1} END {if (NR == 0) {print "-"; exit} print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf '| metric | old (median) | new (median) | new better in |\n|---|---|---|---|\n'
for m in dispatch_tasks_per_s dispatch_coord_us_per_task conn_rss_bytes_per_conn conn_hb_p50_ms conn_hb_p99_ms \
         conn_false_dead conn_refused e2e_seconds; do
  o=$(awk -v m="$m" '$1 == "old" && $2 == m {print $3}' "$work/r" | median)
  n=$(awk -v m="$m" '$1 == "new" && $2 == m {print $3}' "$work/r" | median)
  # higher is better only for tasks/s; pairs are taken in order (round i old vs new)
  better=$(paste <(awk -v m="$m" '$1 == "old" && $2 == m {print $3}' "$work/r") \
                 <(awk -v m="$m" '$1 == "new" && $2 == m {print $3}' "$work/r") |
           awk -v hi="$([ "$m" = dispatch_tasks_per_s ] && echo 1 || echo 0)" \
             '{ if ((hi && $2 > $1) || (!hi && $2 < $1)) b++ } END {printf "%d of %d", b, NR}')
  printf '| %s | %s | %s | %s |\n' "$m" "$o" "$n" "$better"
done
echo "rounds: $rounds; bench_conn: $conns connections, $secs s; e2e: $(find "$input" -type f | wc -l) files," \
  "$(du -sb "$input" | cut -f1) bytes, 2 embedded workers"
