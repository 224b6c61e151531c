/* BPE of one short word when symbols and ranks fit 16 bits (the pair table is the
 * bucketed pair16), which is how nearly every word the word cache misses is encoded.
 *
 * Nothing moves during the merge: a merge retires its right position in a 64-bit mask
 * of live positions, neighbours are found with bit scans that always hit a sentinel,
 * and the lowest rank is found over the word's fixed rank array (retired positions
 * hold 0xffff) with SSE4.1's PHMINPOSUW where the CPU has it. Neither the merge step
 * nor the pair lookup branches on the data, so the merge loop mispredicts about once
 * per word. Lowest rank first, leftmost on ties: equal to the original's rule-by-rule
 * loop when the merge list passed check_rank_order. */
#include <string.h>

#include "tokenize/tok_cpu.h"
#include "tokenize/tok_internal.h"
#include "tokenize/tok_unicode.h"

#if TOK_X86
#include <immintrin.h>
#endif

#define NOSYM 0xffffu /* a character that is no symbol: no pair with it merges */
#define SLOTS 64      /* per array: positions 1 .. TOK_SHORT_WORD, sentinels at 0 and 63 */
#define NONE_BEFORE 0 /* the position "before" the first one: symbol NOSYM, no rank */
#define NONE_AFTER (SLOTS - 1) /* the same after the last */
#define GUARD ((uint64_t)1 | (uint64_t)1 << NONE_AFTER)
_Static_assert(TOK_SHORT_WORD + 8 < NONE_AFTER, "vector reads stay below the sentinel");

/* A word being merged. Positions 1 .. m are the word's characters and </w> in order; a
 * merge keeps the left position, which now holds the merged symbol, and retires the
 * right one, so nothing moves: `live` says which positions still start a symbol, and
 * the pair at position i is (sym[i], sym[next live after i]). Neighbours are found
 * with bit scans that always find a sentinel, so no step branches on the data. */
typedef struct word16 {
  uint16_t sym[SLOTS];
  uint16_t rk[SLOTS];  /* rank of the pair at i; 0xffff: none (retired, padding, sentinels) */
  uint16_t res[SLOTS]; /* its merged symbol */
  uint32_t off[SLOTS]; /* byte offset of each character; n at m + 1 and NONE_AFTER */
  uint64_t live;       /* live positions and the two sentinels */
  size_t m;
} word16;

static inline uint32_t lookup(const struct al_tok_bpe *t, uint32_t l, uint32_t r) {
  return tok_pair16_get(t, (l << 16) | r);
}

/* The nearest live position before / after i, or a sentinel (NONE_BEFORE for i = 0,
 * NONE_AFTER for i = NONE_AFTER). */
static inline size_t live_before(uint64_t live, size_t i) {
  return (size_t)(63 - __builtin_clzll(live & ((((uint64_t)1 << i) - 1) | 1)));
}
static inline size_t live_after(uint64_t live, size_t i) {
  /* (~1 << 63) is 0: the sentinel's own bit keeps the scan defined at i = NONE_AFTER */
  return (size_t)__builtin_ctzll(live & ((~(uint64_t)1 << i) | (uint64_t)1 << NONE_AFTER));
}

/* Asks for the bucket line of the pair key when `want`, for bucket 0 (always cached)
 * otherwise: a select, not a branch. */
static inline void prefetch_pair_if(const struct al_tok_bpe *t, uint32_t key, bool want) {
  tok_prefetch(&t->pair16[tok_pair16_index(t, key) & ((size_t)0 - (size_t)want)]);
}

/* Position of the lowest rank in rk[0..np), the leftmost among equals; *best receives
 * the rank (0xffff when none merges). rk[np .. np + 7] hold 0xffff. */
static inline size_t argmin_scalar(const uint16_t *rk, size_t np, uint32_t *best) {
  uint32_t b = 0xffffu << 8; /* rank << 8 | position: one comparison orders both */
  for (size_t i = 0; i < np; i++) {
    uint32_t v = (uint32_t)rk[i] << 8 | (uint32_t)i;
    b = v < b ? v : b;
  }
  *best = b >> 8;
  return b & 0xff;
}

#if TOK_X86
__attribute__((target("sse4.1"))) static inline size_t argmin_sse41(const uint16_t *rk, size_t np,
                                                                   uint32_t *best) {
  uint32_t b = 0xffffu << 8;
  for (size_t c = 0; c < np; c += 8) {
    __m128i v;
    memcpy(&v, rk + c, sizeof v);
    uint32_t r = (uint32_t)_mm_cvtsi128_si32(_mm_minpos_epu16(v)); /* min | index << 16 */
    uint32_t x = (r & 0xffffu) << 8 | (uint32_t)(c + (r >> 16));
    b = x < b ? x : b;
  }
  *best = b >> 8;
  return b & 0xff;
}
#endif

/* Splits w[0..n) into its character symbols with their first ranks. Returns false when
 * the word has too many characters. */
static inline __attribute__((always_inline)) bool word_init(const struct al_tok_bpe *t, word16 *st,
                                                            const char *w, size_t n) {
  memset(st->sym, 0xff, sizeof st->sym); /* NOSYM */
  memset(st->rk, 0xff, sizeof st->rk);   /* no rank */
  bool ascii = true;
  size_t m = 0;
  for (size_t i = 0; i < n;) {
    if (m == TOK_SHORT_WORD - 1) return false; /* no room for another symbol and </w> */
    size_t l;
    int32_t s = tok_char_symbol(t, w, i, &l);
    ascii = ascii && l == 1;
    st->sym[++m] = s >= 0 ? (uint16_t)s : (uint16_t)NOSYM;
    st->off[m] = (uint32_t)i;
    i += l;
  }
  st->sym[++m] = (uint16_t)t->word_end_sym;
  st->off[m] = (uint32_t)n;
  st->off[m + 1] = st->off[NONE_AFTER] = (uint32_t)n;
  st->m = m;
  st->live = ((((uint64_t)1 << m) - 1) << 1) | GUARD; /* m < 63 */
  const unsigned char *u = (const unsigned char *)w;
  if (ascii) { /* the dense table: common character pairs stay in the L1 cache */
    for (size_t k = 1; k + 1 < m; k++) {
      uint32_t v = t->ascii_pairs[u[k - 1] * 128 + u[k]];
      st->rk[k] = (uint16_t)v;
      st->res[k] = (uint16_t)(v >> 16);
    }
    uint32_t v = t->ascii_pairs[TOK_ASCII_END + u[m - 2]]; /* (last character, </w>) */
    st->rk[m - 1] = (uint16_t)v;
    st->res[m - 1] = (uint16_t)(v >> 16);
  } else {
    for (size_t k = 1; k < m; k++) {
      uint32_t v = lookup(t, st->sym[k], st->sym[k + 1]);
      st->rk[k] = (uint16_t)v;
      st->res[k] = (uint16_t)(v >> 16);
    }
  }
  /* prefetch_after for every pair, with the neighbours known: k - 1 and k + 2 */
  for (size_t k = 1; k < m; k++) {
    uint32_t merged = st->res[k];
    bool merges = st->rk[k] != TOK_NO_MERGE16;
    prefetch_pair_if(t, ((uint32_t)st->sym[k - 1] << 16) | merged, merges & (k > 1));
    prefetch_pair_if(t, (merged << 16) | st->sym[k + 2], merges & (k + 2 <= m));
  }
  return true;
}

/* Merges the lowest-ranked pair; returns false when no pair merges. */
static inline __attribute__((always_inline)) bool word_merge(const struct al_tok_bpe *t, word16 *st,
                                                              bool sse41) {
  uint32_t best;
  size_t b, nr = st->m; /* ranks to scan: rk[0 .. m) */
#if TOK_X86
  b = sse41 ? argmin_sse41(st->rk, nr, &best) : argmin_scalar(st->rk, nr, &best);
#else
  (void)sse41;
  b = argmin_scalar(st->rk, nr, &best);
#endif
  if (best == TOK_NO_MERGE16) return false;
  size_t q = live_after(st->live, b); /* the right half, retired */
  st->sym[b] = st->res[b];
  tok_prefetch(&t->sym_vocab[st->sym[b]]); /* its vocabulary id, read when emitting */
  st->live &= ~((uint64_t)1 << q);
  st->rk[q] = TOK_NO_MERGE16;
  /* the pairs on each side of the merged symbol; at a sentinel the symbol is NOSYM,
   * whose pairs are never merges, and its rank slot is written but never read */
  uint64_t live = st->live;
  size_t p = live_before(live, b), r = live_after(live, b);
  size_t pp = live_before(live, p), rr = live_after(live, r);
  uint32_t vl = lookup(t, st->sym[p], st->sym[b]), vr = lookup(t, st->sym[b], st->sym[r]);
  st->rk[p] = (uint16_t)vl;
  st->res[p] = (uint16_t)(vl >> 16);
  st->rk[b] = (uint16_t)vr;
  st->res[b] = (uint16_t)(vr >> 16);
  st->rk[NONE_BEFORE] = TOK_NO_MERGE16; /* argmin reads it */
  /* prefetch_after for both, with the neighbours already at hand */
  uint32_t ml = vl >> 16, mr = vr >> 16;
  bool lm = (vl & 0xffffu) != TOK_NO_MERGE16, rm = (vr & 0xffffu) != TOK_NO_MERGE16;
  prefetch_pair_if(t, ((uint32_t)st->sym[pp] << 16) | ml, lm & (pp != NONE_BEFORE));
  prefetch_pair_if(t, (ml << 16) | st->sym[r], lm & (r != NONE_AFTER));
  prefetch_pair_if(t, ((uint32_t)st->sym[p] << 16) | mr, rm & (p != NONE_BEFORE));
  prefetch_pair_if(t, (mr << 16) | st->sym[rr], rm & (rr != NONE_AFTER));
  return true;
}

static inline __attribute__((always_inline)) void word_emit(const struct al_tok_bpe *t, const word16 *st, const char *w,
                             al_tok_ids *out) {
  uint64_t live = st->live & ~GUARD;
  while (live) {
    size_t i = (size_t)__builtin_ctzll(live);
    live &= live - 1;
    size_t j = live ? (size_t)__builtin_ctzll(live) : st->m + 1;
    tok_emit_symbol(t, st->sym[i] == NOSYM ? -1 : (int32_t)st->sym[i], w + st->off[i],
                    st->off[j] - st->off[i], out);
  }
}

static inline __attribute__((always_inline)) bool bpe16_body(const struct al_tok_bpe *t,
                                                             const char *w, size_t n,
                                                             al_tok_ids *out, bool sse41) {
  word16 st;
  if (!word_init(t, &st, w, n)) return false;
  while (word_merge(t, &st, sse41)) {
  }
  word_emit(t, &st, w, out);
  return true;
}

#if TOK_X86
__attribute__((target("sse4.1"))) static bool bpe16_sse41(const struct al_tok_bpe *t, const char *w,
                                                         size_t n, al_tok_ids *out) {
  return bpe16_body(t, w, n, out, true);
}
TOK_TARGET_V3 static bool bpe16_v3(const struct al_tok_bpe *t, const char *w, size_t n,
                                   al_tok_ids *out) {
  return bpe16_body(t, w, n, out, true);
}
#endif

static bool bpe16_generic(const struct al_tok_bpe *t, const char *w, size_t n, al_tok_ids *out) {
  return bpe16_body(t, w, n, out, false);
}

bool tok_bpe16_usable(const struct al_tok_bpe *t) {
  return t->pair16 && t->ascii_pairs && t->rank_ok && t->depth;
}


bool tok_bpe16_word(const struct al_tok_bpe *t, const char *w, size_t n, al_tok_ids *out) {
#if TOK_X86
  if (t->cpu_v3) return bpe16_v3(t, w, n, out);
  if (t->cpu_sse41) return bpe16_sse41(t, w, n, out);
#endif
  return bpe16_generic(t, w, n, out);
}
