# Dispatch section (sourced by run.sh): no-op tasks through our coordinator with 32 worker
# connections over loopback (bench_dispatch), memory and Redis stores, and the same number
# of no-op jobs through BullMQ on the same redis-server, in the same run.
ours_dispatch() { # NAME STORE [extra args] -> tasks/s
  local name="$1" store="$2" bin="$AL_BUILD/bench/bench_dispatch"; shift 2
  [ -x "$bin" ] || return 1
  al_run "$name" "$AL_TO_LONG" "$bin" --tasks "$AL_DISPATCH_TASKS" --workers 32 --store "$store" "$@" || return 1
  al_value "$name" dispatch_tasks_per_s "tasks/s"
}

sec_dispatch() {
  local mem="" red="" bull="" benq="" bc="" note_ours="" note_peer="" redis_ok=0
  local bin="$AL_BUILD/bench/bench_dispatch"
  [ -x "$bin" ] || note_ours="bench_dispatch not built yet"
  if [ -x "$bin" ]; then
    mem="$(ours_dispatch dispatch_memory memory)" || { mem="failed"; note_ours="$(al_fail_note dispatch_memory 1)"; }
  fi
  if al_redis_start; then redis_ok=1; fi
  if [ "$redis_ok" = 1 ] && [ -x "$bin" ]; then
    red="$(ours_dispatch dispatch_redis redis --redis-host 127.0.0.1 --redis-port "$AL_REDIS_PORT")" \
      || { red="failed"; note_ours="$(al_fail_note dispatch_redis 1)"; }
  fi
  if [ "$redis_ok" = 1 ] && al_node_ok; then
    if al_run bullmq "$AL_TO_LONG" node "$AL_BENCH_DIR/peers/bullmq_bench.js" --host 127.0.0.1 \
         --port "$AL_REDIS_PORT" --jobs "$AL_DISPATCH_TASKS" --concurrency "$AL_BULLMQ_CONC"; then
      bull="$(al_value bullmq bullmq_processed_per_s)"
      benq="$(al_value bullmq bullmq_enqueued_per_s)"
      bc="$(al_value bullmq bullmq_concurrency)"
      note_peer="BullMQ 6.7, one Worker, best concurrency of $AL_BULLMQ_CONC: $bc, removeOnComplete"
    else
      note_peer="BullMQ $(al_fail_note bullmq $?)"
    fi
  elif ! al_node_ok; then
    note_peer="peer skipped: node packages not installed (bench/lib/install.sh)"
  else
    note_peer="peer skipped: redis-server could not start"
  fi
  al_redis_stop
  local n; n="$(al_fmt "$AL_DISPATCH_TASKS")"
  al_row "dispatch, $n no-op tasks, 32 workers, memory store, tasks/s (peer: BullMQ)" \
    "$(al_fmt "${mem:-not available}")" "$(al_fmt "$bull")" "$(al_ratio "$mem" "$bull")" "≥ 200,000" \
    "$(al_met "$mem" ">=" 200000)" "${note_ours:-$note_peer}"
  al_row "dispatch, $n no-op tasks, 32 workers, Redis store, tasks/s (peer: BullMQ)" \
    "$(al_fmt "${red:-not available}")" "$(al_fmt "$bull")" "$(al_ratio "$red" "$bull")" "≥ 50,000" \
    "$(al_met "$red" ">=" 50000)" "${note_ours:-$note_peer}"
  if [ -n "$benq" ]; then
    al_row "BullMQ enqueue with addBulk, jobs/s" "" "$(al_fmt "$benq")" "" "" "" "peer only: 1,000 jobs per addBulk call"
  fi
}
