/* UTF-8 decoding with CPython's replacement policy, str.lower() with final sigma, and
 * NFC (through utf8proc, with a pass-through fast path). */
#include "tokenize/tok_unicode.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

size_t tok_utf8_put(uint32_t cp, char *out) {
  unsigned char *o = (unsigned char *)out;
  if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xc0 | (cp >> 6));
    o[1] = (unsigned char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xe0 | (cp >> 12));
    o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (unsigned char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (unsigned char)(0xf0 | (cp >> 18));
  o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
  o[3] = (unsigned char)(0x80 | (cp & 0x3f));
  return 4;
}

static inline bool is_cont(unsigned char c) { return (c & 0xc0) == 0x80; }

/* Length of the well-formed sequence at s[i..n), or 0 when ill-formed; *bad receives
 * the number of bytes one U+FFFD replaces (CPython: the maximal subpart, at least 1). */
static size_t seq_len(const unsigned char *s, size_t i, size_t n, size_t *bad) {
  unsigned c = s[i];
  *bad = 1;
  if (c < 0x80) return 1;
  if (c < 0xc2 || c > 0xf4) return 0;
  size_t need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
  unsigned lo = 0x80, hi = 0xbf;
  if (c == 0xe0) lo = 0xa0;
  else if (c == 0xed) hi = 0x9f;
  else if (c == 0xf0) lo = 0x90;
  else if (c == 0xf4) hi = 0x8f;
  if (i + 1 >= n || s[i + 1] < lo || s[i + 1] > hi) return 0;
  for (size_t k = 2; k < need; k++) {
    if (i + k >= n || !is_cont(s[i + k])) { *bad = k; return 0; }
  }
  return need;
}

void tok_utf8_replace(const char *in, size_t n, bool universal_newlines, al_buf *out) {
  const unsigned char *s = (const unsigned char *)in;
  al_buf_reserve(out, n + 16);
  size_t i = 0;
  while (i < n) {
    /* copy the longest ASCII run without CR in one go (8 bytes at a time) */
    size_t j = i;
    while (j + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + j, 8);
      uint64_t cr = w ^ 0x0d0d0d0d0d0d0d0dull; /* a zero byte where w has '\r' */
      uint64_t has_cr = (cr - 0x0101010101010101ull) & ~cr & 0x8080808080808080ull;
      if ((w & 0x8080808080808080ull) || (universal_newlines && has_cr)) break;
      j += 8;
    }
    while (j < n && s[j] < 0x80 && !(universal_newlines && s[j] == '\r')) j++;
    if (j > i) { al_buf_append(out, s + i, j - i); i = j; if (i >= n) break; }
    if (s[i] == '\r') {
      al_buf_append(out, "\n", 1);
      i += (i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
      continue;
    }
    size_t bad;
    size_t len = seq_len(s, i, n, &bad);
    if (len) {
      al_buf_append(out, s + i, len);
      i += len;
    } else {
      al_buf_append(out, "\xef\xbf\xbd", 3);
      i += bad;
    }
  }
}

bool tok_utf8_valid(const char *in, size_t n) {
  bool ignored;
  return tok_utf8_check(in, n, &ignored);
}

/* One pass for both questions the encoder asks of a chunk (see find_high for the second):
 * a byte >= 0xcc in valid UTF-8 is the lead byte of a code point >= U+0300. */
bool tok_utf8_check(const char *in, size_t n, bool *nfc_needed) {
  const unsigned char *s = (const unsigned char *)in;
  size_t i = 0, bad;
  bool needed = false;
  while (i < n) {
    if (s[i] < 0x80) {
      i++;
      /* prose is mostly ASCII: skip it 16 bytes at a time */
      while (i + 16 <= n) {
        uint64_t a, b;
        memcpy(&a, s + i, 8);
        memcpy(&b, s + i + 8, 8);
        if ((a | b) & 0x8080808080808080ull) break;
        i += 16;
      }
      continue;
    }
    size_t len = seq_len(s, i, n, &bad);
    if (!len) return false;
    if (!needed && s[i] >= 0xcc) {
      uint32_t cp;
      tok_utf8_next(s + i, &cp);
      needed = !(tok_uprops(cp) & TOK_UP_NFC_INERT);
    }
    i += len;
  }
  *nfc_needed = needed;
  return true;
}

static uint32_t lower_one(uint32_t c) {
  size_t lo = 0, hi = tok_utab_lower_len;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (tok_utab_lower[mid][0] == c) return tok_utab_lower[mid][1];
    if (tok_utab_lower[mid][0] < c) lo = mid + 1;
    else hi = mid;
  }
  return c;
}

/* CPython's final-sigma test for U+03A3 at position i. */
static bool final_sigma(const uint32_t *cps, size_t n, size_t i) {
  size_t j = i;
  uint32_t c = 0;
  bool found = false;
  while (j > 0) {
    c = cps[--j];
    if (!(tok_uprops(c) & TOK_UP_IGNORE)) { found = true; break; }
  }
  if (!found || !(tok_uprops(c) & TOK_UP_CASED)) return false;
  for (j = i + 1; j < n; j++) {
    c = cps[j];
    if (!(tok_uprops(c) & TOK_UP_IGNORE)) return !(tok_uprops(c) & TOK_UP_CASED);
  }
  return true;
}

int tok_lower_at(const uint32_t *cps, size_t n, size_t i, uint32_t out[2]) {
  uint32_t c = cps[i];
  if (c < 0x80) {
    out[0] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
    return 1;
  }
  if (!(tok_uprops(c) & TOK_UP_LOWER)) { out[0] = c; return 1; }
  if (c == 0x130) { out[0] = 0x69; out[1] = 0x307; return 2; }
  if (c == 0x3a3) { out[0] = final_sigma(cps, n, i) ? 0x3c2 : 0x3c3; return 1; }
  out[0] = lower_one(c);
  return 1;
}

/* A byte that can never take part in a composition or canonical reordering with its
 * neighbours: ASCII whitespace and controls are starters that compose with nothing. */
static inline bool nfc_boundary(unsigned char c) { return c <= 0x20; }

/* Index of the first code point at or after i that NFC might change or that might
 * combine with its neighbours, or n. Code points below U+0300 (lead bytes below 0xCC)
 * and the NFC-inert ones (CJK ideographs, most punctuation and symbols) are skipped;
 * ASCII 8 bytes at a time. s[i..n) is valid UTF-8 starting at a code point. */
static size_t find_high(const unsigned char *s, size_t i, size_t n) {
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (!(w & 0x8080808080808080ull)) {
        i += 8;
        continue;
      }
    }
    if (s[i] < 0xcc) {
      i++; /* ASCII, or a byte of a code point below U+0300 */
      continue;
    }
    uint32_t cp;
    size_t l = tok_utf8_next(s + i, &cp);
    if (!(tok_uprops(cp) & TOK_UP_NFC_INERT)) return i;
    i += l;
  }
  return n;
}

bool tok_nfc_needed(const char *in, size_t n) {
  return find_high((const unsigned char *)in, 0, n) < n;
}

/* Python 3.11 normalises with Unicode 14. A code point that Unicode 14 leaves
 * unassigned (a starter with no decomposition or composition there) but that the
 * utf8proc in use treats as a combining mark must not take part in reordering: NFC of
 * "A X B" is then NFC(A) X NFC(B). */
static bool newer_mark(uint32_t cp) {
  return cp >= 0x300 && !(tok_uprops(cp) & TOK_UP_MARK) && utf8proc_get_property((utf8proc_int32_t)cp)->combining_class != 0;
}

static bool nfc_piece(const char *in, size_t n, al_buf *out) {
  if (n == 0) return true;
  utf8proc_uint8_t *dst = NULL;
  utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)n, &dst,
                                    UTF8PROC_STABLE | UTF8PROC_COMPOSE);
  if (r < 0) return false;
  al_buf_append(out, dst, (size_t)r);
  free(dst);
  return true;
}

static bool nfc_segment(const char *in, size_t n, al_buf *out) {
  const unsigned char *s = (const unsigned char *)in;
  size_t start = 0;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t l = tok_utf8_next(s + i, &cp);
    if (newer_mark(cp)) {
      if (!nfc_piece(in + start, i - start, out)) return false;
      al_buf_append(out, in + i, l);
      start = i + l;
    }
    i += l;
  }
  return nfc_piece(in + start, n - start, out);
}

bool tok_nfc(const char *in, size_t n, al_buf *out) {
  /* Only the segments (between ASCII whitespace/control bytes) that hold a code point
   * >= U+0300 go through utf8proc; NFC never acts across such a boundary. */
  const unsigned char *s = (const unsigned char *)in;
  al_buf_reserve(out, n + 16);
  size_t done = 0;
  while (done < n) {
    size_t k = find_high(s, done, n);
    if (k >= n) break;
    size_t a = k, b = k;
    while (a > done && !nfc_boundary(s[a - 1])) a--;
    while (b < n && !nfc_boundary(s[b])) b++;
    al_buf_append(out, in + done, a - done);
    if (!nfc_segment(in + a, b - a, out)) return false;
    done = b;
  }
  al_buf_append(out, in + done, n - done);
  return true;
}
