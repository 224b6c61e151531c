# Profiles of missed targets (sourced by run.sh): for each missed row whose program we can
# rerun on its own, a short `perf record` and the top symbols go into the notes.
al_profile_cmd() { # NAME TITLE CMD...
  local name="$1" title="$2"; shift 2
  command -v perf >/dev/null || { echo "- $title: perf is not installed" >>"$AL_NOTES"; return; }
  local data="$AL_LOGS/$name.perf.data"
  if ! timeout 300 perf record -q -F 499 -g -o "$data" -- "$@" >/dev/null 2>"$AL_LOGS/$name.perf.err"; then
    echo "- $title: perf record failed: $(tail -n 1 "$AL_LOGS/$name.perf.err")" >>"$AL_NOTES"; return
  fi
  {
    echo "- $title: where the time goes (\`perf record -F 499 -g\`, self time, top symbols):"
    echo
    echo '```'
    # bench_conn's forked coordinator names itself al-coordinator: profile only that process
    local comm=""; [ "$name" = prof_conn ] && comm="--comm al-coordinator"
    perf report -i "$data" --stdio --no-children $comm --sort dso,symbol --percent-limit 2 2>/dev/null \
      | grep -E '^ +[0-9.]+%' | head -n 15
    echo '```'
  } >>"$AL_NOTES"
}

al_profile_misses() {
  local n="$AL_NPROC"
  if grep -P '^tokenizer, prose, 1 thread.*\tNO \(missed\)' "$AL_ROWS" >/dev/null; then
    al_profile_cmd prof_tok "tokenizer, prose, 1 thread" "$AL_BUILD/bench/bench_tokenize" \
      "$AL_TOKDIR" "$AL_CORPUS/prose.txt" 1 1
  fi
  if grep -P '^tokenizer, code, 1 thread.*\tNO \(missed\)' "$AL_ROWS" >/dev/null; then
    al_profile_cmd prof_tok_code "tokenizer, code, 1 thread" "$AL_BUILD/bench/bench_tokenize" \
      "$AL_TOKDIR" "$AL_CORPUS/code.txt" 1 1
  fi
  if grep -P '^dispatch.*memory store.*\tNO \(missed\)' "$AL_ROWS" >/dev/null; then
    al_profile_cmd prof_dispatch "dispatch, memory store" "$AL_BUILD/bench/bench_dispatch" \
      --tasks "$AL_DISPATCH_TASKS" --workers 32 --store memory
  fi
  if grep -P '^connections: .*\tNO \(missed\)' "$AL_ROWS" >/dev/null && [ -x "$AL_BUILD/bench/bench_conn" ]; then
    al_profile_cmd prof_conn "connections (coordinator process during $AL_CONN_N connections: joins, then 15 s of heartbeats)" \
      "$AL_BUILD/bench/bench_conn" --connections "$AL_CONN_N" --seconds 15 --heartbeat-timeout 5
  fi
  if grep -P '^end to end, embedded, Linux.*ratio to pure tokenizer.*\tNO \(missed\)' "$AL_ROWS" >/dev/null; then
    local out="$AL_WORK/e2e-out-profile"
    rm -rf "$out"
    al_profile_cmd prof_e2e "end to end, embedded, Linux tree (the whole submit-job process)" \
      "$AL_PIPELINE" submit-job --embedded -w "$n" -c "$AL_WORK/e2e-$AL_MODE.yaml" -i "$AL_E2E_TREE" \
      -o "$out" -t "$(al_tokroot)" --max-seq-len 4096 --shard-size 10000
    rm -rf "$out"
  fi
}
