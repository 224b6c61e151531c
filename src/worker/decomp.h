/* Byte sources for input files: plain, or decompressed while streaming (.gz .zst .xz
 * .bz2 through zlib, libzstd, liblzma and libbz2). A decompressed stream longer than its
 * limit stops with an error ("decompressed size over N bytes"), so a zip bomb costs a
 * bounded amount of work and memory and is skipped with that reason. Memory: the
 * decoder's state plus a 64 KiB input buffer. Prefix: worker_. */
#ifndef AL_WORKER_DECOMP_H
#define AL_WORKER_DECOMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum {
  WORKER_Z_NONE = 0,
  WORKER_Z_GZIP,   /* .gz (also zlib streams; concatenated members are read on) */
  WORKER_Z_ZSTD,   /* .zst */
  WORKER_Z_XZ,     /* .xz (and .lzma) */
  WORKER_Z_BZIP2,  /* .bz2 */
} worker_zkind;

/* The compression of a path by its last extension (case-insensitive), and the length
 * of the name without that extension in *inner_len (the whole length for NONE). */
worker_zkind worker_zkind_of(const char *path, size_t *inner_len);
const char *worker_zkind_name(worker_zkind k);

/* The decompressed-size limit for a file of compressed_size bytes: the larger of
 * WORKER_DECOMP_FLOOR and WORKER_DECOMP_RATIO times the compressed size, at most
 * WORKER_DECOMP_CAP. Real text compresses 3-20x; a bomb compresses 1000x or more. */
#define WORKER_DECOMP_FLOOR ((uint64_t)256 << 20)
#define WORKER_DECOMP_RATIO 200u
#define WORKER_DECOMP_CAP ((uint64_t)64 << 30)
uint64_t worker_decomp_limit(uint64_t compressed_size);

typedef struct worker_src worker_src;

/* A source over fd (owned: closed by worker_src_close) decoding `kind`, stopping with an
 * error past `limit` decompressed bytes (0 = worker_decomp_limit of the file size). */
worker_src *worker_src_new(int fd, worker_zkind kind, uint64_t limit);
/* Reads up to n bytes into buf. Returns the count (0 at the end), or -1 with reason
 * filled ("corrupt gzip data: ...", "decompressed size over N bytes", "unreadable: ..."). */
ssize_t worker_src_read(worker_src *s, void *buf, size_t n, char *reason, size_t reason_cap);
/* Bytes read from the file so far. */
uint64_t worker_src_raw_bytes(const worker_src *s);
void worker_src_close(worker_src *s);

#endif
