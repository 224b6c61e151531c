/* Unicode helpers with the exact semantics of the Python 3.11 original: UTF-8 decoding
 * as bytes.decode("utf-8", errors="replace"), str.isspace, re's \w, str.lower with the
 * final-sigma rule, and NFC. Internal to src/tokenize. */
#ifndef AL_TOKENIZE_TOK_UNICODE_H
#define AL_TOKENIZE_TOK_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/al.h"

enum { TOK_UP_WORD = 1, TOK_UP_CASED = 2, TOK_UP_IGNORE = 4, TOK_UP_LOWER = 8, TOK_UP_MARK = 16,
       TOK_UP_NFC_INERT = 32 };

/* Generated property flags (tok_utab.c). */
unsigned tok_uprops(uint32_t cp);
extern const uint32_t tok_utab_lower[][2];
extern const size_t tok_utab_lower_len;

/* Python str.isspace(). */
static inline bool tok_is_space(uint32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20);
  return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
         c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* re's \w for str patterns: isalnum() or '_'. */
static inline bool tok_is_word(uint32_t c) {
  if (c < 0x80)
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return (tok_uprops(c) & TOK_UP_WORD) != 0;
}

/* Decodes one code point from valid UTF-8 at s (n bytes available, n >= 1). Returns the
 * byte length. The caller guarantees validity (text produced by tok_utf8_replace). */
static inline size_t tok_utf8_next(const unsigned char *s, uint32_t *cp) {
  unsigned c = s[0];
  if (c < 0x80) { *cp = c; return 1; }
  if (c < 0xe0) { *cp = ((c & 0x1fu) << 6) | (s[1] & 0x3fu); return 2; }
  if (c < 0xf0) { *cp = ((c & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu); return 3; }
  *cp = ((c & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) | (s[3] & 0x3fu);
  return 4;
}

/* Writes cp as UTF-8 into out (4 bytes room); returns the length. */
size_t tok_utf8_put(uint32_t cp, char *out);

/* Appends the decoding of in[0..n) to out as valid UTF-8: each ill-formed subsequence is
 * replaced by U+FFFD exactly as CPython's errors="replace" does (maximal subparts). With
 * universal_newlines, CRLF and lone CR become LF (Python text mode). */
void tok_utf8_replace(const char *in, size_t n, bool universal_newlines, al_buf *out);
/* True when in[0..n) is well-formed UTF-8 (no surrogates, <= U+10FFFF). */
bool tok_utf8_valid(const char *in, size_t n);
/* tok_utf8_valid, and when valid also sets *nfc_needed to tok_nfc_needed(in, n): one pass
 * over the text instead of two. */
bool tok_utf8_check(const char *in, size_t n, bool *nfc_needed);

/* Python str.lower() of one code point inside a string (cps[0..n), position i), with
 * the final-sigma rule. Writes 1 or 2 code points to out; returns how many. */
int tok_lower_at(const uint32_t *cps, size_t n, size_t i, uint32_t out[2]);

/* False when in[0..n) is certainly already NFC (no code point >= U+0300). */
bool tok_nfc_needed(const char *in, size_t n);
/* Unicode NFC of valid UTF-8 in[0..n) appended to out. Returns false on failure. */
bool tok_nfc(const char *in, size_t n, al_buf *out);

#endif
