/* The hand-written scanners (tok_pretok_scan.c): each returns the end (> p) of the match
 * its pattern makes at p, for valid UTF-8 s[0..n) and p < n. Internal. */
#ifndef AL_TOKENIZE_TOK_PRETOK_SCAN_H
#define AL_TOKENIZE_TOK_PRETOK_SCAN_H

#include <stddef.h>

size_t tok_scan_gpt2(const unsigned char *s, size_t n, size_t p);
size_t tok_scan_cl100k(const unsigned char *s, size_t n, size_t p);
size_t tok_scan_o200k(const unsigned char *s, size_t n, size_t p);

#endif
