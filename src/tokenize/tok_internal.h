/* Internal structures of the BPE tokenizer shared by the files of src/tokenize. */
#ifndef AL_TOKENIZE_TOK_INTERNAL_H
#define AL_TOKENIZE_TOK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "tokenize/tok_unicode.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* A read prefetch the compiler keeps: GCC deletes loops whose only effect is
 * __builtin_prefetch, which is exactly what a batch-prefetch loop is. */
static inline void tok_prefetch(const void *p) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#elif defined(__aarch64__)
  __asm__ volatile("prfm pldl1keep, %0" : : "Q"(*(const char *)p));
#else
  __builtin_prefetch(p);
#endif
}

/* Equality of a cached key with a word of n bytes without a libc call: both are read
 * only within their first n bytes (overlapping loads from both ends), which is faster
 * than memcmp for the short keys of the word and piece caches. */
static inline bool tok_key_equal(const char *key, const char *w, size_t n) {
  uint64_t a, b, c, d;
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      __builtin_memcpy(&a, key + i, 8);
      __builtin_memcpy(&b, w + i, 8);
      if (a != b) return false;
    }
    __builtin_memcpy(&c, key + n - 8, 8);
    __builtin_memcpy(&d, w + n - 8, 8);
    return c == d;
  }
  if (n >= 4) {
    uint32_t x, y, z, u;
    __builtin_memcpy(&x, key, 4);
    __builtin_memcpy(&y, w, 4);
    __builtin_memcpy(&z, key + n - 4, 4);
    __builtin_memcpy(&u, w + n - 4, 4);
    return x == y && z == u;
  }
  for (size_t i = 0; i < n; i++)
    if (key[i] != w[i]) return false;
  return true;
}

static inline uint64_t tok_hash_bytes(const void *p, size_t n) {
  /* 8-byte words with overlapping loads for the tail: fast for short words. */
  const unsigned char *s = (const unsigned char *)p;
  uint64_t h = 0xcbf29ce484222325ull ^ (n * 0x9e3779b97f4a7c15ull);
  uint64_t w;
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      __builtin_memcpy(&w, s + i, 8);
      h = (h ^ w) * 0x100000001b3ull;
      h ^= h >> 29;
    }
    if (i < n) {
      __builtin_memcpy(&w, s + n - 8, 8);
      h = (h ^ w) * 0x100000001b3ull;
    }
  } else if (n >= 4) {
    uint32_t a, b;
    __builtin_memcpy(&a, s, 4);
    __builtin_memcpy(&b, s + n - 4, 4);
    h = (h ^ (((uint64_t)a << 32) | b)) * 0x100000001b3ull;
  } else if (n > 0) {
    w = (uint64_t)s[0] | ((uint64_t)s[n / 2] << 8) | ((uint64_t)s[n - 1] << 16);
    h = (h ^ w) * 0x100000001b3ull;
  }
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ull;
  h ^= h >> 32;
  return h;
}

/* String -> int32 map with owned keys (open addressing, grows at 50% load). Keys are
 * byte strings that may contain NUL. */
typedef struct tok_strmap {
  struct tok_strmap_slot *slots;
  size_t cap;    /* power of two */
  size_t count;
} tok_strmap;
struct tok_strmap_slot {
  char *key;      /* NULL = empty; owned */
  uint32_t klen;
  int32_t val;
  uint64_t hash;
};
void tok_strmap_init(tok_strmap *m, size_t cap_hint);
void tok_strmap_free(tok_strmap *m);
/* Returns a pointer to the value for key, or NULL. */
int32_t *tok_strmap_get(const tok_strmap *m, const char *key, size_t klen);
/* Inserts or overwrites; returns true when the key was new. */
bool tok_strmap_put(tok_strmap *m, const char *key, size_t klen, int32_t val);

/* (left symbol, right symbol) -> rank/result map. */
typedef struct tok_pairmap {
  struct tok_pair_slot *slots;
  size_t cap;
  size_t count;
} tok_pairmap;
struct tok_pair_slot {
  uint64_t key;   /* (left << 32 | right) + 1; 0 = empty */
  int32_t rank;
  int32_t result;
};
void tok_pairmap_init(tok_pairmap *m, size_t cap_hint);
void tok_pairmap_free(tok_pairmap *m);
const struct tok_pair_slot *tok_pairmap_get(const tok_pairmap *m, int32_t l, int32_t r);
/* Inserts when absent (the first rank wins); returns true when inserted. */
bool tok_pairmap_put(tok_pairmap *m, int32_t l, int32_t r, int32_t rank, int32_t result);

/* The merge-pair table when symbol ids and ranks fit 16 bits (vocabularies up to ~65k):
 * buckets of one cache line, seven key/value slots and a meta slot each, so a lookup
 * reads one line, compares all its keys at once and takes no data-dependent branch
 * (a chain of them on every merge would be mispredicted about as often as taken). A
 * full bucket overflows into the next; few do, as the table is about half full. */
#define TOK_PAIR_SLOTS 7
#define TOK_PAIR_EMPTY 0xffffffffu    /* key of an empty slot; its value is no merge */
#define TOK_PAIR_META 0xfffffffeu     /* key[7]: (no symbol, 0xfffe) never matches */
#define TOK_PAIR_OVERFLOW 0xffffffffu /* val[7] of a bucket that overflowed */
typedef struct tok_pair_bucket {
  uint32_t key[8]; /* (left << 16) | right */
  uint32_t val[8]; /* rank | result << 16; TOK_NO_MERGE16 (rank 0xffff) when none */
} tok_pair_bucket;
_Static_assert(sizeof(tok_pair_bucket) == 64, "a pair bucket is one cache line");

typedef struct tok_merge {
  int32_t left, right, result;   /* symbol ids */
} tok_merge;

struct al_tok_bpe {
  tok_strmap vocab;          /* token -> id */
  size_t vocab_len;
  char **id_to_tok;          /* id -> token (last key wins, as the original's load) */
  size_t n_ids;              /* max id + 1 */
  /* Symbols: every string that merges.txt mentions, plus base characters on demand. */
  tok_strmap syms;           /* string -> symbol id */
  char **sym_str;
  uint32_t *sym_len;
  int32_t *sym_vocab;        /* vocab id of the symbol string, or -1 */
  size_t n_syms, cap_syms;
  int32_t ascii_sym[128];    /* symbol of each ASCII character, or -1 */
  /* Symbol of each code point U+0080..U+FFFF that is a symbol by itself, or -1: 256-entry
   * pages, NULL where no code point of the page is one. Replaces a string-hash lookup
   * per non-ASCII character in BPE. Built once all symbols exist. */
  int32_t *bmp_sym[256];
  int32_t word_end_sym;      /* "</w>" */
  tok_merge *merges;
  size_t n_merges;
  size_t depth;              /* merges applied when encoding */
  tok_pairmap pairs;         /* pairs of the first `depth` merges */
  /* The same pairs in cache-line buckets (tok_pair16_get) when symbol ids and ranks
   * fit 16 bits; NULL otherwise. */
  tok_pair_bucket *pair16;
  unsigned pair16_shift; /* bucket = hash >> pair16_shift */
  const tok_pair_bucket *pair16_none; /* an empty bucket after the table, for "no symbol" */
  /* With pair16: rank | result << 16 of every pair of ASCII characters a, b at
   * [a * 128 + b], and of (a, "</w>") at [TOK_ASCII_END + a]; 0xffff when the pair is no
   * merge. A word's first lookups are such pairs, and the common ones stay in the L1
   * cache here instead of being spread over the whole hash table. NULL otherwise. */
  uint32_t *ascii_pairs;
  bool rank_ok;              /* rank merging equals the sequential algorithm */
  bool cpu_sse41;            /* tok_cpu_has_sse41() at load */
  bool cpu_v3;               /* tok_cpu_has_v3() at load: the encoder's v3 builds */
  int64_t max_merge_depth;
  int64_t vocab_size, min_frequency;
  bool lowercase;
  int32_t bos, eos;
  int32_t special_ids[16];   /* canonical specials, for decode's skip */
  char *special_names[16];
  /* A byte-level BPE tokenizer (tokenizer.json or tiktoken ranks) instead of the
   * original's kind: everything above is unused then (tok_hf.h). Owned. */
  struct tok_hf *hf;
};

#define TOK_ASCII_END (128 * 128)
#define TOK_NO_MERGE16 0xffffu

/* The home bucket of a pair key (multiplicative hash, top bits). */
static inline size_t tok_pair16_index(const struct al_tok_bpe *t, uint32_t key) {
  return (size_t)(((uint64_t)key * 0x9e3779b97f4a7c15ull) >> t->pair16_shift);
}
static inline const tok_pair_bucket *tok_pair16_bucket(const struct al_tok_bpe *t, uint32_t key) {
  return &t->pair16[tok_pair16_index(t, key)];
}

/* The bucket to read for key: a pair with "no symbol" on either side (the merge loop's
 * sentinels and unknown characters: a fifth of its lookups) reads the table's one
 * always-empty bucket, which stays cached, instead of a random line. A select. */
static inline const tok_pair_bucket *tok_pair16_read(const struct al_tok_bpe *t, uint32_t key) {
  bool none = (key >> 16) == 0xffffu || (key & 0xffffu) == 0xffffu;
  uintptr_t b = (uintptr_t)tok_pair16_bucket(t, key), e = (uintptr_t)t->pair16_none;
  uintptr_t m = (uintptr_t)0 - (uintptr_t)none;
  return (const tok_pair_bucket *)((b & ~m) | (e & m));
}

/* rank | result << 16 of the pair key = (l << 16) | r, or TOK_NO_MERGE16 (rank 0xffff)
 * when it is no merge. l or r may be 0xffff (no symbol): such a pair is never a merge.
 * t->pair16 must exist. */
static inline uint32_t tok_pair16_get(const struct al_tok_bpe *t, uint32_t key) {
  const tok_pair_bucket *b = tok_pair16_read(t, key);
  for (;;) {
#if defined(__SSE2__)
    __m128i k = _mm_set1_epi32((int)key);
    __m128i lo = _mm_load_si128((const __m128i *)(const void *)b->key);
    __m128i hi = _mm_load_si128((const __m128i *)(const void *)(b->key + 4));
    unsigned m = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(lo, k))) |
                 (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(hi, k))) << 4;
    uint32_t v = b->val[__builtin_ctz(m | 0x80u)]; /* slot 7 when no key matched */
#else
    unsigned i = 0;
    while (i < TOK_PAIR_SLOTS && b->key[i] != key) i++;
    uint32_t v = b->val[i];
#endif
    if (__builtin_expect(v != TOK_PAIR_OVERFLOW, 1)) return v;
    b++; /* the table has spare buckets after the last: no wrap-around */
  }
}

/* Rank of the merge (l, r) among the first `depth` merges, or -1; *result receives the
 * merged symbol. l and r are valid symbol ids (>= 0). */
static inline int32_t tok_pair_rank(const struct al_tok_bpe *t, int32_t l, int32_t r, int32_t *result) {
  if (t->pair16) {
    uint32_t v = tok_pair16_get(t, ((uint32_t)l << 16) | (uint32_t)r);
    if ((v & 0xffffu) == TOK_NO_MERGE16) return -1;
    *result = (int32_t)(v >> 16);
    return (int32_t)(v & 0xffffu);
  }
  const struct tok_pair_slot *p = tok_pairmap_get(&t->pairs, l, r);
  if (!p) return -1;
  *result = p->result;
  return p->rank;
}

/* Words of fewer characters than this take the short-word merge paths. */
#define TOK_SHORT_WORD 48

/* tok_merge.c: BPE of one word on linked work arrays (any vocabulary, any length). The
 * arrays grow with the longest word seen and belong to one encoder. */
typedef struct tok_heap_ent {
  int32_t rank;
  int32_t pos;
} tok_heap_ent;
typedef struct tok_merge_work {
  const struct al_tok_bpe *t;       /* of the word being merged */
  int32_t *sym, *prev, *next;    /* per symbol: id, links (-2 = merged away) */
  uint32_t *off, *len;           /* per symbol: its bytes in the word */
  size_t work_cap;
  tok_heap_ent *heap;            /* pairs by rank, for words of more than 48 symbols */
  size_t heap_len, heap_cap;
  int32_t *bucket;               /* one list of positions per rank, for huge words */
  int32_t *ent_pos, *ent_next;   /* their entry pool */
  size_t ent_len, ent_cap;
  int32_t *batch;
  size_t batch_cap;
} tok_merge_work;
/* Appends the ids of w[0..n) (valid UTF-8, normalised) to out, using the compact path
 * when it applies. wk is zero-initialised before first use. */
void tok_bpe_word(const struct al_tok_bpe *t, tok_merge_work *wk, const char *w, size_t n,
                  al_tok_ids *out);
/* Frees the arrays a very long word grew; keeps the small ones. */
void tok_merge_work_trim(tok_merge_work *wk);
/* Frees everything; wk is zeroed and may be reused. */
void tok_merge_work_free(tok_merge_work *wk);

/* Appends the ids of symbol s after merging: its vocabulary id, else the ids of its
 * characters (for s < 0, a character no merge knows, those of own[0..own_len)). */
void tok_emit_symbol(const struct al_tok_bpe *t, int32_t s, const char *own, size_t own_len,
                     al_tok_ids *out);

/* tok_bpe16.c: BPE of a word w[0..n) of fewer than TOK_SHORT_WORD characters with 16-bit
 * symbols and ranks, usable when tok_bpe16_usable(t). Appends the ids to out and returns
 * true; returns false (out untouched) when the word has too many characters. */
bool tok_bpe16_usable(const struct al_tok_bpe *t);
bool tok_bpe16_word(const struct al_tok_bpe *t, const char *w, size_t n, al_tok_ids *out);


/* The symbol of the character at w[i] (valid UTF-8), or -1 when it is no symbol;
 * *len receives its length in bytes. ASCII and BMP characters through tables. */
static inline int32_t tok_char_symbol(const struct al_tok_bpe *t, const char *w, size_t i,
                                      size_t *len) {
  unsigned char c = (unsigned char)w[i];
  if (c < 0x80) {
    *len = 1;
    return t->ascii_sym[c];
  }
  uint32_t cp;
  *len = tok_utf8_next((const unsigned char *)w + i, &cp);
  if (cp <= 0xffff) {
    const int32_t *page = t->bmp_sym[cp >> 8];
    return page ? page[cp & 255] : -1;
  }
  const int32_t *v = tok_strmap_get(&t->syms, w + i, *len);
  return v ? *v : -1;
}

/* tok_mem.c: zeroed memory for a table read at random, 64-byte aligned; with huge, rounded
 * up to and aligned on 2 MiB and asked to use huge pages where the kernel allows madvise
 * (with 4 KiB pages most random reads would also miss the TLB). Aborts with a message
 * naming `what` when memory runs out. Free with free(). */
void *tok_table_alloc(size_t bytes, bool huge, const char *what);

/* Interns a symbol string; returns its id. */
int32_t tok_bpe_intern(struct al_tok_bpe *t, const char *s, size_t n);

/* Reads a whole file into a heap buffer (NUL-terminated); NULL with err on failure. */
char *tok_slurp(const char *path, size_t *len, al_err *err);

#endif
