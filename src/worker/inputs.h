/* How the worker reads an input file, beyond the original's extension table:
 *  - compressed files (.gz .zst .xz .lzma .bz2) are decompressed while streaming and
 *    classified by their inner name (notes.txt.gz is text, lib.c.zst is code);
 *  - JSON Lines (.jsonl, .ndjson, also compressed) give one document per line, from a
 *    string field (job.jsonl_field, default "text");
 *  - with detect_text, a file the table does not know is text when its name is a
 *    well-known one (README, LICENSE, COPYING, Makefile, Dockerfile, CHANGELOG, NEWS,
 *    ...), or when its first 4 KiB are valid UTF-8 without NUL (sniffed when read).
 * Prefix: worker_. */
#ifndef AL_WORKER_INPUTS_H
#define AL_WORKER_INPUTS_H

#include <stdbool.h>

#include "auralith/tokenizer.h"

typedef struct worker_input {
  al_tok_modality m;   /* TOK_MOD_NONE: unclassified (unless sniff) */
  int zkind;        /* worker_zkind (worker/decomp.h) */
  bool jsonl;       /* one document per line */
  bool sniff;       /* detect_text: text if the content looks like text */
} worker_input;

void worker_input_classify(const char *path, bool detect_text, worker_input *out);
/* True for well-known extensionless text names (case-insensitive, a suffix such as
 * README.old or LICENSE-MIT allowed). base is a file name without directories. */
bool worker_well_known_text_name(const char *base);

#endif
