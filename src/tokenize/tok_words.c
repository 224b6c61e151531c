/* The original's normalisation and word split: whitespace runs separate words (so
 * trimming and collapsing are implicit), optional str.lower() with the final-sigma
 * rule, words = \w+ runs or single other characters (found by tok_scan.c). The encoder
 * and the trainer both go through here, so they split text identically. */
#include <stdlib.h>

#include "tokenize/tok_scan.h"
#include "tokenize/tok_unicode.h"
#include "tokenize/tok_words.h"

#define CHUNK 65536

size_t tok_chunk_end(const char *text, size_t len, size_t pos) {
  size_t end = len - pos > CHUNK ? pos + CHUNK : len;
  while (end < len && (unsigned char)text[end - 1] > 0x20) end++;
  return end;
}

static void lower_ascii(al_buf *dst, const unsigned char *p, size_t n) {
  al_buf_reserve(dst, n);
  char *d = dst->data + dst->len;
  for (size_t k = 0; k < n; k++) d[k] = (char)((p[k] >= 'A' && p[k] <= 'Z') ? p[k] + 32 : p[k]);
  dst->len += n;
}

void tok_lower_text(const unsigned char *p, size_t n, al_buf *out, uint32_t **cps,
                    size_t *cps_cap) {
  al_buf_reserve(out, n);
  size_t done = 0; /* p[0..done) is lowercased into out; done starts a segment */
  while (done < n) {
    size_t k = done;
    while (k < n && p[k] < 0x80) k++;
    if (k == n) {
      lower_ascii(out, p + done, n - done);
      break;
    }
    uint32_t cp;
    size_t l = tok_utf8_next(p + k, &cp);
    if (tok_is_space(cp)) {
      lower_ascii(out, p + done, k - done);
      al_buf_append(out, p + k, l);
      done = k + l;
      continue;
    }
    /* The segment around k: ASCII back to the previous whitespace, anything up to the
     * next whitespace. It is lowercased code point by code point with its context. */
    size_t a = k;
    while (a > done && !tok_ascii_space(p[a - 1])) a--;
    lower_ascii(out, p + done, a - done);
    size_t b = k;
    while (b < n) {
      l = tok_utf8_next(p + b, &cp);
      if (tok_is_space(cp)) break;
      b += l;
    }
    size_t seg = b - a;
    if (*cps_cap < seg) {
      *cps_cap = seg;
      *cps = al_xrealloc(*cps, seg * sizeof **cps);
    }
    size_t m = 0;
    for (size_t q = a; q < b;) q += tok_utf8_next(p + q, &(*cps)[m++]);
    for (size_t q = 0; q < m; q++) {
      uint32_t lo[2];
      int c = tok_lower_at(*cps, m, q, lo);
      char tmp[8];
      size_t tl = tok_utf8_put(lo[0], tmp);
      if (c == 2) tl += tok_utf8_put(lo[1], tmp + tl);
      al_buf_append(out, tmp, tl);
    }
    done = b;
  }
}

void tok_for_each_word(const char *text, size_t n, bool lowercase, tok_word_fn fn, void *ctx) {
  al_buf low = {0};
  uint32_t *cps = NULL;
  size_t cps_cap = 0;
  tok_span spans[64];
  for (size_t pos = 0; pos < n;) {
    size_t end = tok_chunk_end(text, n, pos);
    const unsigned char *p = (const unsigned char *)text + pos;
    size_t cn = end - pos;
    pos = end;
    if (lowercase) {
      low.len = 0;
      tok_lower_text(p, cn, &low, &cps, &cps_cap);
      p = (const unsigned char *)low.data;
      cn = low.len;
    }
    size_t i = 0, got;
    while ((got = tok_scan_words(p, cn, &i, spans, 64)) > 0)
      for (size_t k = 0; k < got; k++) fn(ctx, (const char *)p + spans[k].off, spans[k].len);
  }
  free(cps);
  al_buf_free(&low);
}
