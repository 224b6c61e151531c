/* Encoding: chunks, UTF-8 replacement, NFC, optional lowercasing, the word split and the
 * word cache. A word the cache does not hold is merged by tok_bpe16.c or tok_merge.c. */
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>

#include "tokenize/tok_cpu.h"
#include "tokenize/tok_hf.h"
#include "tokenize/tok_internal.h"
#include "tokenize/tok_scan.h"
#include "tokenize/tok_unicode.h"
#include "tokenize/tok_words.h"

/* The word cache has three levels: a direct-mapped small level of 32-byte entries for
 * the most frequent words, a 2-way large level of 64-byte lines for words of up to
 * CACHE_KEY bytes with up to CACHE_IDS ids, and a direct-mapped level of 128-byte lines
 * for longer words. A hit costs one hash and one or two line loads. A collision simply
 * replaces an entry: the cache never changes results, only speed, and its memory is
 * fixed at creation. */
#define CACHE_KEY 22
#define CACHE_IDS 9
#define CACHE_DEFAULT 65536 /* lines of the large level: 4 MiB */
#define CACHE_HOT 4096      /* entries of the small level (128 KiB, stays in L2) */

typedef struct cache_line {
  uint32_t tag;  /* 0 = empty */
  uint8_t klen;
  uint8_t nids;
  char key[CACHE_KEY];
  int32_t ids[CACHE_IDS];
} cache_line;
_Static_assert(sizeof(cache_line) == 64, "cache line must be 64 bytes");

/* The small level holds the most frequent words, which are short: a 32-byte line keeps
 * a word of up to HOT_KEY bytes with up to HOT_IDS ids, so the level takes half the L2
 * cache a 64-byte line would, leaving room for the merge-pair table. Its key is exact
 * (zero-padded bytes and length), so no tag is needed; klen 0 marks an empty line. */
#define HOT_KEY 16
#define HOT_IDS 3
typedef struct small_line {
  char key[HOT_KEY];
  uint8_t klen;
  uint8_t nids;
  uint8_t pad[2];
  int32_t ids[HOT_IDS];
} small_line;
_Static_assert(sizeof(small_line) == 32, "small-level line must be 32 bytes");

/* Longer words (identifiers, URLs) get their own 128-byte lines. */
#define LCACHE_KEY 62
#define LCACHE_IDS 15
#define LCACHE_LINES 8192 /* 1 MiB */
typedef struct lcache_line {
  uint32_t tag;
  uint8_t klen;
  uint8_t nids;
  char key[LCACHE_KEY];
  int32_t ids[LCACHE_IDS];
} lcache_line;
_Static_assert(sizeof(lcache_line) == 128, "long cache line must be 128 bytes");

struct al_tok_encoder {
  const struct al_tok_bpe *t;
  tok_hf_enc *hf;      /* the encoder of a byte-level tokenizer (t->hf); nothing else is used then */
  al_buf nfc;          /* NFC of the input */
  al_buf lower;        /* one lowercased segment (lowercase tokenizers) */
  al_buf valid;        /* input after U+FFFD replacement, when it was not valid UTF-8 */
  uint32_t *cps;       /* code points of one segment */
  size_t cps_cap;
  tok_merge_work merge; /* BPE work arrays for one word */
  /* word cache */
  small_line *hot;    /* small level: the most frequent words (Zipf) stay near the core */
  cache_line *cache;  /* large level */
  lcache_line *lcache; /* words of CACHE_KEY+1 .. LCACHE_KEY bytes */
  size_t cache_mask;
};

void al_tok_ids_free(al_tok_ids *ids) {
  free(ids->v);
  ids->v = NULL;
  ids->len = ids->cap = 0;
}

/* Id buffers from this size on ask for transparent huge pages: a fresh multi-megabyte
 * output otherwise costs a page fault per 4 KiB written (bench/RESULTS.md, Python package). */
#define IDS_HUGE_BYTES ((size_t)4 << 20)
#define HUGE_PAGE_BYTES ((size_t)2 << 20)

static void ids_reserve(al_tok_ids *ids, size_t extra) {
  if (ids->len + extra <= ids->cap) return;
  size_t c = ids->cap ? ids->cap : 64;
  while (c < ids->len + extra) c *= 2;
  ids->v = al_xrealloc(ids->v, c * sizeof *ids->v);
  ids->cap = c;
#ifdef MADV_HUGEPAGE
  size_t bytes = c * sizeof *ids->v;
  if (bytes >= IDS_HUGE_BYTES) {
    /* the whole 2 MiB pages inside the buffer; the advice is only a hint */
    uintptr_t lo = ((uintptr_t)ids->v + (HUGE_PAGE_BYTES - 1)) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1);
    uintptr_t hi = ((uintptr_t)ids->v + bytes) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
  }
#endif
}

void al_tok_ids_reserve(al_tok_ids *ids, size_t extra) { ids_reserve(ids, extra); }

void al_tok_ids_shrink_to_fit(al_tok_ids *ids) {
  if (ids->cap == ids->len) return;
  if (ids->len == 0) {
    al_tok_ids_free(ids);
    return;
  }
  ids->v = al_xrealloc(ids->v, ids->len * sizeof *ids->v);
  ids->cap = ids->len;
}

void al_tok_ids_append(al_tok_ids *ids, const int32_t *v, size_t n, int32_t fill) {
  if (n == 0) return; /* ids->v may still be NULL: no pointer arithmetic on it */
  ids_reserve(ids, n);
  if (v) {
    memcpy(ids->v + ids->len, v, n * sizeof *v);
  } else {
    for (size_t i = 0; i < n; i++) ids->v[ids->len + i] = fill;
  }
  ids->len += n;
}

void al_tok_ids_push(al_tok_ids *ids, int32_t id) {
  if (ids->len == ids->cap) ids_reserve(ids, 1);
  ids->v[ids->len++] = id;
}

al_tok_encoder *al_tok_encoder_new(const al_tok_bpe *t, size_t cache_entries) {
  al_tok_encoder *e = al_xcalloc(1, sizeof *e);
  e->t = t;
  if (t->hf) {
    e->hf = tok_hf_enc_new(t->hf);
    return e;
  }
  size_t want = cache_entries ? cache_entries : CACHE_DEFAULT;
  size_t lines = 16;
  while (lines < want && lines < ((size_t)1 << 24)) lines <<= 1;
  /* one block, so the small and long-word levels share the large level's huge pages
   * (fewer TLB misses); each level starts on a 64-byte boundary */
  size_t large_bytes = lines * sizeof *e->cache, hot_bytes = CACHE_HOT * sizeof *e->hot;
  size_t bytes = large_bytes + hot_bytes + LCACHE_LINES * sizeof *e->lcache;
  char *block = tok_table_alloc(bytes, bytes >= ((size_t)2 << 20), "the word cache");
  e->cache = (cache_line *)(void *)block;
  e->hot = (small_line *)(void *)(block + large_bytes);
  e->lcache = (lcache_line *)(void *)(block + large_bytes + hot_bytes);
  e->cache_mask = lines - 1;
  return e;
}

void al_tok_encoder_free(al_tok_encoder *e) {
  if (!e) return;
  tok_hf_enc_free(e->hf);
  al_buf_free(&e->nfc);
  al_buf_free(&e->lower);
  al_buf_free(&e->valid);
  free(e->cps);
  tok_merge_work_free(&e->merge);
  free(e->cache); /* the block of all three levels */
  free(e);
}

#define TRIM_BYTES (1u << 20) /* text buffers: chunks are 64 KiB unless a word is longer */

static void buf_trim(al_buf *b) {
  if (b->cap > TRIM_BYTES) al_buf_free(b);
}

tok_hf_enc *tok_encoder_hf(al_tok_encoder *e) { return e->hf; }

void al_tok_encoder_trim(al_tok_encoder *e) {
  if (e->hf) tok_hf_enc_trim(e->hf);
  tok_merge_work_trim(&e->merge);
  if (e->cps_cap > TRIM_BYTES) {
    free(e->cps);
    e->cps = NULL;
    e->cps_cap = 0;
  }
  buf_trim(&e->nfc);
  buf_trim(&e->lower);
  buf_trim(&e->valid);
}

static void encode_long_word(al_tok_encoder *e, const char *w, size_t n, uint64_t h, al_tok_ids *out) {
  if (n > LCACHE_KEY) {
    tok_bpe_word(e->t, &e->merge, w, n, out);
    return;
  }
  uint32_t tag = (uint32_t)(h >> 32) | 1u;
  lcache_line *c = &e->lcache[(size_t)h & (LCACHE_LINES - 1)];
  if (c->tag == tag && c->klen == n && tok_key_equal(c->key, w, n)) {
    ids_reserve(out, LCACHE_IDS);
    memcpy(out->v + out->len, c->ids, LCACHE_IDS * sizeof(int32_t));
    out->len += c->nids;
    return;
  }
  size_t start = out->len;
  tok_bpe_word(e->t, &e->merge, w, n, out);
  size_t nids = out->len - start;
  if (nids <= LCACHE_IDS) {
    c->tag = tag;
    c->klen = (uint8_t)n;
    c->nids = (uint8_t)nids;
    memset(c->key, 0, sizeof c->key);
    memcpy(c->key, w, n);
    memset(c->ids, 0, sizeof c->ids);
    memcpy(c->ids, out->v + start, nids * sizeof(int32_t));
  }
}

static inline small_line *hot_line(const al_tok_encoder *e, uint64_t h) {
  return &e->hot[(size_t)h & (CACHE_HOT - 1)];
}

static inline cache_line *large_set(const al_tok_encoder *e, uint64_t h) {
  return &e->cache[(size_t)(h >> 12) & e->cache_mask & ~(size_t)1];
}

/* A word found in the text: where it is, its hash and, for words of up to 16 bytes,
 * those bytes zero-padded into two integers (compared directly against a cache line's
 * zero-padded key). */
typedef struct word_ref {
  uint32_t off, len;
  uint64_t hash;
  uint64_t a, b;
  small_line *hot; /* its small-level line (words of up to 16 bytes) */
  /* the small-level entry's ids when it held the word at the check (copied then: the
   * line may be refilled before the word is encoded); nids NOT_HELD otherwise */
  int32_t ids[HOT_IDS];
  uint8_t nids;
} word_ref;
#define NOT_HELD 0xff

#define SIG_BYTES 16
_Static_assert(HOT_KEY == SIG_BYTES, "the small level compares a word's two integers");

static inline bool line_holds(const cache_line *c, uint32_t tag, const char *w, const word_ref *r) {
  if (c->tag != tag || c->klen != r->len) return false;
  if (r->len > SIG_BYTES) return tok_key_equal(c->key, w, r->len);
  uint64_t ka, kb;
  memcpy(&ka, c->key, 8);
  memcpy(&kb, c->key + 8, 8);
  return ka == r->a && kb == r->b;
}

/* One comparison of the key bytes and length, without a branch per field. */
static inline bool hot_holds(const small_line *c, const word_ref *r) {
  uint64_t ka, kb;
  memcpy(&ka, c->key, 8);
  memcpy(&kb, c->key + 8, 8);
  return ((ka ^ r->a) | (kb ^ r->b) | (uint64_t)(c->klen ^ r->len)) == 0;
}

/* Copies a large-level line into the small level when the word fits there. */
static inline void hot_fill(small_line *hot, const cache_line *c) {
  if (c->klen > HOT_KEY || c->nids > HOT_IDS) return;
  memcpy(hot->key, c->key, HOT_KEY); /* cache keys are zero-padded */
  hot->klen = c->klen;
  hot->nids = c->nids;
  memcpy(hot->ids, c->ids, sizeof hot->ids);
}

static inline void emit_line(const cache_line *c, al_tok_ids *out) {
  ids_reserve(out, CACHE_IDS);
  memcpy(out->v + out->len, c->ids, CACHE_IDS * sizeof(int32_t)); /* fixed size: fast */
  out->len += c->nids;
}

/* Encodes one word the small level did not hold at the check; w points at its bytes. */
static inline __attribute__((always_inline)) void encode_word(al_tok_encoder *e, const char *w,
                                                               const word_ref *r, al_tok_ids *out) {
  size_t n = r->len;
  uint64_t h = r->hash;
  if (n > CACHE_KEY) {
    encode_long_word(e, w, n, h, out);
    return;
  }
  small_line *hot = r->hot; /* NULL for words longer than HOT_KEY: hot_fill skips them */
  uint32_t tag = (uint32_t)(h >> 32) | 1u;
  /* the large level is 2-way set associative: the newer line of a set comes first */
  cache_line *set = large_set(e, h);
  for (int way = 0; way < 2; way++) {
    cache_line *c = &set[way];
    if (line_holds(c, tag, w, r)) {
      emit_line(c, out);
      hot_fill(hot, c);
      if (way == 1) { /* move to the front of its set */
        cache_line tmp = set[0];
        set[0] = set[1];
        set[1] = tmp;
      }
      return;
    }
  }
  size_t start = out->len;
  tok_bpe_word(e->t, &e->merge, w, n, out);
  size_t nids = out->len - start;
  if (nids <= CACHE_IDS) {
    set[1] = set[0];
    cache_line *c = &set[0];
    c->tag = tag;
    c->klen = (uint8_t)n;
    c->nids = (uint8_t)nids;
    memset(c->key, 0, sizeof c->key);
    memcpy(c->key, w, n);
    memset(c->ids, 0, sizeof c->ids);
    memcpy(c->ids, out->v + start, nids * sizeof(int32_t));
    hot_fill(hot, c);
  }
}

/* Words go through a three-stage pipeline, a batch per stage: a batch is found and
 * hashed and its small-level lines prefetched; one batch later, when those lines have
 * arrived, the small level is checked (the ids of the words it holds are copied) and
 * the other words get their large-level sets prefetched; one batch later again, when
 * those have arrived too, the batch is encoded. So neither level's memory latency is
 * waited for on the way. The prefetches are hints only; encode_word checks the large
 * level again. */
#define WORD_BATCH 32
static inline void prefetch_small(const al_tok_encoder *e, const word_ref *r) {
  if (r->len <= HOT_KEY) tok_prefetch(r->hot);
  else if (r->len <= LCACHE_KEY) tok_prefetch(&e->lcache[(size_t)r->hash & (LCACHE_LINES - 1)]);
}

static inline __attribute__((always_inline)) void check_small(const al_tok_encoder *e, word_ref *b,
                                                               size_t n) {
  for (size_t k = 0; k < n; k++) {
    word_ref *r = &b[k];
    r->nids = NOT_HELD;
    if (r->len <= HOT_KEY && hot_holds(r->hot, r)) {
      memcpy(r->ids, r->hot->ids, sizeof r->ids);
      r->nids = r->hot->nids;
      continue;
    }
    if (r->len > CACHE_KEY) continue; /* its long-word line was prefetched with the hash */
    const cache_line *set = large_set(e, r->hash);
    tok_prefetch(set);
    tok_prefetch(set + 1);
  }
}

/* The hash of a word of up to 16 bytes from its zero-padded bytes (a, b). */
static inline uint64_t sig_hash(uint64_t a, uint64_t b, size_t n) {
  uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ ((b * 0xc2b2ae3d27d4eb4full) >> 7) ^ n;
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 29;
  return h;
}

/* Masks keeping the first len bytes of a word's two 8-byte loads, by len (0..16). */
#define M8(n) ((n) >= 8 ? ~0ull : (n) <= 0 ? 0ull : ~0ull >> ((64 - 8 * (n)) & 63))
#define SIG_MASKS(n) {M8(n), M8((n) - 8)}
static const uint64_t SIG_MASK[SIG_BYTES + 1][2] = {
    SIG_MASKS(0),  SIG_MASKS(1),  SIG_MASKS(2),  SIG_MASKS(3),  SIG_MASKS(4),  SIG_MASKS(5),
    SIG_MASKS(6),  SIG_MASKS(7),  SIG_MASKS(8),  SIG_MASKS(9),  SIG_MASKS(10), SIG_MASKS(11),
    SIG_MASKS(12), SIG_MASKS(13), SIG_MASKS(14), SIG_MASKS(15), SIG_MASKS(16)};

/* Fills r's a, b, hash and hot line for the word w[0..len), len >= 1; `avail` bytes are
 * readable from w. */
static inline void word_sig(const al_tok_encoder *e, const unsigned char *w, size_t len,
                            size_t avail, word_ref *r) {
  if (len > SIG_BYTES) {
    r->a = r->b = 0;
    r->hash = len <= LCACHE_KEY ? tok_hash_bytes(w, len) : 0;
    r->hot = NULL;
    return;
  }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (avail >= SIG_BYTES) { /* two loads, bytes past the word masked off */
    uint64_t a, b;
    memcpy(&a, w, 8);
    memcpy(&b, w + 8, 8);
    r->a = a & SIG_MASK[len][0];
    r->b = b & SIG_MASK[len][1];
  } else
#endif
  {
    unsigned char tmp[SIG_BYTES] = {0};
    memcpy(tmp, w, len);
    memcpy(&r->a, tmp, 8);
    memcpy(&r->b, tmp + 8, 8);
  }
  r->hash = sig_hash(r->a, r->b, len);
  r->hot = hot_line(e, r->hash);
}

/* Finds the next batch of words of p[*i .. n) into b, with their hashes; returns how
 * many (0 at the end of the text). */
static inline __attribute__((always_inline)) size_t find_batch(const al_tok_encoder *e,
                                                               const unsigned char *p, size_t n,
                                                               size_t *i, word_ref *b, bool v3) {
  tok_span spans[WORD_BATCH];
  size_t nb = v3 ? tok_scan_words_v3(p, n, i, spans, WORD_BATCH)
                 : tok_scan_words(p, n, i, spans, WORD_BATCH);
  for (size_t k = 0; k < nb; k++) {
    b[k].off = spans[k].off;
    b[k].len = spans[k].len;
    word_sig(e, p + spans[k].off, spans[k].len, n - spans[k].off, &b[k]);
    prefetch_small(e, &b[k]);
  }
  return nb;
}

/* Encodes the words of text p[0..n) (valid UTF-8, NFC, already lowercased when the
 * tokenizer asks for it) until out holds `stop` ids. */
static inline __attribute__((always_inline)) void encode_words_body(al_tok_encoder *e,
                                                                    const unsigned char *p,
                                                                    size_t n, size_t stop,
                                                                    al_tok_ids *out, bool v3) {
  word_ref batch[3][WORD_BATCH]; /* stages rotate through these */
  size_t count[3] = {0, 0, 0};
  size_t i = 0;
  /* batch j is found at step j, large-prefetched at step j + 1, encoded at step j + 2 */
  for (size_t step = 0;; step++) {
    size_t fresh = step % 3, mid = (step + 2) % 3, old = (step + 1) % 3;
    count[fresh] = i < n ? find_batch(e, p, n, &i, batch[fresh], v3) : 0; /* and prefetch */
    if (step >= 1) check_small(e, batch[mid], count[mid]);
    if (step >= 2) {
      if (out->len >= stop) return; /* checked per batch: the truncation cuts exactly */
      const word_ref *b = batch[old];
      size_t nb = count[old];
      ids_reserve(out, WORD_BATCH * HOT_IDS); /* room for a batch of held words */
      /* held words append through locals (a memcpy into out->v could alias out->len) */
      int32_t *v = out->v;
      size_t len = out->len;
      for (size_t k = 0; k < nb; k++) {
        if (b[k].nids != NOT_HELD) {
          memcpy(v + len, b[k].ids, sizeof b[k].ids); /* fixed size: fast */
          len += b[k].nids;
          continue;
        }
        out->len = len;
        encode_word(e, (const char *)p + b[k].off, &b[k], out);
        ids_reserve(out, WORD_BATCH * HOT_IDS);
        v = out->v;
        len = out->len;
      }
      out->len = len;
      if (!count[old] && !count[mid] && !count[fresh]) return;
    }
  }
}

static void encode_words_base(al_tok_encoder *e, const unsigned char *p, size_t n, size_t stop,
                              al_tok_ids *out) {
  encode_words_body(e, p, n, stop, out, false);
}

/* The same compiled for the v3 CPU level (tok_cpu.h), used where tok_cpu_has_v3(). */
TOK_TARGET_V3 static void encode_words_v3(al_tok_encoder *e, const unsigned char *p, size_t n,
                                          size_t stop, al_tok_ids *out) {
  encode_words_body(e, p, n, stop, out, TOK_X86);
}

/* The input is processed in independent chunks (tok_chunk_end), so a max_length stops
 * the work early instead of normalising the whole input. */
int al_tok_encode(al_tok_encoder *e, const char *text, size_t len, bool add_special_tokens,
               int64_t max_length, al_tok_ids *out, al_err *err) {
  const struct al_tok_bpe *t = e->t;
  if (e->hf) return tok_hf_encode(e->hf, text, len, add_special_tokens, max_length, out, err);
  out->len = 0;
  if (add_special_tokens) al_tok_ids_push(out, t->bos);
  /* Once max_length ids exist, later words cannot survive the truncation. */
  size_t stop = max_length >= 0 && max_length != TOK_NO_LIMIT ? (size_t)max_length : SIZE_MAX;
  size_t pos = 0;
  while (pos < len && out->len < stop) {
    size_t end = tok_chunk_end(text, len, pos);
    const char *c = text + pos;
    size_t cn = end - pos;
    pos = end;
    bool nfc_needed;
    if (!tok_utf8_check(c, cn, &nfc_needed)) {
      e->valid.len = 0;
      tok_utf8_replace(c, cn, false, &e->valid);
      c = e->valid.data;
      cn = e->valid.len;
      nfc_needed = tok_nfc_needed(c, cn);
    }
    if (nfc_needed) {
      e->nfc.len = 0;
      if (!tok_nfc(c, cn, &e->nfc)) return al_err_set(err, AL_E_FAILED, "NFC normalisation failed");
      c = e->nfc.data;
      cn = e->nfc.len;
    }
    const unsigned char *w = (const unsigned char *)c;
    if (t->lowercase) {
      e->lower.len = 0;
      tok_lower_text(w, cn, &e->lower, &e->cps, &e->cps_cap);
      w = (const unsigned char *)e->lower.data;
      cn = e->lower.len;
    }
    if (t->cpu_v3) encode_words_v3(e, w, cn, stop, out);
    else encode_words_base(e, w, cn, stop, out);
  }
  if (add_special_tokens) al_tok_ids_push(out, t->eos);
  if (max_length != TOK_NO_LIMIT) {
    if (max_length >= 0) {
      if (out->len > (size_t)max_length) out->len = (size_t)max_length;
    } else {
      size_t drop = (size_t)(-(max_length + 1)) + 1;
      out->len = out->len > drop ? out->len - drop : 0;
    }
  }
  return 0;
}
