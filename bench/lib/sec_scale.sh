# Job-scale section (sourced by run.sh): one job of AL_SCALE_TASKS small tasks (one empty
# file per task) submitted to an external coordinator with the memory store and two
# worker processes: submit time, coordinator RSS after the submit, dispatch rate.

al_make_small_tree() { # DIR COUNT: COUNT empty files in folders of 1,000 (once).
  local dir="$1" n="$2" d
  [ -f "$dir.count" ] && [ "$(cat "$dir.count")" = "$n" ] && return 0 # stamp beside the tree, not in it
  rm -rf "$dir" "$dir.count"; mkdir -p "$dir"
  al_log "creating $n empty files under $dir (once)"
  for d in $(seq 0 $(( (n + 999) / 1000 - 1 ))); do
    mkdir -p "$dir/d$d"
    (cd "$dir/d$d" && seq -f 'f%04g.txt' 0 $(( (n - d * 1000 > 1000 ? 1000 : n - d * 1000) - 1 )) | xargs touch)
  done
  echo "$n" >"$dir.count"
}

sec_scale() {
  local n="$AL_SCALE_TASKS" label tree cport cfg cpid w1 w2 out rc jid t0 t1 rss st done_t el
  label="job of $(al_fmt "$n") small tasks"
  if ! al_pipeline_has submit-job; then
    al_row "$label" "not available" "" "" "" "" "auralith-pipeline not built"; return
  fi
  if [ -z "${AL_TOKDIR:-}" ]; then
    al_row "$label" "not available" "" "" "" "" "no text tokenizer"; return
  fi
  tree="$AL_WORK/small-tree-$n"
  cport="$(al_free_port)"; cfg="$AL_WORK/scale-$AL_MODE.yaml"
  al_e2e_config "$cfg" "$cport" 6379 memory 1
  al_bg scale_coordinator "$AL_PIPELINE" coordinator -c "$cfg" --host 127.0.0.1 --port "$cport"; cpid=$AL_BG_PID
  if ! al_wait_port "$cport" 100; then
    al_row "$label" "not available" "" "" "" "" \
      "coordinator did not listen: $(tail -n 1 "$AL_LOGS/scale_coordinator.err" 2>/dev/null | cut -c1-100)"
    al_stop_pid "$cpid"; return
  fi
  al_make_small_tree "$tree" "$n" # only once a coordinator runs: a million files is not free
  al_bg scale_worker1 "$AL_PIPELINE" worker -c "$cfg" --coordinator "127.0.0.1:$cport" --worker-id scale-w1 --state-store memory; w1=$AL_BG_PID
  al_bg scale_worker2 "$AL_PIPELINE" worker -c "$cfg" --coordinator "127.0.0.1:$cport" --worker-id scale-w2 --state-store memory; w2=$AL_BG_PID
  out="$AL_WORK/scale-out"; rm -rf "$out"
  t0="$(al_now)"
  al_run scale_submit "$AL_TO_E2E" "$AL_PIPELINE" submit-job --external --detach -c "$cfg" \
    --coordinator "127.0.0.1:$cport" -i "$tree" -o "$out" -t "$(al_tokroot)" --files-per-task 1
  rc=$?
  t1="$(al_now)"
  rss="$(awk '/^VmRSS/ { print $2 }' "/proc/$cpid/status" 2>/dev/null)"
  if [ "$rc" != 0 ]; then
    al_stop_pid "$w1"; al_stop_pid "$w2"; al_stop_pid "$cpid"
    if al_unavailable scale_submit; then
      al_row "$label" "not available" "" "" "" "" "submit-job --external --detach is not available in this build yet"
    else
      al_row "$label" "failed" "" "" "" "" "$(al_fail_note scale_submit "$rc")"
    fi
    return
  fi
  jid="$(sed -nE 's/^Job ID: *([^ ]+).*/\1/p' "$AL_LOGS/scale_submit.out" | head -n 1)"
  [ -n "$jid" ] || jid="$(grep -oE '[A-Za-z0-9_.:-]+' "$AL_LOGS/scale_submit.out" | tail -n 1)"
  # Follow the job, bounded in time: job-status --json every second (each call at most 5 s)
  # until the job ends or AL_SCALE_WAIT seconds pass. The coordinator's own log line
  # "job <id> completed" also counts, so a coordinator that stops answering after the job
  # ended is reported as such instead of as an unfinished job.
  st="" done_t=""
  local deadline unresponsive=0
  # %.3f, not al_calc's %s: awk prints a non-integer as %.6g, so "now + wait" became
  # 1.7644e+09, a deadline up to hours off (and compared as a string by mawk).
  deadline="$(awk -v n="$(al_now)" -v w="$AL_SCALE_WAIT" 'BEGIN { printf "%.3f", n + w }')"
  while awk -v a="$(al_now)" -v b="$deadline" 'BEGIN { exit !(a + 0 < b + 0) }'; do
    if timeout 5 "$AL_PIPELINE" job-status --coordinator "127.0.0.1:$cport" --job-id "$jid" --json \
         >"$AL_LOGS/scale_status.tmp" 2>&1; then
      mv "$AL_LOGS/scale_status.tmp" "$AL_LOGS/scale_status.out"
      st="$(grep -oE '"status" *: *"[a-z_]+"' "$AL_LOGS/scale_status.out" | head -n 1 | grep -oE '[a-z_]+"$' | tr -d '"')"
    else
      unresponsive=$((unresponsive + 1))
    fi
    case "$st" in completed|completed_with_errors|failed|cancelled|timeout) done_t="$(al_now)"; break ;; esac
    if grep -qE "job $jid (completed|failed|cancelled)" "$AL_LOGS/scale_coordinator.err" 2>/dev/null; then
      done_t="$(al_now)"
      st="$(grep -oE "job $jid (completed|failed|cancelled)" "$AL_LOGS/scale_coordinator.err" | head -n 1 | awk '{ print $3 }') (from the coordinator's log)"
      break
    fi
    sleep 1
  done
  local peak; peak="$(al_peak_rss_kb "$cpid")"
  al_stop_pid "$w1"; al_stop_pid "$w2"; al_stop_pid "$cpid"
  al_row "$label: submit time, s" "$(al_fmt "$(al_calc "$t1 - $t0")")" "" "" "" "" "submit-job --external --detach, --files-per-task 1"
  al_row "$label: coordinator RSS after submit, kB" "$(al_fmt "${rss:-}")" "" "" "" "" "peak $(al_fmt "${peak:-?}") kB = $(al_fmt "$(al_calc "${peak:-0} * 1024 / $n")") bytes per task"
  if [ -n "$done_t" ]; then
    el="$(al_calc "$done_t - $t1")"
    al_row "$label: dispatch rate, tasks/s (2 workers)" "$(al_fmt "$(al_calc "$n / $el")")" "" "" "" "" \
      "job $st after $(al_fmt "$el") s$([ "$unresponsive" -gt 0 ] && echo "; job-status got no answer $unresponsive times (5 s each)")"
  else
    local done_n; done_n="$(grep -oE '"completed_tasks" *: *[0-9]+' "$AL_LOGS/scale_status.out" | grep -oE '[0-9]+$')"
    el="$(al_calc "$(al_now) - $t1")"
    al_row "$label: dispatch rate, tasks/s (2 workers)" "$(al_fmt "$(al_calc "${done_n:-0} / $el")")" "" "" "" "" \
      "job not finished within the bench's $AL_SCALE_WAIT s: $(al_fmt "${done_n:-0}") tasks completed in $(al_fmt "$el") s (status ${st:-unknown})"
  fi
}
