/* Human and JSON views of a SafeTensors shard, for `auralith-pipeline inspect`. */
#ifndef AL_SHARD_INSPECT_H
#define AL_SHARD_INSPECT_H

#include <stdint.h>
#include <stdio.h>

#include "common/al.h"

/* Turns a row's ids back into text. Returns a heap string the caller frees, or NULL
 * when the ids cannot be decoded. */
typedef char *(*shard_decode_fn)(void *ctx, const int32_t *ids, size_t n);

typedef struct shard_inspect_opts {
  int64_t sample;          /* row to print, or -1 for none */
  int json;                /* print one JSON object instead of text */
  shard_decode_fn decode;  /* optional: adds the row's text */
  void *decode_ctx;
} shard_inspect_opts;

/* Loads and validates path, then prints its header (tensors, dtypes, shapes, offsets,
 * metadata), whether it follows the auralith shard schema, and the chosen row. Returns
 * 0, or -1 with err filled (unreadable or invalid file, row out of range). Nothing is
 * printed on error. */
int shard_inspect(FILE *out, const char *path, const shard_inspect_opts *opts, al_err *err);

#endif
