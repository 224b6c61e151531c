/* BPE of one short word when symbols and ranks fit 16 bits (the pair table is pairs32),
 * which is how nearly every word the word cache misses is encoded.
 *
 * The word is kept as compact arrays: a merge deletes its right element by shifting
 * the tail left, so the lowest rank is always found in a contiguous array of live pairs
 * (no links, no dead entries), with SSE4.1's PHMINPOSUW where the CPU has it. Lowest
 * rank first, leftmost on ties: the order of merge_ranked in tok_encode.c, equal to the
 * original's rule-by-rule loop when the merge list passed check_rank_order. */
#include <string.h>

#include "tokenize/tok_internal.h"
#include "tokenize/tok_unicode.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

#define NOSYM 0xffffu /* a character that is no symbol: no pair with it merges */
#define PAD 16        /* slack after each array for whole-vector shifts and reads */

/* rank | result << 16 of the pair (l, r), TOK_NO_MERGE16 in the low half if no merge. */
static inline uint32_t lookup(const struct tok_bpe *t, uint32_t l, uint32_t r) {
  if (l == NOSYM || r == NOSYM) return TOK_NO_MERGE16; /* (0xffff, 0xffff) would wrap to key 0 */
  const struct tok_pair32 *s = tok_pair32_find(t, ((l << 16) | r) + 1);
  return s ? (uint32_t)s->rank | (uint32_t)s->result << 16 : TOK_NO_MERGE16;
}

/* Asks for the table line of the pair (l, r) ahead of its lookup (a hint). */
static inline void prefetch_pair(const struct tok_bpe *t, uint32_t l, uint32_t r) {
  if (l == NOSYM || r == NOSYM) return;
  uint32_t k = ((l << 16) | r) + 1;
  tok_prefetch(&t->pairs32[tok_pair32_hash(k) & t->pairs32_mask]);
}

/* Removes element i of a[0..len) by moving a[i+1 .. len + 7] left one place, 8 elements
 * at a time (a has PAD elements of slack). */
#define SHIFT_LEFT(a, i, len)                        \
  do {                                               \
    for (size_t j_ = (i); j_ < (len); j_ += 8) {     \
      __typeof__((a)[0]) t_[8];                      \
      memcpy(t_, &(a)[j_ + 1], sizeof t_);           \
      memcpy(&(a)[j_], t_, sizeof t_);               \
    }                                                \
  } while (0)

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

#if HAVE_X86
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

/* Once the pair at i (of a word of m symbols) has a rank, the two pairs its merge would
 * create are known. Their lookups lie on the chain of merges and are mostly of rare
 * pairs whose lines are not cached, so those lines are asked for now. */
static inline void prefetch_after(const struct tok_bpe *t, const uint16_t *sym,
                                  const uint16_t *rk, const uint16_t *res, size_t i, size_t m) {
  if (rk[i] == TOK_NO_MERGE16) return;
  if (i > 0) prefetch_pair(t, sym[i - 1], res[i]);
  if (i + 2 < m) prefetch_pair(t, res[i], sym[i + 2]);
}

static inline __attribute__((always_inline)) bool bpe16_body(const struct tok_bpe *t,
                                                             const char *w, size_t n,
                                                             tok_ids *out, bool sse41) {
  uint16_t sym[TOK_SHORT_WORD + PAD], rk[TOK_SHORT_WORD + PAD], res[TOK_SHORT_WORD + PAD];
  uint32_t off[TOK_SHORT_WORD + PAD];
  bool ascii = true;
  size_t m = 0;
  for (size_t i = 0; i < n;) {
    if (m == TOK_SHORT_WORD - 1) return false; /* no room for another symbol and </w> */
    size_t l;
    int32_t s = tok_char_symbol(t, w, i, &l);
    ascii = ascii && l == 1;
    sym[m] = s >= 0 ? (uint16_t)s : (uint16_t)NOSYM;
    off[m++] = (uint32_t)i;
    i += l;
  }
  sym[m] = (uint16_t)t->word_end_sym;
  off[m++] = (uint32_t)n;
  for (size_t k = m; k < m + PAD; k++) {
    sym[k] = NOSYM;
    off[k] = (uint32_t)n; /* off[m] ends the last symbol */
  }
  size_t np = m - 1; /* pairs */
  const unsigned char *u = (const unsigned char *)w;
  for (size_t k = 0; k < np; k++) {
    uint32_t v;
    if (ascii) /* the dense table: common character pairs stay in the L1 cache */
      v = k + 1 < n ? t->ascii_pairs[u[k] * 128 + u[k + 1]] : t->ascii_pairs[TOK_ASCII_END + u[k]];
    else
      v = lookup(t, sym[k], sym[k + 1]);
    rk[k] = (uint16_t)v;
    res[k] = (uint16_t)(v >> 16);
  }
  for (size_t k = np; k < np + PAD; k++) rk[k] = TOK_NO_MERGE16, res[k] = 0;
  for (size_t k = 0; k < np; k++) prefetch_after(t, sym, rk, res, k, m);
  for (;;) {
    uint32_t best;
    size_t b;
#if HAVE_X86
    b = sse41 ? argmin_sse41(rk, np, &best) : argmin_scalar(rk, np, &best);
#else
    (void)sse41;
    b = argmin_scalar(rk, np, &best);
#endif
    if (best == TOK_NO_MERGE16) break;
    sym[b] = res[b];
    tok_prefetch(&t->sym_vocab[sym[b]]); /* its vocabulary id, read when emitting */
    SHIFT_LEFT(sym, b + 1, m); /* element b + 1 is now part of b */
    SHIFT_LEFT(off, b + 1, m);
    SHIFT_LEFT(rk, b, np); /* the pair (b, b + 1) is gone; b is looked up again */
    SHIFT_LEFT(res, b, np);
    m--;
    np--;
    if (b < np) {
      uint32_t v = lookup(t, sym[b], sym[b + 1]);
      rk[b] = (uint16_t)v;
      res[b] = (uint16_t)(v >> 16);
    }
    if (b > 0) {
      uint32_t v = lookup(t, sym[b - 1], sym[b]);
      rk[b - 1] = (uint16_t)v;
      res[b - 1] = (uint16_t)(v >> 16);
      prefetch_after(t, sym, rk, res, b - 1, m);
    }
    if (b < np) prefetch_after(t, sym, rk, res, b, m);
  }
  for (size_t k = 0; k < m; k++)
    tok_emit_symbol(t, sym[k] == NOSYM ? -1 : (int32_t)sym[k], w + off[k], off[k + 1] - off[k], out);
  return true;
}

#if HAVE_X86
__attribute__((target("sse4.1"))) static bool bpe16_sse41(const struct tok_bpe *t, const char *w,
                                                         size_t n, tok_ids *out) {
  return bpe16_body(t, w, n, out, true);
}
#endif

static bool bpe16_generic(const struct tok_bpe *t, const char *w, size_t n, tok_ids *out) {
  return bpe16_body(t, w, n, out, false);
}

bool tok_bpe16_usable(const struct tok_bpe *t) {
  return t->pairs32 && t->ascii_pairs && t->rank_ok && t->depth;
}

bool tok_cpu_has_sse41(void) {
#if HAVE_X86 && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.1");
#else
  return false;
#endif
}

bool tok_bpe16_word(const struct tok_bpe *t, const char *w, size_t n, tok_ids *out) {
#if HAVE_X86
  if (t->cpu_sse41) return bpe16_sse41(t, w, n, out);
#endif
  return bpe16_generic(t, w, n, out);
}
