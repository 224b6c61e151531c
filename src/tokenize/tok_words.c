/* The original's normalisation and word split, as a callback iterator: whitespace runs
 * separate words (so trimming and collapsing are implicit), optional str.lower() with
 * the final-sigma rule, words = \w+ runs or single other characters. Used by the
 * trainer (the encoder finds words with tok_scan.c, which tests and fuzz_scan check
 * against the same rules). */
#include <stdlib.h>

#include "tokenize/tok_unicode.h"
#include "tokenize/tok_words.h"

static void split(const char *s, size_t n, tok_word_fn fn, void *ctx) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    size_t l = tok_utf8_next(p + i, &cp);
    if (!tok_is_word(cp)) {
      fn(ctx, s + i, l);
      i += l;
      continue;
    }
    size_t j = i + l;
    while (j < n) {
      l = tok_utf8_next(p + j, &cp);
      if (!tok_is_word(cp)) break;
      j += l;
    }
    fn(ctx, s + i, j - i);
    i = j;
  }
}

void tok_for_each_word(const char *text, size_t n, bool lowercase, tok_word_fn fn, void *ctx) {
  const unsigned char *p = (const unsigned char *)text;
  al_buf low = {0};
  uint32_t *cps = NULL;
  size_t cps_cap = 0;
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    size_t l = tok_utf8_next(p + i, &cp);
    if (tok_is_space(cp)) {
      i += l;
      continue;
    }
    size_t j = i + l;
    while (j < n) {
      size_t l2 = tok_utf8_next(p + j, &cp);
      if (tok_is_space(cp)) break;
      j += l2;
    }
    if (!lowercase) {
      split(text + i, j - i, fn, ctx);
    } else {
      if (cps_cap < j - i) {
        cps_cap = j - i;
        cps = al_xrealloc(cps, cps_cap * sizeof *cps);
      }
      size_t m = 0;
      for (size_t k = i; k < j;) k += tok_utf8_next(p + k, &cps[m++]);
      low.len = 0;
      for (size_t k = 0; k < m; k++) {
        uint32_t lo[2];
        int c = tok_lower_at(cps, m, k, lo);
        char tmp[8];
        size_t tl = tok_utf8_put(lo[0], tmp);
        if (c == 2) tl += tok_utf8_put(lo[1], tmp + tl);
        al_buf_append(&low, tmp, tl);
      }
      split(low.data, low.len, fn, ctx);
    }
    i = j;
  }
  free(cps);
  al_buf_free(&low);
}
