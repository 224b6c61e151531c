# Tokenizer section (sourced by run.sh): MB/s per core and with all cores on the prose and
# code corpora, ours (bench_tokenize) side by side with Hugging Face tokenizers and
# tiktoken GPT-2 in the same run, plus the id agreement rate between ours and HF.

# Each runner sets AL_T_WALL (MB/s, wall clock) and AL_T_CPU (MB per CPU-second, empty
# when not measured) and returns non-zero when the program is missing or failed.

# Ours: bench_tokenize TOKENIZER_DIR FILE THREADS REPEAT. It prints "RESULT tok_mb_s v"
# (and tok_mb_cpu_s), or one markdown row "| file | MB | merges | threads | MB/s total |
# MB/s per thread | MB/s per thread from thread CPU time | ids | bytes/id |".
# Seconds and MB/s of one bench_tokenize row (MB of decoded text / MB/s).
tok_seconds() { awk -F'|' 'NF >= 10 && $6 + 0 > 0 { v = $3 / $6 } END { if (v != "") printf "%.4f", v }' "$1"; }
tok_mb_s() { awk -F'|' 'NF >= 10 && $6 ~ /[0-9]/ { v = $6 } END { gsub(/ /, "", v); print v }' "$1"; }

ours_tokenize() {
  local name="$1" bin="$AL_BUILD/bench/bench_tokenize"
  AL_T_WALL="" AL_T_CPU="" AL_T_BPI=""
  [ -x "$bin" ] || return 1
  al_run "$name" "$AL_TO_TOK" "$bin" "$AL_TOKDIR" "$2" "$3" "$AL_TOK_REPEAT" || return 1
  AL_T_WALL="$(al_result "$AL_LOGS/$name.out" tok_mb_s)"
  AL_T_CPU="$(al_result "$AL_LOGS/$name.out" tok_mb_cpu_s)"
  if [ -z "$AL_T_WALL" ]; then
    AL_T_WALL="$(tok_mb_s "$AL_LOGS/$name.out")"
    [ "$3" = 1 ] && AL_T_CPU="$(awk -F'|' 'NF >= 10 && $8 ~ /[0-9]/ { v = $8 } END { gsub(/ /, "", v); print v }' "$AL_LOGS/$name.out")"
    AL_T_BPI="$(awk -F'|' 'NF >= 10 && $10 ~ /[0-9]/ { v = $10 } END { gsub(/ /, "", v); print v }' "$AL_LOGS/$name.out")"
  fi
  [ -n "$AL_T_WALL" ] || AL_T_WALL="$(al_value "$name" tok_mb_s "MB/s")"
  [ -n "$AL_T_WALL" ]
}

hf_tokenize() {
  local name="$1" corpus="$2" threads="$3"
  AL_T_WALL="" AL_T_CPU=""
  al_node_ok && [ -n "${AL_HF_JSON:-}" ] || return 1
  if [ "$threads" = 1 ]; then
    al_run "$name" "$AL_TO_TOK" env RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false \
      node "$AL_BENCH_DIR/peers/hf_tokenize.js" --tokenizer "$AL_HF_JSON" --corpus "$corpus" \
      --threads 1 $AL_PEER_TIME || return 1
    AL_T_CPU="$(al_value "$name" hf_mb_cpu_s)"
  else
    al_run "$name" "$AL_TO_TOK" env UV_THREADPOOL_SIZE="$threads" RAYON_NUM_THREADS="$threads" \
      node "$AL_BENCH_DIR/peers/hf_tokenize.js" --tokenizer "$AL_HF_JSON" --corpus "$corpus" \
      --threads "$threads" $AL_PEER_TIME || return 1
  fi
  AL_T_WALL="$(al_value "$name" hf_mb_s)"
}

tiktoken_tokenize() {
  AL_T_WALL="" AL_T_CPU=""
  al_node_ok || return 1
  al_run "$1" "$AL_TO_TOK" node "$AL_BENCH_DIR/peers/tiktoken_bench.js" --corpus "$2" \
    --threads "$3" $AL_PEER_TIME || return 1
  AL_T_WALL="$(al_value "$1" tiktoken_mb_s)"
  AL_T_CPU="$(al_value "$1" tiktoken_mb_cpu_s)"
}

# al_met_tok OURS HF: "yes" when ours >= 100 MB/s and >= 10x HF, "NO (missed)" otherwise,
# empty when ours is missing.
al_met_tok() {
  local m; m="$(al_met "$1" ">=" 100)"
  [ -n "$m" ] || return 0
  if [ -n "$2" ] && ! awk -v a="$1" -v b="$2" 'BEGIN { exit !(b > 0 && a / b >= 10) }'; then m="NO (missed)"; fi
  echo "$m"
}

sec_tokenize() {
  local n="$AL_NPROC" c f note peer_note o1 o1c on h1 h1c hn hmode t1 tn met
  if [ -z "${AL_TOKDIR:-}" ]; then
    al_row "tokenizer" "not available" "" "" "" "" "no tokenizer to benchmark (no trainer, no tok_full)"
    return
  fi
  AL_HF_JSON=""
  if al_node_ok; then
    AL_HF_JSON="$AL_WORK/hf-tokenizer-$AL_MODE.json"
    node "$AL_BENCH_DIR/peers/make_hf_tokenizer.js" "$AL_TOKDIR" "$AL_HF_JSON" 2>>"$AL_LOGS/make_hf.err" \
      || AL_HF_JSON=""
  fi
  peer_note=""
  al_node_ok || peer_note="peers skipped: node packages not installed (bench/lib/install.sh)"
  for c in prose code; do
    f="$AL_CORPUS/$c.txt"
    if [ ! -s "$f" ]; then
      al_row "tokenizer, $c" "not available" "" "" "" "" "empty corpus ${f#$AL_ROOT/}"
      continue
    fi
    note=""
    [ -x "$AL_BUILD/bench/bench_tokenize" ] || note="ours: bench_tokenize not built yet"
    ours_tokenize "tok_ours_${c}_1" "$f" 1; o1="$AL_T_WALL" o1c="$AL_T_CPU"
    if [ -z "$o1" ] && [ -x "$AL_BUILD/bench/bench_tokenize" ]; then note="ours: $(al_fail_note "tok_ours_${c}_1" 1)"; o1="failed"; fi
    ours_tokenize "tok_ours_${c}_$n" "$f" "$n"; on="$AL_T_WALL"
    printf -v "AL_OURS_${c}_BPI" '%s' "$AL_T_BPI" # bytes per id, for the end-to-end ratio
    hf_tokenize "tok_hf_${c}_1" "$f" 1; h1="$AL_T_WALL" h1c="$AL_T_CPU"
    # smoke mode keeps to one-thread peers so the whole smoke run stays far below 60 s
    AL_T_WALL=""; [ "$AL_MODE" = smoke ] || hf_tokenize "tok_hf_${c}_$n" "$f" "$n"; hn="$AL_T_WALL"
    hmode="$(al_value "tok_hf_${c}_$n" hf_mode | tr _ ' ')"
    tiktoken_tokenize "tok_tiktoken_${c}_1" "$f" 1; t1="$AL_T_WALL"
    AL_T_WALL=""; [ "$AL_MODE" = smoke ] || tiktoken_tokenize "tok_tiktoken_${c}_$n" "$f" "$n"; tn="$AL_T_WALL"
    printf -v "AL_OURS_${c}_N" '%s' "$on"
    al_row "tokenizer, $c, 1 thread, MB/s wall clock (peer: HF tokenizers)" "$(al_fmt "$o1")" "$(al_fmt "$h1")" \
      "$(al_ratio "$o1" "$h1")" "≥ 100 MB/s and ≥ 10× HF" "$(al_met_tok "$o1" "$h1")" "${note:-$peer_note}"
    al_row "tokenizer, $c, 1 thread, MB per CPU-second (peer: HF tokenizers)" "$(al_fmt "$o1c")" "$(al_fmt "$h1c")" \
      "$(al_ratio "$o1c" "$h1c")" "≥ 100 MB/s and ≥ 10× HF" "$(al_met_tok "$o1c" "$h1c")" \
      "CPU time of the encoding thread (ours) / of the whole node process (HF): fair on a busy machine"
    met=""
    if [ "$n" -gt 1 ]; then met="$(awk -v a="$on" -v b="$o1" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) print (a / b >= 1.5) ? "yes" : "NO (missed)" }')"; fi
    al_row "tokenizer, $c, $n threads, MB/s wall clock (peer: HF tokenizers)" "$(al_fmt "$on")" "$(al_fmt "$hn")" \
      "$(al_ratio "$on" "$hn")" "scales: ≥ 1.5× 1 thread" "$met" "${hmode:+HF: $hmode}"
    al_row "tokenizer, $c, 1 thread, MB/s wall clock (peer: tiktoken GPT-2)" "$(al_fmt "$o1")" "$(al_fmt "$t1")" \
      "$(al_ratio "$o1" "$t1")" "" "" "different vocabulary (GPT-2, 50k byte-level BPE)"
    al_row "tokenizer, $c, $n threads, MB/s wall clock (peer: tiktoken GPT-2)" "$(al_fmt "$on")" "$(al_fmt "$tn")" \
      "$(al_ratio "$on" "$tn")" "" "" "tiktoken: one WASM encoder per worker_thread"
  done
  sec_tokenize_agreement
  sec_tokenize_linear
}

# al_patho_file KIND BYTES OUT: "nospace" (one word of letters), "onechar" ('a' repeated)
# or "random" (bytes from /dev/urandom; about half are invalid UTF-8).
al_patho_file() {
  [ -s "$3" ] && return 0
  case "$1" in
    nospace) head -c $(( $2 * 24 )) /dev/urandom | LC_ALL=C tr -dc 'etaoinshrdlu' | head -c "$2" >"$3" ;;
    onechar) head -c "$2" /dev/zero | tr '\0' a >"$3" ;;
    random) head -c "$2" /dev/urandom >"$3" ;;
  esac
}

# Pathological inputs must take time linear in their size: each is encoded (one thread,
# one pass, so no word cache helps) at 1/10 of the size and at the full size.
sec_tokenize_linear() {
  local small big kind label f1 f2 m1 m2 s1 s2 ratio
  if [ "$AL_MODE" = full ]; then small=1000000 big=10000000; else small=100000 big=1000000; fi
  for kind in nospace onechar random; do
    case "$kind" in
      nospace) label="no whitespace (the whole file is one word)" ;;
      onechar) label="one character repeated" ;;
      random) label="random bytes" ;;
    esac
    f1="$AL_WORK/patho-$kind-$small.txt" f2="$AL_WORK/patho-$kind-$big.txt"
    al_patho_file "$kind" "$small" "$f1"
    al_patho_file "$kind" "$big" "$f2"
    s1="" s2=""
    al_run "tok_linear_${kind}_small" "$AL_TO_TOK" "$AL_BUILD/bench/bench_tokenize" "$AL_TOKDIR" "$f1" 1 1 \
      && s1="$(tok_seconds "$AL_LOGS/tok_linear_${kind}_small.out")" m1="$AL_T_WALL"
    al_run "tok_linear_${kind}_big" "$AL_TO_TOK" "$AL_BUILD/bench/bench_tokenize" "$AL_TOKDIR" "$f2" 1 1 \
      && s2="$(tok_seconds "$AL_LOGS/tok_linear_${kind}_big.out")" m2="$AL_T_WALL"
    if [ -z "$s1" ] || [ -z "$s2" ]; then
      al_row "tokenizer, pathological input: $label" "failed" "" "" "" "" "bench_tokenize did not finish (see logs)"
      continue
    fi
    m1="$(tok_mb_s "$AL_LOGS/tok_linear_${kind}_small.out")" m2="$(tok_mb_s "$AL_LOGS/tok_linear_${kind}_big.out")"
    # 10x the input must take at most 20x the time (quadratic: 100x)
    ratio="$(al_calc "$s2 / $s1")"
    al_row "tokenizer, pathological input: $label, time for $((big / 1000000)) MB ÷ time for 1/10 of it" \
      "$(al_fmt "$ratio")×" "" "" "linear: ≤ 20× (quadratic would be 100×)" "$(al_met "$ratio" "<=" 20)" \
      "$(al_fmt "$s1") s → $(al_fmt "$s2") s ($(al_fmt "$m1") → $(al_fmt "$m2") MB/s); the per-MB cost grows as the work arrays leave the CPU caches"
  done
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
      "$(al_value agreement agree_docs_pct)% of documents identical; cause of the differences: HF's end_of_word_suffix glues </w> to a word's last character, so a merge of that character with its left neighbour cannot apply there (\"for\": ours for</w>, HF fo + r</w>), and our byte fallback for characters outside the vocabulary"
  else
    al_row "tokenizer, ids equal to HF peer (sample)" "failed" "" "" "" "" "$(al_fail_note agreement $?)"
  fi
}
