/* Finding the words of normalised text: Python's \w+ runs and single [^\w\s]
 * characters, with whitespace (Python's \s) between them skipped. */
#ifndef AL_TOKENIZE_TOK_SCAN_H
#define AL_TOKENIZE_TOK_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ASCII byte classes: 0 whitespace (\t-\r, \x1c-\x20), 1 \w, 2 other. */
extern const uint8_t tok_aclass[128];

static inline bool tok_ascii_space(unsigned char c) { return c < 0x80 && tok_aclass[c] == 0; }

/* One word: p[off .. off + len). */
typedef struct tok_span {
  uint32_t off, len;
} tok_span;

/* Finds up to `max` words of p[*pos .. n) (valid UTF-8, n < 4 GiB), in order, into
 * out (caller-owned, room for max). Advances *pos past the last word found. Returns
 * how many were found: 0 only at the end of the text. */
size_t tok_scan_words(const unsigned char *p, size_t n, size_t *pos, tok_span *out, size_t max);

/* The same compiled for the v3 CPU level (tok_cpu.h); only where tok_cpu_has_v3(). */
size_t tok_scan_words_v3(const unsigned char *p, size_t n, size_t *pos, tok_span *out,
                         size_t max);

/* The same, one character at a time: the definition the block scanner must equal
 * (tests compare the two). */
size_t tok_scan_words_scalar(const unsigned char *p, size_t n, size_t *pos, tok_span *out,
                             size_t max);

#endif
