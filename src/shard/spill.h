/* Internal to src/shard: an append-then-read-sequentially byte store that lives in
 * memory up to a limit and continues in an unlinked temporary file beyond it, so a
 * shard's real tokens never need more than `mem_max` bytes of memory. The file is
 * unlinked as soon as it is created, so a crash never leaves it behind. */
#ifndef AL_SHARD_SPILL_H
#define AL_SHARD_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "common/al.h"

#define SHARD_SPILL_IO_BUF 65536

typedef struct shard_spill {
  char *dir;            /* where the temporary file goes (owned) */
  size_t mem_max;
  al_buf mem;           /* all data while fd < 0; the unflushed tail otherwise */
  int fd;               /* -1 while everything fits in memory */
  uint64_t size;        /* total bytes appended */
  uint64_t file_len;    /* bytes already written to fd */
  uint64_t rpos;        /* read position */
} shard_spill;

void shard_spill_init(shard_spill *s, const char *dir, size_t mem_max);
int shard_spill_append(shard_spill *s, const void *p, size_t n, al_err *err);
/* Starts reading from the beginning (flushes pending writes). */
int shard_spill_rewind(shard_spill *s, al_err *err);
/* Reads exactly n bytes at the read position. */
int shard_spill_read(shard_spill *s, void *out, size_t n, al_err *err);
/* Empties the store (keeps the file open for reuse, truncated). */
int shard_spill_reset(shard_spill *s, al_err *err);
void shard_spill_free(shard_spill *s);

#endif
