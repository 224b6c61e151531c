/* Per-thread encoder state of byte-level BPE tokenizers (tok_hf.h). Internal. */
#ifndef AL_TOKENIZE_TOK_HF_ENC_H
#define AL_TOKENIZE_TOK_HF_ENC_H

#include "tokenize/tok_hf.h"
#include "tokenize/tok_hf_store.h"

/* A piece's ids, cached: text repeats its pieces (Zipf), so most never reach the
 * merge loop. The first level holds short pieces in sets of TOK_HF_CACHE_WAYS 64-byte
 * lines (a direct-mapped cache lost a third of Linux Documentation's distinct pieces
 * to collisions on every pass; bench/RESULTS.md, byte-level BPE tokenizers), pieces of
 * up to TOK_HF_CACHE_KEY bytes that give up to TOK_HF_CACHE_IDS ids. What misses there
 * is looked up in the second level, tok_hf_store.h, before it is merged. */
#define TOK_HF_CACHE_KEY 22
#define TOK_HF_CACHE_IDS 8
#define TOK_HF_CACHE_LINES 65536 /* 4 MiB per encoder, as the original kind's word cache */
#define TOK_HF_CACHE_WAYS 4
#define TOK_HF_CACHE_SETS (TOK_HF_CACHE_LINES / TOK_HF_CACHE_WAYS)
typedef struct tok_hf_cache_line {
  uint64_t hash;
  uint8_t klen;  /* 0 = empty */
  uint8_t nids;
  char key[TOK_HF_CACHE_KEY];
  int32_t ids[TOK_HF_CACHE_IDS];
} tok_hf_cache_line;
_Static_assert(sizeof(tok_hf_cache_line) == 64, "a cache line is 64 bytes");

/* A span of a piece cut by a Split pattern, and whether it counts as a match. */
typedef struct tok_hf_span {
  size_t start, end;
  bool match;
} tok_hf_span;

struct tok_hf_enc {
  tok_hf_cache_line *cache;                 /* TOK_HF_CACHE_LINES, owned */
  tok_hf_store store;                       /* the second level, owned */
  const struct tok_hf *h;                   /* borrowed */
  tok_pretok_md *md[TOK_HF_MAX_STAGES];     /* one match state per stage */
  al_buf prefixed[TOK_HF_MAX_STAGES];       /* a piece with its prefix space, per stage */
  al_buf spans[TOK_HF_MAX_STAGES];          /* tok_hf_span[], per stage (merging Splits) */
  al_buf valid;                             /* input after U+FFFD replacement */
  al_buf norm;                              /* one normalized segment */
  /* BPE work arrays (tok_hf_bpe.c), bpe_cap symbols each; the heap holds 3 * bpe_cap */
  int32_t *sym, *nxt, *prv;
  void *heap;
  size_t bpe_cap;
};

#endif
