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

/* Encodes path (modality TEXT or CODE) into rows. *bytes_read grows by the raw bytes
 * read. A read error after part of the document was written ends the document where it
 * stopped and returns WORKER_DOC_SKIP with a reason that says so. */
int worker_doc_encode(tok_encoder *enc, tok_modality m, const char *path, shard_rows *rows,
                      uint64_t *bytes_read, char *reason, size_t reason_cap, al_err *err);

/* The same for a document already in memory (text, len), e.g. one JSON Lines record.
 * source names it in the manifest. */
int worker_doc_encode_text(tok_encoder *enc, tok_modality m, const char *text, size_t len,
                           const char *source, shard_rows *rows, char *reason, size_t reason_cap,
                           al_err *err);

#endif
