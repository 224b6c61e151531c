# Tokenizer section (sourced by run.sh): MB/s per core and with all cores on the prose and
# code corpora, ours (bench_tokenize) side by side with Hugging Face tokenizers and
# tiktoken GPT-2 in the same run, plus the id agreement rate between ours and HF.

# ours_tokenize NAME CORPUS THREADS -> MB/s on stdout (empty when unavailable).
ours_tokenize() {
  local bin="$AL_BUILD/bench/bench_tokenize"
  [ -x "$bin" ] || return 1
  al_run "$1" "$AL_TO_TOK" "$bin" --tokenizer "$AL_TOKDIR" --corpus "$2" --threads "$3" || return 1
  al_value "$1" tok_mb_s "MB/s"
}

hf_tokenize() {
  local name="$1" corpus="$2" threads="$3"
  al_node_ok || return 1
  if [ "$threads" = 1 ]; then
    al_run "$name" "$AL_TO_TOK" env RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false \
      node "$AL_BENCH_DIR/peers/hf_tokenize.js" --tokenizer "$AL_HF_JSON" --corpus "$corpus" \
      --threads 1 $AL_PEER_TIME || return 1
  else
    al_run "$name" "$AL_TO_TOK" env UV_THREADPOOL_SIZE="$threads" RAYON_NUM_THREADS="$threads" \
      node "$AL_BENCH_DIR/peers/hf_tokenize.js" --tokenizer "$AL_HF_JSON" --corpus "$corpus" \
      --threads "$threads" $AL_PEER_TIME || return 1
  fi
  al_value "$name" hf_mb_s
}

tiktoken_tokenize() {
  al_node_ok || return 1
  al_run "$1" "$AL_TO_TOK" node "$AL_BENCH_DIR/peers/tiktoken_bench.js" --corpus "$2" \
    --threads "$3" $AL_PEER_TIME || return 1
  al_value "$1" tiktoken_mb_s
}

sec_tokenize() {
  local n="$AL_NPROC" c f o1 on h1 hn t1 tn note met
  if [ -z "${AL_TOKDIR:-}" ]; then
    al_row "tokenizer" "not available" "" "" "" "" "no tokenizer to benchmark (no trainer, no tok_full)"
    return
  fi
  if al_node_ok; then
    AL_HF_JSON="$AL_WORK/hf-tokenizer-$AL_MODE.json"
    node "$AL_BENCH_DIR/peers/make_hf_tokenizer.js" "$AL_TOKDIR" "$AL_HF_JSON" 2>>"$AL_LOGS/make_hf.err" \
      || AL_HF_JSON=""
  fi
  local peer_note=""
  al_node_ok || peer_note="peers skipped: node packages not installed (bench/lib/install.sh)"
  [ -x "$AL_BUILD/bench/bench_tokenize" ] || note="ours: bench_tokenize not built yet"
  for c in prose code; do
    f="$AL_CORPUS/$c.txt"
    if [ ! -s "$f" ]; then
      al_row "tokenizer, $c" "not available" "" "" "" "" "empty corpus ${f#$AL_ROOT/}"
      continue
    fi
    if [ ! -s "$f" ]; then
      al_row "tokenizer, $c" "not available" "" "" "" "" "empty corpus ${f#$AL_ROOT/}"
      continue
    fi
    o1="$(ours_tokenize "tok_ours_${c}_1" "$f" 1)" || o1=""
    on="$(ours_tokenize "tok_ours_${c}_$n" "$f" "$n")" || on=""
    if [ -z "$o1" ] && [ -x "$AL_BUILD/bench/bench_tokenize" ]; then
      note="ours: $(al_fail_note "tok_ours_${c}_1" 1)"
    fi
    h1="$(hf_tokenize "tok_hf_${c}_1" "$f" 1)" || h1=""
    hn="$(hf_tokenize "tok_hf_${c}_$n" "$f" "$n")" || hn=""
    t1="$(tiktoken_tokenize "tok_tiktoken_${c}_1" "$f" 1)" || t1=""
    tn="$(tiktoken_tokenize "tok_tiktoken_${c}_$n" "$f" "$n")" || tn=""
    met="$(al_met "$o1" ">=" 100)"
    if [ -n "$met" ] && [ -n "$h1" ]; then
      local r; r="$(awk -v a="$o1" -v b="$h1" 'BEGIN { print (b > 0 && a / b >= 10) ? "yes" : "no" }')"
      [ "$met" = yes ] && [ "$r" = yes ] || met="NO (missed)"
    fi
    al_row "tokenizer, $c, 1 thread, MB/s (peer: HF tokenizers)" "$(al_fmt "$o1")" "$(al_fmt "$h1")" \
      "$(al_ratio "$o1" "$h1")" "≥ 100 MB/s and ≥ 10× HF" "$met" "${note:-$peer_note}"
    met=""
    if [ -n "$o1" ] && [ -n "$on" ] && [ "$n" -gt 1 ]; then
      met="$(al_met "$(al_calc "$on / $o1")" ">=" 1.5)"
    fi
    al_row "tokenizer, $c, $n threads, MB/s (peer: HF tokenizers)" "$(al_fmt "$on")" "$(al_fmt "$hn")" \
      "$(al_ratio "$on" "$hn")" "scales: ≥ 1.5× 1 thread" "$met" "$(al_value "tok_hf_${c}_$n" hf_mode | tr _ ' ')"
    printf -v "AL_OURS_${c}_N" '%s' "$on"
    al_row "tokenizer, $c, 1 thread, MB/s (peer: tiktoken GPT-2)" "$(al_fmt "$o1")" "$(al_fmt "$t1")" \
      "$(al_ratio "$o1" "$t1")" "" "" "different vocabulary (GPT-2, 50k byte-level)"
    al_row "tokenizer, $c, $n threads, MB/s (peer: tiktoken GPT-2)" "$(al_fmt "$on")" "$(al_fmt "$tn")" \
      "$(al_ratio "$on" "$tn")" "" "" "tiktoken: one WASM encoder per worker_thread"
  done
  sec_tokenize_agreement
}

# Id agreement between our encoder (auralith-pipeline encode) and the HF peer on a sample
# of documents from both corpora.
sec_tokenize_agreement() {
  local k="$AL_AGREE_DOCS" list="$AL_WORK/agree-$AL_MODE.list" ours="$AL_WORK/agree-$AL_MODE.ours" c d i=0 rc
  if ! al_node_ok || [ -z "${AL_HF_JSON:-}" ]; then
    al_row "tokenizer, ids equal to HF peer (sample)" "" "" "" "" "" "skipped: node packages not installed"
    return
  fi
  if ! al_pipeline_has encode; then
    al_row "tokenizer, ids equal to HF peer (sample)" "not available" "" "" "" "" "auralith-pipeline encode is not in this build"
    return
  fi
  : >"$list"
  for c in prose code; do
    awk -F'\t' -v k="$k" '$1 <= 65536 { p[++m] = $2 } END { step = m / k; if (step < 1) step = 1;
      for (x = 1; x <= m && n < k; x += step) { print p[int(x)]; n++ } }' "$AL_CORPUS/$c.txt.docs" >>"$list"
  done
  : >"$ours"
  while IFS= read -r d; do
    i=$((i + 1))
    al_run "encode_$i" 120 "$AL_PIPELINE" encode -t "$AL_TOKDIR" --no-special-tokens "$d"
    rc=$?
    if [ "$rc" != 0 ]; then
      if al_unavailable "encode_$i"; then
        al_row "tokenizer, ids equal to HF peer (sample)" "not available" "" "" "" "" "auralith-pipeline encode: not available yet"
      else
        al_row "tokenizer, ids equal to HF peer (sample)" "failed" "" "" "" "" "$(al_fail_note "encode_$i" "$rc")"
      fi
      return
    fi
    # Ours prints ids; keep every integer in order, one JSON array per document.
    printf '[%s]\n' "$(grep -oE -- '-?[0-9]+' "$AL_LOGS/encode_$i.out" | paste -sd, -)" >>"$ours"
  done <"$list"
  if al_run agreement 600 node "$AL_BENCH_DIR/peers/agreement.js" --tokenizer "$AL_HF_JSON" \
       --docs "$list" --ours "$ours"; then
    al_row "tokenizer, ids equal to HF peer ($(wc -l <"$list") documents)" \
      "$(al_value agreement agree_ids_pct)% of ids" "" "" "" "" \
      "$(al_value agreement agree_docs_pct)% of documents identical; differences: characters outside the vocabulary (byte fallback) and the </w> split"
  else
    al_row "tokenizer, ids equal to HF peer (sample)" "failed" "" "" "" "" "$(al_fail_note agreement $?)"
  fi
}
