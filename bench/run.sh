#!/usr/bin/env bash
# The one command for the full benchmark table (see bench/README.md):
#   bench/run.sh              full run: installs what it needs (apt, npm into
#                             bench/node_modules), builds build/, unpacks the Linux source,
#                             runs every section, prints the table and appends it to
#                             bench/RESULTS.md with the machine, date and exact commands.
#   bench/run.sh --smoke      tiny sizes, no install, no network, nothing recorded; peers
#                             are skipped with a note when their npm packages are missing.
# Options: --only proto,tokenize,dispatch,conn,e2e,scale   run some sections only
#          --no-install  --no-build  --no-record
# Environment: AL_BUILD (build dir, default build/), AL_TOKENIZER (tokenizer dir to use),
#   AL_SCALE_TASKS (tasks of the job-scale section, default 1,000,000),
#   AL_SMOKE_STRICT=1 (exit 1 when a row failed), AL_PROFILE=0 (no perf profile of misses).
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib/common.sh"
for f in tokenizer_select e2e_common sec_proto sec_tokenize sec_dispatch sec_conn sec_e2e sec_scale profile; do
  . "$HERE/lib/$f.sh"
done

AL_MODE=full install=1 build=1 record=1 only=""
ARGV_TEXT="bench/run.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) AL_MODE=smoke install=0 build=0 record=0 ;;
    --only) only="${2:-}"; shift ;;
    --only=*) only="${1#--only=}" ;;
    --no-install) install=0 ;;
    --no-build) build=0 ;;
    --no-record) record=0 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

AL_NPROC="$(nproc)"
AL_PIPELINE="$AL_BUILD/auralith-pipeline"
AL_LOGS="$AL_WORK/logs.$AL_MODE"
AL_ROWS="$AL_WORK/rows.$AL_MODE.tsv"
AL_CMDS="$AL_WORK/commands.$AL_MODE.tsv"
AL_NOTES="$AL_WORK/notes.$AL_MODE.md"
rm -rf "$AL_LOGS"; mkdir -p "$AL_LOGS"; : >"$AL_ROWS"; : >"$AL_CMDS"; : >"$AL_NOTES"
trap 'al_cleanup' EXIT
trap 'al_cleanup; exit 130' INT TERM

if [ "$AL_MODE" = full ]; then
  AL_DISPATCH_TASKS=100000 AL_BULLMQ_CONC=50,100,200 AL_CONN_N=10000 AL_CONN_SECONDS=60
  AL_SCALE_TASKS="${AL_SCALE_TASKS:-1000000}" AL_SCALE_WAIT=600 AL_AGREE_DOCS=20 AL_VOCAB=30000
  AL_PEER_TIME="--min-seconds 3 --max-passes 5" AL_BENCH_SIZE_FLAG="" AL_TOK_REPEAT=5 AL_PROTO_SECS=1
  AL_TO_TOK=900 AL_TO_SHORT=300 AL_TO_LONG=900 AL_TO_E2E=3600
else
  AL_DISPATCH_TASKS=2000 AL_BULLMQ_CONC=50 AL_CONN_N=50 AL_CONN_SECONDS=3
  AL_SCALE_TASKS=2000 AL_SCALE_WAIT=10 AL_AGREE_DOCS=2 AL_VOCAB=500
  AL_PEER_TIME="--min-seconds 0 --max-passes 1" AL_BENCH_SIZE_FLAG="--smoke" AL_TOK_REPEAT=1 AL_PROTO_SECS=0.05
  AL_TO_TOK=20 AL_TO_SHORT=20 AL_TO_LONG=20 AL_TO_E2E=20
fi
AL_PROFILE="${AL_PROFILE:-$([ "$AL_MODE" = full ] && echo 1 || echo 0)}"

want() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

if [ "$install" = 1 ]; then
  bash "$HERE/lib/install.sh" || { al_log "installation failed"; exit 1; }
fi
if [ "$build" = 1 ]; then
  al_log "building $AL_BUILD (RelWithDebInfo, as scripts/setup.sh ships it)"
  { cmake -S "$AL_ROOT" -B "$AL_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null \
    && cmake --build "$AL_BUILD" -j"$AL_NPROC" >"$AL_LOGS/build.log" 2>&1; } \
    || al_log "build failed (see $AL_LOGS/build.log); running what exists"
fi

if [ "$AL_MODE" = full ]; then
  AL_CORPUS="$(bash "$HERE/lib/corpora.sh")" || { al_log "corpora failed"; exit 1; }
  AL_E2E_TREE="${AL_E2E_TREE:-$AL_WORK/linux-source-6.1}"
else
  AL_CORPUS="$(bash "$HERE/lib/corpora.sh" --smoke)" || { al_log "smoke corpora failed"; exit 1; }
  AL_E2E_TREE="$AL_CORPUS/tree"
fi

if want tokenize || want e2e || want scale; then
  al_select_tokenizer "$AL_CORPUS/prose.txt" "$AL_VOCAB" || al_log "no text tokenizer found"
fi

started="$(date -u '+%Y-%m-%d %H:%M UTC')"
want proto && sec_proto
want tokenize && sec_tokenize
want dispatch && sec_dispatch
want conn && sec_conn
want e2e && sec_e2e
want scale && sec_scale
al_cleanup

if [ "$AL_PROFILE" = 1 ]; then al_profile_misses; fi

table="$AL_WORK/table.$AL_MODE.md"
bash "$HERE/lib/table.sh" "$AL_ROWS" >"$table"
cat "$table"

report="$AL_WORK/report.$AL_MODE.md"
{
  echo "## $started, $AL_MODE run"
  echo
  echo "Command: \`$ARGV_TEXT\`"
  echo
  al_machine
  echo "- text tokenizer under test: ${AL_TOKDESC:-none}"
  echo "- corpora: $(for c in prose code; do [ -f "$AL_CORPUS/$c.txt" ] && printf '%s %s bytes in %s files; ' "$c" \
        "$(al_fmt "$(stat -c %s "$AL_CORPUS/$c.txt")")" "$(al_fmt "$(wc -l <"$AL_CORPUS/$c.txt.docs")")"; done)MB = 10^6 bytes"
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: ratios from the same run count more than absolute figures)"
  echo
  cat "$table"
  if [ -s "$AL_NOTES" ]; then echo; cat "$AL_NOTES"; fi
  echo
  echo "<details><summary>Exact commands of this run (paths relative to the repository)</summary>"
  echo
  echo '```'
  awk -F'\t' '{ printf "# %s\n%s\n", $1, $2 }' "$AL_CMDS"
  echo '```'
  echo "</details>"
  echo
} >"$report"

if [ "$record" = 1 ]; then
  cat "$report" >>"$HERE/RESULTS.md"
  al_log "appended to bench/RESULTS.md"
else
  al_log "report in ${report#$AL_ROOT/} (not recorded: --smoke or --no-record)"
fi

if [ "${AL_SMOKE_STRICT:-0}" = 1 ] && grep -qP '\t(failed|timed out)' "$AL_ROWS"; then
  al_log "some rows failed (AL_SMOKE_STRICT=1)"
  exit 1
fi
exit 0
