/* Word iteration with the original's normalisation (see tok_words.c). */
#ifndef AL_TOKENIZE_TOK_WORDS_H
#define AL_TOKENIZE_TOK_WORDS_H

#include <stdbool.h>
#include <stddef.h>

/* Called once per word; w is borrowed (valid during the call only). */
typedef void (*tok_word_fn)(void *ctx, const char *w, size_t n);
/* text must be valid UTF-8. */
void tok_for_each_word(const char *text, size_t n, bool lowercase, tok_word_fn fn, void *ctx);

#endif
