# End-to-end section (sourced by run.sh): `submit-job --embedded` over a real file tree,
# then the same job in external mode (coordinator + 2 worker processes + Redis).
# Reports files/s, MB/s, tokens/s, the ratio to the pure tokenizer on the same cores,
# the external/embedded ratio, and peak RSS.

al_timed() { # NAME TIMEOUT CMD... : al_run with wall time in AL_ELAPSED and, when GNU
  local name="$1" to="$2" t0 t1 rc; shift 2  # time exists, peak RSS (kB) in AL_PEAK_KB.
  AL_PEAK_KB=""
  t0="$(al_now)"
  if [ -x /usr/bin/time ]; then
    al_run "$name" "$to" /usr/bin/time -o "$AL_LOGS/$name.time" -f '%M' "$@"; rc=$?
    AL_PEAK_KB="$(tail -n 1 "$AL_LOGS/$name.time" 2>/dev/null | grep -E '^[0-9]+$')"
  else
    al_run "$name" "$to" "$@"; rc=$?
  fi
  t1="$(al_now)"
  AL_ELAPSED="$(al_calc "$t1 - $t0")"
  return "$rc"
}

sec_e2e_one_tree() { # LABEL TREE TAG
  local label="$1" tree="$2" tag="$3" files bytes prose out rc tokens mbs fps tps ref ratio
  read -r files bytes prose <<<"$(al_tree_stats "$tree")"
  local tokroot; tokroot="$(al_tokroot)"
  local cfg="$AL_WORK/e2e-$AL_MODE.yaml"
  al_e2e_config "$cfg" "$(al_free_port)" 6379 memory "$AL_NPROC"
  out="$AL_WORK/e2e-out-$tag-embedded"; rm -rf "$out"
  al_timed "e2e_${tag}_embedded" "$AL_TO_E2E" "$AL_PIPELINE" submit-job --embedded -w "$AL_NPROC" \
    -c "$cfg" -i "$tree" -o "$out" -t "$tokroot" --max-seq-len 4096 --shard-size 10000
  rc=$?
  if [ "$rc" != 0 ]; then
    if al_unavailable "e2e_${tag}_embedded"; then
      al_row "end to end, embedded, $label" "not available" "" "" "" "" "submit-job --embedded is not available in this build yet"
    else
      al_row "end to end, embedded, $label" "failed" "" "" "" "" "$(al_fail_note "e2e_${tag}_embedded" "$rc")"
    fi
    return 1
  fi
  local el="$AL_ELAPSED" peak="$AL_PEAK_KB" skn skb tb
  read -r tokens skn skb <<<"$(al_job_stats "$out" "$AL_LOGS/e2e_${tag}_embedded.out")"
  tb=$(( bytes - ${skb:-0} )) # input bytes of the files that were tokenized
  mbs="$(al_calc "$tb / $el / 1e6")"; fps="$(al_calc "$files / $el")"
  [ -n "$tokens" ] && tps="$(al_calc "$tokens / $el")"
  # Pure tokenizer on the same cores (bench_tokenize, all threads), blended by the tree's
  # prose and other bytes. Compared in ids per second: samples are cut at --max-seq-len,
  # and the encoder stops there, so input MB/s would flatter the pipeline.
  local ref="" ref_tps="" ratio_mb=""
  ratio=""
  if [ -n "${AL_OURS_prose_N:-}" ] && [ -n "${AL_OURS_code_N:-}" ]; then
    ref="$(al_calc "($tb / 1e6) / (($prose / 1e6) / $AL_OURS_prose_N + (($tb - $prose) / 1e6) / $AL_OURS_code_N)")"
    ratio_mb="$(awk -v a="$mbs" -v b="$ref" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b }')"
    if [ -n "${AL_OURS_prose_BPI:-}" ] && [ -n "${AL_OURS_code_BPI:-}" ]; then
      ref_tps="$(al_calc "($prose / $AL_OURS_prose_BPI + ($tb - $prose) / $AL_OURS_code_BPI) / ($prose / ($AL_OURS_prose_N * 1e6) + ($tb - $prose) / ($AL_OURS_code_N * 1e6))")"
      ratio="$(awk -v a="${tps:-}" -v b="$ref_tps" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b }')"
    fi
  fi
  al_row "end to end, embedded -w $AL_NPROC, $label: MB/s" "$(al_fmt "$mbs")" "" "" "" "" \
    "$(al_fmt "$files") files ($(al_fmt "${skn:-0}") skipped: unclassified or blank), $(al_fmt "$(al_calc "$tb / 1e6")") MB tokenized of $(al_fmt "$(al_calc "$bytes / 1e6")") MB, in $(al_fmt "$el") s; peak RSS $(al_fmt "${peak:-?}") kB"
  al_row "end to end, embedded, $label: files/s" "$(al_fmt "$fps")" "" "" "" "" ""
  al_row "end to end, embedded, $label: tokens/s" "$(al_fmt "${tps:-}")" "" "" "" "" "${tokens:+$(al_fmt "$tokens") tokens written (samples cut at --max-seq-len 4096)}"
  local ratio_note="pure tokenizer: ${ref_tps:+$(al_fmt "$ref_tps") ids/s, }${ref:+$(al_fmt "$ref") MB/s}; by input MB/s the ratio is ${ratio_mb:-?} (flattering: long files are cut at 4096 ids)"
  [ -z "$ref" ] && ratio_note="not measured: the pure tokenizer figures come from the tokenize section, which did not run (use --only tokenize,e2e)"
  al_row "end to end, embedded, $label: ratio to pure tokenizer, same cores (ids/s)" "${ratio:-}" "" "" "≥ 0.8" "$(al_met "$ratio" ">=" 0.8)" \
    "$ratio_note"
  AL_E2E_EMB_MBS="$mbs"
  # A small tree is cheap to repeat: hyperfine gives mean and spread over several runs.
  if [ "$tag" = adminguide ] && command -v hyperfine >/dev/null; then
    local hj="$AL_LOGS/e2e_${tag}_hyperfine.json" cmd
    cmd="$(printf '%q ' "$AL_PIPELINE" submit-job --embedded -w "$AL_NPROC" -c "$cfg" -i "$tree" -o "$out" \
      -t "$tokroot" --max-seq-len 4096 --shard-size 10000)"
    if al_run "e2e_${tag}_hyperfine" 900 hyperfine --runs 5 --warmup 1 --prepare "rm -rf $(printf '%q' "$out")" \
         --export-json "$hj" "$cmd"; then
      local mean sd
      mean="$(grep -oE '"mean": *[0-9.eE+-]+' "$hj" | head -n 1 | grep -oE '[0-9.eE+-]+$')"
      sd="$(grep -oE '"stddev": *[0-9.eE+-]+' "$hj" | head -n 1 | grep -oE '[0-9.eE+-]+$')"
      [ -n "$mean" ] && al_row "end to end, embedded, $label: MB/s over 5 runs (hyperfine)" \
        "$(al_fmt "$(al_calc "$tb / $mean / 1e6")")" "" "" "" "" \
        "mean $(al_fmt "$mean") s ± $(al_fmt "${sd:-0}") s per job"
    fi
  fi
  return 0
}

sec_e2e_external() { # LABEL TREE TAG
  local label="$1" tree="$2" tag="$3" cport cfg out rc files bytes prose cpid w1 w2 ck w1k w2k
  read -r files bytes prose <<<"$(al_tree_stats "$tree")"
  if ! al_redis_start; then
    al_row "end to end, external, $label" "failed" "" "" "" "" "redis-server could not start"; return
  fi
  cport="$(al_free_port)"; cfg="$AL_WORK/e2e-ext-$AL_MODE.yaml"
  local per=$(( AL_NPROC / 2 )); [ "$per" -ge 1 ] || per=1
  al_e2e_config "$cfg" "$cport" "$AL_REDIS_PORT" redis "$per"
  al_bg coordinator "$AL_PIPELINE" coordinator -c "$cfg" --host 127.0.0.1 --port "$cport"; cpid=$AL_BG_PID
  if ! al_wait_port "$cport" 100; then
    al_row "end to end, external, 2 workers, $label" "not available" "" "" "" "" \
      "coordinator did not listen: $(tail -n 1 "$AL_LOGS/coordinator.err" 2>/dev/null | cut -c1-100)"
    al_stop_pid "$cpid"; al_redis_stop; return
  fi
  al_bg worker1 "$AL_PIPELINE" worker -c "$cfg" --coordinator "127.0.0.1:$cport" --worker-id bench-w1; w1=$AL_BG_PID
  al_bg worker2 "$AL_PIPELINE" worker -c "$cfg" --coordinator "127.0.0.1:$cport" --worker-id bench-w2; w2=$AL_BG_PID
  out="$AL_WORK/e2e-out-$tag-external"; rm -rf "$out"
  al_timed "e2e_${tag}_external" "$AL_TO_E2E" "$AL_PIPELINE" submit-job --external -c "$cfg" \
    --coordinator "127.0.0.1:$cport" -i "$tree" -o "$out" -t "$(al_tokroot)" \
    --max-seq-len 4096 --shard-size 10000
  rc=$?
  ck="$(al_peak_rss_kb "$cpid")"; w1k="$(al_peak_rss_kb "$w1")"; w2k="$(al_peak_rss_kb "$w2")"
  al_stop_pid "$w1"; al_stop_pid "$w2"; al_stop_pid "$cpid"; al_redis_stop
  if [ "$rc" != 0 ]; then
    al_row "end to end, external, 2 workers, $label" "failed" "" "" "" "" "$(al_fail_note "e2e_${tag}_external" "$rc")"
    return
  fi
  local mbs ratio tokens skn skb
  read -r tokens skn skb <<<"$(al_job_stats "$out" "$AL_LOGS/e2e_${tag}_external.out")"
  mbs="$(al_calc "($bytes - ${skb:-0}) / $AL_ELAPSED / 1e6")"
  ratio="$(awk -v a="$mbs" -v b="${AL_E2E_EMB_MBS:-}" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b }')"
  al_row "end to end, external (Redis, 2 worker processes), $label: MB/s" "$(al_fmt "$mbs")" "" "" "" "" \
    "$(al_fmt "$files") files/$(al_fmt "$AL_ELAPSED") s = $(al_fmt "$(al_calc "$files / $AL_ELAPSED")") files/s"
  al_row "end to end, external / embedded throughput" "${ratio:-}" "" "" "≥ 0.9" "$(al_met "$ratio" ">=" 0.9)" ""
  al_row "end to end, external: peak RSS, kB" "coordinator $(al_fmt "${ck:-?}"), workers $(al_fmt "${w1k:-?}") / $(al_fmt "${w2k:-?}")" "" "" "" "" "VmHWM before shutdown"
}

sec_e2e() {
  if ! al_pipeline_has submit-job; then
    al_row "end to end" "not available" "" "" "" "" "auralith-pipeline not built"
    return
  fi
  if [ -z "${AL_TOKDIR:-}" ]; then
    al_row "end to end" "not available" "" "" "" "" "no text tokenizer"
    return
  fi
  if [ "$AL_MODE" = full ]; then
    local ag="$AL_WORK/linux-source-6.1/Documentation/admin-guide"
    sec_e2e_one_tree "Documentation/admin-guide" "$ag" adminguide || return
    sec_e2e_one_tree "Linux 6.1 source tree" "$AL_E2E_TREE" linux || return
    sec_e2e_external "Linux 6.1 source tree" "$AL_E2E_TREE" linux
  else
    sec_e2e_one_tree "smoke tree (repo src/, docs/)" "$AL_E2E_TREE" smoke || return
    sec_e2e_external "smoke tree" "$AL_E2E_TREE" smoke
  fi
}
