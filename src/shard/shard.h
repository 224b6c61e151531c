/* Shard output: the SafeTensors files a task writes (original-behaviour.md §18.1).
 *
 * A task feeds its samples one at a time, in order, to a shard_writer. Every
 * `shard_size` samples the writer produces <dir>/shard_%06d.safetensors holding four
 * tensors of shape (n, L): input_ids I32, targets I32 (input_ids shifted left, 0 at the
 * end), attention_mask U8, modality_mask U8, padded with 0, plus the original's
 * __metadata__ strings. Each file is written under a temporary name, fsync'd, renamed
 * into place and the directory fsync'd, so a reader never sees a partial shard.
 *
 * Memory bound: the writer never holds a shard's padded tensors. It keeps the real
 * (unpadded) ids and modality bytes of the open shard in a spill buffer that stays in
 * memory up to SHARD_SPILL_MEM_MAX bytes and continues in an unlinked temporary file
 * beyond that, plus one length and one source path per sample. When the shard closes it
 * streams the padded tensors to disk one row at a time. So memory is
 * O(SHARD_SPILL_MEM_MAX + shard_size * (4 + path length) + L * 4), whatever L and
 * shard_size are. Prefix: shard_. */
#ifndef AL_SHARD_SHARD_H
#define AL_SHARD_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "common/al.h"

/* Error codes in al_err.code. */
enum {
  SHARD_EIO = AL_E_IO,         /* a file system call failed (message has path and errno text) */
  SHARD_EFORMAT = AL_E_FORMAT, /* a file is not a valid SafeTensors / shard file */
  SHARD_EARG = AL_E_ARG,       /* a caller passed an invalid value */
};

#define SHARD_SPILL_MEM_MAX ((size_t)4 << 20)   /* bytes of real tokens kept in memory */
#define SHARD_MAX_SEQ_LEN 1048576u               /* sanity limit on L */
#define SHARD_MAX_SHARD_SIZE 10000000u           /* sanity limit on samples per shard */

/* One tokenized file (§17). len may exceed L; the writer truncates to L. */
typedef struct shard_sample {
  int32_t *input_ids;      /* len ids */
  uint8_t *modality_mask;  /* len modality values (0 text .. 4 code) */
  size_t len;
  char *source;            /* path of the file the sample came from */
} shard_sample;

/* Builds a sample owning copies of ids, mask (len entries each; mask may be NULL for
 * all 0) and source. Release with shard_sample_clear. */
void shard_sample_init(shard_sample *s, const int32_t *ids, const uint8_t *mask, size_t len,
                       const char *source);
void shard_sample_clear(shard_sample *s);

/* What one written shard holds. Strings are owned by the struct. */
typedef struct shard_info {
  char *path;              /* full path of the final file (dir joined with name) */
  char *name;              /* "shard_000000.safetensors" */
  uint32_t shard_id;
  uint64_t samples;
  uint64_t tokens;         /* sum over rows of min(len, L): real (attended) tokens */
  uint64_t bytes;          /* file length */
  char sha256[65];         /* lowercase hex of the whole file */
  char **sources;          /* unpacked: one per sample, in row order; packed: one per
                            * document that starts in the shard, in order */
  size_t nsources;
} shard_info;

void shard_info_clear(shard_info *i);
/* Deep copy of src into dst. */
void shard_info_copy(shard_info *dst, const shard_info *src);

typedef struct shard_writer shard_writer;

/* Starts a writer for dir (created with parents when missing). Shard files are named
 * from index 0. Does not clean the directory: call shard_dir_reset first when the
 * directory may hold output of an earlier attempt. max_seq_len may be 0 (rows of
 * length 0, as the original allows); shard_size must be >= 1. Returns NULL and fills
 * err on failure. Free with shard_writer_free. */
shard_writer *shard_writer_open(const char *dir, uint32_t max_seq_len, uint32_t shard_size,
                                al_err *err);
/* The packed layout (job.packing greedy, docs/FORMAT.md): the same rows plus two I32
 * tensors document_ids (index of the document within its row, -1 in padding) and
 * position_ids (position within its document, 0 in padding), and "packing":"greedy" in
 * __metadata__. Rows are added with shard_writer_add_packed (or add_raw: one document
 * from position 0). */
shard_writer *shard_writer_open_packed(const char *dir, uint32_t max_seq_len, uint32_t shard_size,
                                       al_err *err);
/* One document's stretch within a packed row: len ids starting at position pos0 of the
 * document. */
typedef struct shard_segment {
  uint32_t len;
  uint32_t pos0;
} shard_segment;
/* Appends one packed row: len <= L ids (copied) made of nseg segments in row order whose
 * lengths add up to len. sources[j] (borrowed, copied when used) names segment j's
 * document; the shard's sources list it when the document starts in this row (pos0 0),
 * so a packed shard names every document that starts in it, in order. Same completion
 * and error rules as shard_writer_add. */
int shard_writer_add_packed(shard_writer *w, const int32_t *ids, const uint8_t *mask, size_t len,
                            const shard_segment *segs, size_t nseg, const char *const *sources, al_err *err);
/* Appends one sample (copied; s stays the caller's). Completes and writes a shard when
 * it holds shard_size samples. Returns 0, or -1 with err filled; after an error the
 * writer only accepts shard_writer_abort/free. */
int shard_writer_add(shard_writer *w, const shard_sample *s, al_err *err);
/* Same, from raw arrays (mask NULL means all 0). */
int shard_writer_add_raw(shard_writer *w, const int32_t *ids, const uint8_t *mask, size_t len,
                         const char *source, al_err *err);
/* Writes the last, possibly short, shard. With no samples at all no file is written. */
int shard_writer_finish(shard_writer *w, al_err *err);
/* Removes every shard this writer completed and any temporary file it holds open
 * (cancel path). */
void shard_writer_abort(shard_writer *w);
/* Shards completed so far, in order. Borrowed: valid until the writer is freed. */
size_t shard_writer_count(const shard_writer *w);
const shard_info *shard_writer_info(const shard_writer *w, size_t i);
uint64_t shard_writer_samples(const shard_writer *w);
/* Frees the writer (an open shard is discarded, not written). */
void shard_writer_free(shard_writer *w);

/* Prepares a task directory for a (re)run: creates it (with parents) when missing and
 * removes, non-recursively, every shard_*.safetensors file and every temporary file
 * ("*.tmp.*") left by an earlier attempt. Returns the number of files removed, or -1. */
int shard_dir_reset(const char *dir, al_err *err);
/* shard_dir_reset, then removes the directory itself if it is empty (cancel). */
int shard_dir_remove(const char *dir, al_err *err);

/* Low-level helpers shared by the writers in this module. */
/* Creates dir and its parents (mode 0777 & ~umask). */
int shard_mkdirs(const char *dir, al_err *err);
/* fsync of a directory so that a rename in it is durable. */
int shard_fsync_dir(const char *dir, al_err *err);
/* Atomically replaces path with data: writes path.tmp.<pid>, fsync, rename, fsync dir. */
int shard_write_file_atomic(const char *path, const void *data, size_t len, al_err *err);

#endif
