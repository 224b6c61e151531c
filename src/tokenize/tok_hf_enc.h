/* Per-thread encoder state of byte-level BPE tokenizers (tok_hf.h). Internal. */
#ifndef AL_TOKENIZE_TOK_HF_ENC_H
#define AL_TOKENIZE_TOK_HF_ENC_H

#include "tokenize/tok_hf.h"

struct tok_hf_enc {
  const struct tok_hf *h;                   /* borrowed */
  tok_pretok_md *md[TOK_HF_MAX_STAGES];     /* one match state per stage */
  al_buf prefixed[TOK_HF_MAX_STAGES];       /* a piece with its prefix space, per stage */
  al_buf valid;                             /* input after U+FFFD replacement */
  al_buf norm;                              /* one normalized segment */
  /* BPE work arrays (tok_hf_bpe.c), bpe_cap symbols each; the heap holds 3 * bpe_cap */
  int32_t *sym, *nxt, *prv;
  void *heap;
  size_t bpe_cap;
};

#endif
