# Chooses the text tokenizer under test (sourced by run.sh). Sets AL_TOKDIR (a directory
# with vocab.json, merges.txt, config.json) and AL_TOKDESC (one line for RESULTS.md).
# Order: $AL_TOKENIZER if set; else one trained by OUR trainer on the prose corpus
# (`auralith-pipeline train-tokenizer text`, vocabulary AL_VOCAB_SIZE, cached per binary);
# else the reference tokenizer tok_full (2,000 entries, every merge applied).

al_find_tok_full() {
  local d
  for d in "$AL_ROOT/tests/data/text/tok_full" "$AL_ROOT/../shared/reference/text/tok_full" \
           /work/shared/reference/text/tok_full; do
    [ -f "$d/vocab.json" ] && { echo "$d"; return 0; }
  done
  d="$(find "$AL_ROOT/tests/data" -type f -path '*tok_full/vocab.json' 2>/dev/null | head -n 1)"
  [ -n "$d" ] && { dirname "$d"; return 0; }
  return 1
}

al_select_tokenizer() {
  local corpus="$1" vocab="$2" out sum
  AL_TOKDIR="" AL_TOKDESC=""
  if [ -n "${AL_TOKENIZER:-}" ]; then
    AL_TOKDIR="$AL_TOKENIZER"; AL_TOKDESC="given by AL_TOKENIZER=$AL_TOKENIZER"; return 0
  fi
  if al_pipeline_has train-tokenizer; then
    sum="$(sha256sum "$AL_PIPELINE" | cut -c1-12)"
    out="$AL_WORK/tok-trained-$AL_MODE-$vocab-$sum"
    if [ ! -f "$out/.done" ]; then
      rm -rf "$out"
      if al_run train_tokenizer 1800 "$AL_PIPELINE" train-tokenizer text --corpus "$corpus" \
           -o "$out" --vocab-size "$vocab"; then
        touch "$out/.done"
      else
        al_log "train-tokenizer failed: $(al_fail_note train_tokenizer $?)"
      fi
    fi
    if [ -f "$out/.done" ]; then
      local v; v="$(find "$out" -name vocab.json | head -n 1)"
      if [ -n "$v" ]; then
        AL_TOKDIR="$(dirname "$v")"
        AL_TOKDESC="trained by our trainer on $(basename "$corpus") (--vocab-size $vocab)"
        return 0
      fi
    fi
  fi
  if AL_TOKDIR="$(al_find_tok_full)"; then
    AL_TOKDESC="reference tok_full (2,000 entries, 1,089 merges, every merge applied; our trainer was not available)"
    return 0
  fi
  return 1
}
