/* The marker ids that open and close a document of a modality, as the per-file sample
 * (al_tok_build_sample_text) places them, for callers that stream a document's body ids
 * themselves (worker/docenc.c). Prefix: tok_. */
#ifndef AL_TOKENIZE_TOK_MARKERS_H
#define AL_TOKENIZE_TOK_MARKERS_H

#include <stddef.h>
#include <stdint.h>

#include "auralith/tokenizer.h"

typedef struct tok_markers {
  int32_t open[2], close[2]; /* in order: open before the body, close after it */
  size_t n_open, n_close;    /* 0..2 each */
  int reserve_close;         /* truncation keeps the close marker (the original's code rows:
                              * <CODE> body[:L-2] <CODE_END>); else a plain prefix */
} tok_markers;

/* The original's kind: text <bos> ... <eos> (the ids an empty encode with special tokens
 * gives), code <CODE> ... <CODE_END> with reserve_close. Byte-level tokenizers: the
 * vocabulary's bos (when it has one), then for code its code marker, and after the body
 * code_end then eos, each only when the vocabulary has it; plain prefix truncation. */
void tok_markers_for(al_tok_encoder *e, al_tok_modality m, tok_markers *out);

#endif
