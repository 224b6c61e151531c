/* SafeTensors reader and validator. The input is untrusted (inspect, tests, fuzzing):
 * every length, offset and shape is checked with overflow-safe arithmetic before use.
 *
 * Rules (those of the Hugging Face reader, plus a strict header):
 *  - 8-byte little-endian header length N; N <= SHARD_ST_MAX_HEADER and 8 + N <= file size;
 *  - the header is a UTF-8 JSON object (first byte '{'), without duplicate keys; only
 *    spaces may follow it;
 *  - optional "__metadata__": an object of string values;
 *  - every other key is a tensor {"dtype": known name, "shape": [uint...],
 *    "data_offsets": [begin, end]} (extra fields are ignored, as HF does);
 *  - tensors sorted by offset are contiguous from 0, each (end - begin) equals
 *    product(shape) * dtype size, and 8 + N + last end equals the file size exactly. */
#ifndef AL_SHARD_SAFETENSORS_H
#define AL_SHARD_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "common/al.h"

#define SHARD_ST_MAX_HEADER ((uint64_t)100000000)  /* the HF reader's limit (100 MB) */
#define SHARD_ST_MAX_NDIM 64

typedef enum {
  SHARD_DT_BOOL, SHARD_DT_U8, SHARD_DT_I8, SHARD_DT_F8_E5M2, SHARD_DT_F8_E4M3,
  SHARD_DT_I16, SHARD_DT_U16, SHARD_DT_F16, SHARD_DT_BF16, SHARD_DT_I32, SHARD_DT_U32,
  SHARD_DT_F32, SHARD_DT_F64, SHARD_DT_I64, SHARD_DT_U64, SHARD_DT_COUNT
} shard_dtype;

/* "I32" etc.; NULL for an out-of-range value. */
const char *shard_dtype_name(shard_dtype d);
/* Bytes per element. */
size_t shard_dtype_size(shard_dtype d);
/* Parses a dtype name; -1 when unknown. */
int shard_dtype_parse(const char *name);

typedef struct shard_st_tensor {
  char *name;
  shard_dtype dtype;
  size_t ndim;
  uint64_t *shape;          /* ndim entries */
  uint64_t begin, end;      /* offsets in the data buffer */
  const uint8_t *data;      /* end - begin bytes, points into the file's buffer */
} shard_st_tensor;

typedef struct shard_st_meta {
  char *key;
  char *value;
} shard_st_meta;

typedef struct shard_st_file {
  uint64_t header_len;      /* N */
  char *header;             /* N bytes of header text, NUL-terminated copy */
  int has_metadata;         /* "__metadata__" present */
  shard_st_meta *meta;      /* in header order */
  size_t nmeta;
  shard_st_tensor *tensors; /* sorted by offset (= data order) */
  size_t ntensors;
  const uint8_t *buf;       /* the whole file */
  size_t size;
  void *map;                /* owned mapping when loaded from a path, else NULL */
  size_t map_len;
} shard_st_file;

/* Parses and validates buf (len bytes). buf is borrowed and must outlive *out (tensor
 * data points into it). On failure returns -1 with err (code SHARD_EFORMAT) naming
 * what is wrong, and *out is left empty. Release with shard_st_free. */
int shard_st_parse(const uint8_t *buf, size_t len, shard_st_file *out, al_err *err);
/* Maps the file read-only and parses it; the message names the path. */
int shard_st_load(const char *path, shard_st_file *out, al_err *err);
void shard_st_free(shard_st_file *f);

/* Lookups; NULL when absent. Borrowed from f. */
const shard_st_tensor *shard_st_find(const shard_st_file *f, const char *name);
const char *shard_st_meta_get(const shard_st_file *f, const char *key);

/* Element count of t (validated not to overflow at parse time). */
uint64_t shard_st_numel(const shard_st_tensor *t);

/* Checks the auralith shard schema of §18.1 on a parsed file: exactly the four tensors
 * with their dtypes, shapes (n, L) equal, data order input_ids, targets,
 * attention_mask, modality_mask, metadata strings pipeline_version "2.0",
 * schema_version "2", shard_id, num_samples == n, seq_length == L, header padded to a
 * multiple of 8 with spaces, attention_mask a prefix of ones per row, padding 0 and
 * targets = input_ids shifted left. On success fills *n and *L (either may be NULL). */
int shard_st_check_schema(const shard_st_file *f, uint64_t *n, uint64_t *L, al_err *err);

/* Little-endian element reads (data may be unaligned). */
int32_t shard_st_i32(const shard_st_tensor *t, uint64_t index);
uint8_t shard_st_u8(const shard_st_tensor *t, uint64_t index);

#endif
