/* Encoding one text or code file as one document into rows (split and packed layouts,
 * and the truncated rows with exact counts). The file is streamed (worker/docread.h)
 * and every piece encoded as it comes, so memory stays bounded whatever the file size;
 * the ids are those of encoding the whole file: text <bos> ids <eos>, code <CODE> ids
 * <CODE_END>, as the original builds its sample before truncation. Prefix: worker_. */
#ifndef AL_WORKER_DOCENC_H
#define AL_WORKER_DOCENC_H

#include <stddef.h>
#include <stdint.h>

#include "auralith/tokenizer.h"
#include "shard/rows.h"

enum {
  WORKER_DOC_WRITTEN = 1,   /* the document went into rows */
  WORKER_DOC_BLANK = 0,     /* blank text: nothing written */
  WORKER_DOC_SKIP = -1,     /* the file cannot be used: reason filled, nothing written */
  WORKER_DOC_FAIL = -2,     /* the output failed: err filled (the task fails) */
};

/* How to read one input (worker/inputs.h decides it). */
typedef struct worker_doc_opts {
  int zkind;               /* worker_zkind */
  uint64_t decomp_limit;   /* 0: worker_decomp_limit of the file size */
  int sniff;               /* skip ("not text") unless the content looks like text */
  const char *jsonl_field; /* non-NULL: JSON Lines, one document per line from this field */
  const char *read_path;   /* non-NULL: the file to open (the path resolved by the input
                            * guard); path still names the document */
} worker_doc_opts;

/* A bad JSON Lines record, reported to the caller (which lists it as a skip). */
typedef void (*worker_bad_line_fn)(void *ud, const char *path, uint64_t line, const char *why);

/* Encodes path (modality TEXT or CODE) into rows. *bytes_read grows by the raw bytes
 * read. A read error after part of the document was written ends the document where it
 * stopped and returns WORKER_DOC_SKIP with a reason that says so. JSON Lines: every good
 * line is a document whose source is "path:LINE"; bad lines go to bad_line and the
 * file counts as written when one record was. */
int worker_doc_encode(al_tok_encoder *enc, al_tok_modality m, const char *path, const worker_doc_opts *o,
                      shard_rows *rows, uint64_t *bytes_read, worker_bad_line_fn bad_line, void *ud,
                      char *reason, size_t reason_cap, al_err *err);

/* Parses one JSON Lines record and finds its text: returns 1 with *text and *tlen borrowed
 * from *doc (json_decref it after use), 0 for a blank line, -1 with why filled (not JSON,
 * not an object, no such field, field not a string). Exposed for the fuzz target. */
struct json_t;
int worker_jsonl_record(const char *line, size_t len, const char *field, struct json_t **doc, const char **text,
                        size_t *tlen, char *why, size_t why_cap);

/* The same for a document already in memory (text, len), e.g. one JSON Lines record.
 * source names it in the manifest. */
int worker_doc_encode_text(al_tok_encoder *enc, al_tok_modality m, const char *text, size_t len,
                           const char *source, shard_rows *rows, char *reason, size_t reason_cap,
                           al_err *err);

#endif
