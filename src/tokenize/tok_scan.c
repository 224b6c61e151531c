/* The word split of the encoder. Most text is ASCII: 64 bytes at a time are
 * classified into word, whitespace and non-ASCII bit masks (SSE2), and the words are
 * read off the masks, so a word costs a few bit operations instead of a branch per
 * byte. Anything the masks cannot settle alone (a run that may continue past the block
 * or into a non-ASCII character, non-ASCII text, the last 63 bytes) goes through the
 * scalar scanner, which is the definition. */
#include <string.h>

#include "tokenize/tok_cpu.h"
#include "tokenize/tok_scan.h"
#include "tokenize/tok_unicode.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define TOK_SCAN_BLOCKS 1
#endif

const uint8_t tok_aclass[128] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0,
    0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2,
    2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1,
    2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2};

/* Length of the run of ASCII word characters ([0-9A-Za-z_]) at the start of p[0..n):
 * eight bytes at a time where the bytes are there to read, so a typical word costs one
 * test instead of a mispredicted byte loop. */
static inline size_t ascii_word_run(const unsigned char *p, size_t n) {
  size_t j = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint64_t hi = 0x8080808080808080ull, one = 0x0101010101010101ull;
  while (j + 8 <= n) {
    uint64_t w;
    memcpy(&w, p + j, 8);
    uint64_t v = w & ~hi, lw = v | (0x20 * one);
    /* bit 7 of a byte of ((x | hi) - c * one) is set iff that byte of x >= c (x < 0x80) */
#define AL_GE(x, c) (((x) | hi) - (uint64_t)(c) * one)
    uint64_t alpha = AL_GE(lw, 'a') & ~AL_GE(lw, 'z' + 1);
    uint64_t digit = AL_GE(v, '0') & ~AL_GE(v, '9' + 1);
    uint64_t under = AL_GE(v, '_') & ~AL_GE(v, '_' + 1);
#undef AL_GE
    uint64_t stop = ~((alpha | digit | under) & ~w) & hi; /* non-word or non-ASCII */
    if (stop) return j + ((size_t)__builtin_ctzll(stop) >> 3);
    j += 8;
  }
#endif
  while (j < n && p[j] < 0x80 && tok_aclass[p[j]] == 1) j++;
  return j;
}

/* Finds the next word of p[i..n) (skipping whitespace): Python's \w+ or one character
 * of [^\w\s]. Returns false at the end of the text. */
static inline bool next_word(const unsigned char *p, size_t n, size_t *pi, size_t *start,
                             size_t *wlen) {
  size_t i = *pi;
  uint32_t cp;
  size_t l;
  for (;;) {
    if (i >= n) return false;
    if (p[i] < 0x80) {
      uint8_t k = tok_aclass[p[i]];
      if (k == 0) {
        i++;
        continue;
      }
      l = 1;
      cp = p[i];
      break;
    }
    l = tok_utf8_next(p + i, &cp);
    if (!tok_is_space(cp)) break;
    i += l;
  }
  *start = i;
  if (!tok_is_word(cp)) {
    *wlen = l;
    *pi = i + l;
    return true;
  }
  size_t j = i + l;
  while (j < n) {
    if (p[j] < 0x80) {
      size_t k = ascii_word_run(p + j, n - j);
      j += k;
      if (k) continue;
      break;
    }
    size_t l2 = tok_utf8_next(p + j, &cp);
    if (!tok_is_word(cp)) break;
    j += l2;
  }
  *wlen = j - i;
  *pi = j;
  return true;
}


#ifdef TOK_SCAN_BLOCKS
typedef struct block_masks {
  uint64_t word, space, high; /* bit k: byte k is [0-9A-Za-z_] / \s / >= 0x80 */
} block_masks;

static inline __m128i in_range(__m128i v, char lo, char hi) {
  /* signed byte compares: bytes >= 0x80 are negative and never in an ASCII range */
  return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((char)(lo - 1))),
                       _mm_cmplt_epi8(v, _mm_set1_epi8((char)(hi + 1))));
}

static inline block_masks classify64(const unsigned char *p) {
  block_masks m = {0, 0, 0};
  for (int q = 0; q < 4; q++) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * q));
    __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
    __m128i word = _mm_or_si128(_mm_or_si128(in_range(lower, 'a', 'z'), in_range(v, '0', '9')),
                                _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
    __m128i space = _mm_or_si128(in_range(v, 0x09, 0x0d), in_range(v, 0x1c, 0x20));
    m.word |= (uint64_t)(uint16_t)_mm_movemask_epi8(word) << (16 * q);
    m.space |= (uint64_t)(uint16_t)_mm_movemask_epi8(space) << (16 * q);
    m.high |= (uint64_t)(uint16_t)_mm_movemask_epi8(v) << (16 * q);
  }
  return m;
}

#if TOK_X86
#include <immintrin.h>
TOK_TARGET_V3 static inline __m256i in_range32(__m256i v, char lo, char hi) {
  return _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8((char)(lo - 1))),
                          _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(hi + 1)), v));
}

/* classify64 with 32-byte vectors, for the v3 build (half the instructions). */
TOK_TARGET_V3 static inline block_masks classify64_avx2(const unsigned char *p) {
  block_masks m = {0, 0, 0};
  for (int q = 0; q < 2; q++) {
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * q));
    __m256i lower = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
    __m256i word = _mm256_or_si256(
        _mm256_or_si256(in_range32(lower, 'a', 'z'), in_range32(v, '0', '9')),
        _mm256_cmpeq_epi8(v, _mm256_set1_epi8('_')));
    __m256i space = _mm256_or_si256(in_range32(v, 0x09, 0x0d), in_range32(v, 0x1c, 0x20));
    m.word |= (uint64_t)(uint32_t)_mm256_movemask_epi8(word) << (32 * q);
    m.space |= (uint64_t)(uint32_t)_mm256_movemask_epi8(space) << (32 * q);
    m.high |= (uint64_t)(uint32_t)_mm256_movemask_epi8(v) << (32 * q);
  }
  return m;
}
#endif

/* Reads the words of the 64 bytes at p + *pos off the masks into out[*nb ..]. Stops
 * before a word run that reaches the last ASCII byte of the block (it may go on). Sets
 * *pos to where scanning continues; returns false when the scalar scanner must take
 * the word at *pos. */
static inline __attribute__((always_inline)) bool scan_block(const unsigned char *p, size_t *pos,
                                                             tok_span *out, size_t *nb, size_t max,
                                                             bool avx2) {
  size_t i = *pos;
#if TOK_X86
  block_masks m = avx2 ? classify64_avx2(p + i) : classify64(p + i);
#else
  (void)avx2;
  block_masks m = classify64(p + i);
#endif
  unsigned limit = m.high ? (unsigned)__builtin_ctzll(m.high) : 64;
  if (limit == 0) return false;
  uint64_t valid = limit == 64 ? ~0ull : (1ull << limit) - 1;
  uint64_t w = m.word & valid;
  uint64_t word_starts = w & ~(w << 1), punct = ~(w | m.space) & valid;
  uint64_t starts = word_starts | punct;
  /* every word ends at the first of these at or after its start: a word run's last
   * byte, or the [^\w\s] character itself, so no branch tells the two kinds apart */
  uint64_t ends = (w & ~(w >> 1)) | punct;
  /* a word run reaching the last ASCII byte of the block may go on past the block or
   * into a non-ASCII letter: it is left for the next call */
  unsigned open = 64;
  if ((w >> (limit - 1)) & 1) {
    open = 63u - (unsigned)__builtin_clzll(word_starts & valid);
    starts &= ((uint64_t)1 << open) - 1;
  }
  while (starts) {
    unsigned k = (unsigned)__builtin_ctzll(starts);
    if (*nb == max) {
      *pos = i + k;
      return true;
    }
    out[*nb].off = (uint32_t)(i + k);
    out[*nb].len = (unsigned)__builtin_ctzll(ends >> k) + 1;
    (*nb)++;
    starts &= starts - 1;
  }
  if (open < 64) {
    *pos = i + open;
    return open != 0;
  }
  *pos = i + limit; /* the rest of the block is whitespace */
  return true;
}
#endif

static inline __attribute__((always_inline)) size_t scan_words(const unsigned char *p, size_t n,
                                                               size_t *pos, tok_span *out,
                                                               size_t max, bool avx2) {
  size_t i = *pos, nb = 0;
  while (nb < max) {
#ifdef TOK_SCAN_BLOCKS
    if (i + 64 <= n && scan_block(p, &i, out, &nb, max, avx2)) continue;
#endif
    size_t start, len;
    if (!next_word(p, n, &i, &start, &len)) break;
    out[nb].off = (uint32_t)start;
    out[nb].len = (uint32_t)len;
    nb++;
  }
  *pos = i;
  return nb;
}

size_t tok_scan_words(const unsigned char *p, size_t n, size_t *pos, tok_span *out, size_t max) {
  return scan_words(p, n, pos, out, max, false);
}

TOK_TARGET_V3 size_t tok_scan_words_v3(const unsigned char *p, size_t n, size_t *pos,
                                       tok_span *out, size_t max) {
  return scan_words(p, n, pos, out, max, TOK_X86);
}

size_t tok_scan_words_scalar(const unsigned char *p, size_t n, size_t *pos, tok_span *out,
                             size_t max) {
  size_t i = *pos, nb = 0, start, len;
  while (nb < max && next_word(p, n, &i, &start, &len)) {
    out[nb].off = (uint32_t)start;
    out[nb].len = (uint32_t)len;
    nb++;
  }
  *pos = i;
  return nb;
}
