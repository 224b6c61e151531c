/* The original's text normalisation and word split, shared by the encoder and the
 * trainer (see tok_words.c). */
#ifndef AL_TOKENIZE_TOK_WORDS_H
#define AL_TOKENIZE_TOK_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/al.h"

/* End (exclusive) of the chunk of text[0..len) that starts at pos: about 64 KiB, ending
 * just after an ASCII whitespace or control byte, or at len. Such a byte never belongs
 * to a UTF-8 sequence (valid or not), ends every word, and neither NFC nor str.lower()
 * acts across it, so chunks can be decoded, normalised and split independently. */
size_t tok_chunk_end(const char *text, size_t len, size_t pos);

/* Appends str.lower() of p[0..n) (valid UTF-8) to out. Lowercasing goes one
 * whitespace-free segment at a time, because the final-sigma rule never looks across
 * whitespace and lowercasing never creates any; ASCII is mapped directly. *cps and
 * *cps_cap are caller-owned scratch (start NULL / 0; free *cps when done). */
void tok_lower_text(const unsigned char *p, size_t n, al_buf *out, uint32_t **cps,
                    size_t *cps_cap);

/* Called once per word; w is borrowed (valid during the call only). */
typedef void (*tok_word_fn)(void *ctx, const char *w, size_t n);
/* Every word of text (valid UTF-8) after optional lowercasing, in order. */
void tok_for_each_word(const char *text, size_t n, bool lowercase, tok_word_fn fn, void *ctx);

#endif
