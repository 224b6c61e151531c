/* Row building: turns documents (streams of ids) into the rows a shard_writer stores,
 * under the job's long-document and packing rules (docs/FORMAT.md).
 *
 *  long_documents truncate: a document keeps its first L ids, the original's row:
 *    (open + body + close)[:L], except that a document whose close marker is reserved
 *    (code: <CODE> body[:L-2] <CODE_END>) keeps its close marker.
 *  long_documents split: every id is kept; a document's ids are cut into consecutive
 *    rows of L, so concatenating its rows gives its whole encoding.
 *  packing none: every document starts a new row (today's layout, no extra tensors).
 *  packing greedy: documents follow each other in input order in one stream of rows of
 *    L (a document that does not fit continues in the next row, its position_ids
 *    continuing); only the last row of the stream is padded. The writer must be opened
 *    with shard_writer_open_packed.
 *
 * Memory: one row (L ids, L modality bytes, its segments) whatever the document length,
 * so a caller streams a document's ids in pieces. Prefix: shard_rows_. */
#ifndef AL_SHARD_ROWS_H
#define AL_SHARD_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "common/al.h"
#include "shard/shard.h"

typedef enum { SHARD_LONG_TRUNCATE = 0, SHARD_LONG_SPLIT = 1 } shard_long_mode;
typedef enum { SHARD_PACK_NONE = 0, SHARD_PACK_GREEDY = 1 } shard_pack_mode;

/* Parse/print "truncate"/"split" and "none"/"greedy". Parsers return 0 or -1. */
int shard_long_mode_parse(const char *s, shard_long_mode *out);
int shard_pack_mode_parse(const char *s, shard_pack_mode *out);
const char *shard_long_mode_name(shard_long_mode m);
const char *shard_pack_mode_name(shard_pack_mode m);

/* What the rows hold, for the task result and the manifest. */
typedef struct shard_row_counts {
  uint64_t documents;      /* documents ended */
  uint64_t ids_encoded;    /* ids of the documents' whole encodings, markers included */
  uint64_t ids_written;    /* ids in rows (real, attended positions) */
  uint64_t ids_truncated;  /* ids_encoded - ids_written: dropped by truncation */
  uint64_t rows;           /* rows handed to the writer */
  uint64_t pad_ids;        /* padding positions of those rows (rows * L - ids_written) */
} shard_row_counts;

typedef struct shard_rows shard_rows;

/* A row builder over w (borrowed; must outlive the builder). L is the writer's row
 * length. Free with shard_rows_free. */
shard_rows *shard_rows_new(shard_writer *w, uint32_t L, shard_long_mode lm, shard_pack_mode pm);
/* Starts a document from `source` (copied) whose ids carry `modality`. open/close are its
 * marker ids (<bos>/<eos>, <CODE>/<CODE_END>; -1 for none, when the pushed ids hold them); reserve_close says truncation keeps the
 * close marker (code). The previous document must have ended. */
void shard_rows_begin(shard_rows *r, const char *source, uint8_t modality, int32_t open, int32_t close,
                      int reserve_close);
/* Appends n body ids of the open document. Full rows go to the writer. Returns 0 or -1
 * with err filled by the writer. */
int shard_rows_push(shard_rows *r, const int32_t *ids, size_t n, al_err *err);
/* Ends the open document (adds its close marker). */
int shard_rows_end(shard_rows *r, al_err *err);
/* Writes the last, partial packed row. Call once after the last document. */
int shard_rows_finish(shard_rows *r, al_err *err);
void shard_rows_counts(const shard_rows *r, shard_row_counts *out);
void shard_rows_free(shard_rows *r);

#endif
