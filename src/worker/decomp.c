/* Streaming decompression of input files (see decomp.h). */
#include "worker/decomp.h"

#include <bzlib.h>
#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "common/al.h"

#define IN_BUF ((size_t)64 << 10)

struct worker_src {
  int fd;
  worker_zkind kind;
  uint64_t limit, out_total, raw_total;
  unsigned char *in;
  size_t in_len, in_pos;
  int in_eof;
  int done;            /* the compressed stream ended */
  z_stream z;
  ZSTD_DCtx *zs;
  lzma_stream x;
  bz_stream b;
  int inited;
  int zframe_end;      /* zstd: the last call ended a frame (0 returned) */
};

worker_zkind worker_zkind_of(const char *path, size_t *inner_len) {
  static const struct {
    const char *ext;
    worker_zkind k;
  } exts[] = {{".gz", WORKER_Z_GZIP}, {".zst", WORKER_Z_ZSTD}, {".xz", WORKER_Z_XZ},
              {".lzma", WORKER_Z_XZ}, {".bz2", WORKER_Z_BZIP2}};
  size_t n = strlen(path);
  const char *slash = strrchr(path, '/');
  size_t base = slash ? (size_t)(slash - path) + 1 : 0;
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
    size_t e = strlen(exts[i].ext);
    /* ".gz" alone is a hidden file, not a compressed one */
    if (n >= base + e + 1 && strcasecmp(path + n - e, exts[i].ext) == 0) {
      if (inner_len) *inner_len = n - e;
      return exts[i].k;
    }
  }
  if (inner_len) *inner_len = n;
  return WORKER_Z_NONE;
}

const char *worker_zkind_name(worker_zkind k) {
  switch (k) {
    case WORKER_Z_NONE: return "none";
    case WORKER_Z_GZIP: return "gzip";
    case WORKER_Z_ZSTD: return "zstd";
    case WORKER_Z_XZ: return "xz";
    case WORKER_Z_BZIP2: return "bzip2";
  }
  return "?";
}

uint64_t worker_decomp_limit(uint64_t compressed_size) {
  uint64_t l = compressed_size > WORKER_DECOMP_CAP / WORKER_DECOMP_RATIO ? WORKER_DECOMP_CAP
                                                                        : compressed_size * WORKER_DECOMP_RATIO;
  if (l < WORKER_DECOMP_FLOOR) l = WORKER_DECOMP_FLOOR;
  return l > WORKER_DECOMP_CAP ? WORKER_DECOMP_CAP : l;
}

worker_src *worker_src_new(int fd, worker_zkind kind, uint64_t limit) {
  worker_src *s = al_xcalloc(1, sizeof *s);
  s->fd = fd;
  s->kind = kind;
  if (!limit) {
    struct stat st;
    limit = worker_decomp_limit(fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0);
  }
  s->limit = limit;
  if (kind != WORKER_Z_NONE) s->in = al_xmalloc(IN_BUF);
  return s;
}

void worker_src_close(worker_src *s) {
  if (!s) return;
  if (s->inited) {
    switch (s->kind) {
      case WORKER_Z_GZIP: inflateEnd(&s->z); break;
      case WORKER_Z_ZSTD: ZSTD_freeDCtx(s->zs); break;
      case WORKER_Z_XZ: lzma_end(&s->x); break;
      case WORKER_Z_BZIP2: BZ2_bzDecompressEnd(&s->b); break;
      case WORKER_Z_NONE: break;
    }
  }
  if (s->fd >= 0) close(s->fd);
  free(s->in);
  free(s);
}

uint64_t worker_src_raw_bytes(const worker_src *s) { return s->raw_total; }

static ssize_t raw_read(worker_src *s, void *buf, size_t n, char *reason, size_t cap) {
  for (;;) {
    ssize_t r = read(s->fd, buf, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      snprintf(reason, cap, "unreadable: %s", strerror(errno));
      return -1;
    }
    s->raw_total += (uint64_t)r;
    return r;
  }
}

/* Refills the compressed input buffer when it is used up. */
static int refill(worker_src *s, char *reason, size_t cap) {
  if (s->in_pos < s->in_len || s->in_eof) return 0;
  ssize_t r = raw_read(s, s->in, IN_BUF, reason, cap);
  if (r < 0) return -1;
  s->in_len = (size_t)r;
  s->in_pos = 0;
  if (r == 0) s->in_eof = 1;
  return 0;
}

static int init_decoder(worker_src *s, char *reason, size_t cap) {
  int ok = 1;
  switch (s->kind) {
    case WORKER_Z_GZIP: ok = inflateInit2(&s->z, 15 + 32) == Z_OK; break; /* gzip or zlib header */
    case WORKER_Z_ZSTD: ok = (s->zs = ZSTD_createDCtx()) != NULL; break;
    case WORKER_Z_XZ: {
      lzma_stream init = LZMA_STREAM_INIT;
      s->x = init;
      ok = lzma_auto_decoder(&s->x, UINT64_MAX, LZMA_CONCATENATED) == LZMA_OK;
      break;
    }
    case WORKER_Z_BZIP2: ok = BZ2_bzDecompressInit(&s->b, 0, 0) == BZ_OK; break;
    case WORKER_Z_NONE: break;
  }
  if (!ok) {
    snprintf(reason, cap, "cannot start the %s decoder", worker_zkind_name(s->kind));
    return -1;
  }
  s->inited = 1;
  return 0;
}

/* One decoding step into out[0..n): returns bytes produced (may be 0 while input is
 * consumed), or -1 with reason. Sets s->done at the end of the compressed data. */
static ssize_t step(worker_src *s, unsigned char *out, size_t n, char *reason, size_t cap) {
  if (refill(s, reason, cap) != 0) return -1;
  size_t avail = s->in_len - s->in_pos;
  unsigned char *in = s->in + s->in_pos;
  size_t produced = 0, used = 0;
  switch (s->kind) {
    case WORKER_Z_GZIP: {
      if (avail == 0 && s->in_eof) {
        snprintf(reason, cap, "corrupt gzip data: unexpected end of file");
        return -1;
      }
      s->z.next_in = in;
      s->z.avail_in = (uInt)avail;
      s->z.next_out = out;
      s->z.avail_out = (uInt)n;
      int rc = inflate(&s->z, Z_NO_FLUSH);
      used = avail - s->z.avail_in;
      produced = n - s->z.avail_out;
      if (rc == Z_STREAM_END) {
        /* another gzip member may follow (concatenated .gz files) */
        s->in_pos += used;
        if (refill(s, reason, cap) != 0) return -1;
        if (s->in_pos == s->in_len && s->in_eof) s->done = 1;
        else inflateReset(&s->z);
        return (ssize_t)produced;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        snprintf(reason, cap, "corrupt gzip data: %s", s->z.msg ? s->z.msg : "bad stream");
        return -1;
      }
      break;
    }
    case WORKER_Z_ZSTD: {
      if (avail == 0 && s->in_eof) {
        /* the input ended: complete only at the end of a frame */
        if (!s->zframe_end) {
          snprintf(reason, cap, "corrupt zstd data: unexpected end of file");
          return -1;
        }
        s->done = 1;
        return 0;
      }
      ZSTD_inBuffer ib = {in, avail, 0};
      ZSTD_outBuffer ob = {out, n, 0};
      size_t rc = ZSTD_decompressStream(s->zs, &ob, &ib);
      if (ZSTD_isError(rc)) {
        snprintf(reason, cap, "corrupt zstd data: %s", ZSTD_getErrorName(rc));
        return -1;
      }
      used = ib.pos;
      produced = ob.pos;
      s->zframe_end = rc == 0;
      break;
    }
    case WORKER_Z_XZ: {
      s->x.next_in = in;
      s->x.avail_in = avail;
      s->x.next_out = out;
      s->x.avail_out = n;
      lzma_ret rc = lzma_code(&s->x, s->in_eof && avail == 0 ? LZMA_FINISH : LZMA_RUN);
      used = avail - s->x.avail_in;
      produced = n - s->x.avail_out;
      if (rc == LZMA_STREAM_END) s->done = 1;
      else if (rc != LZMA_OK && !(rc == LZMA_BUF_ERROR && produced > 0)) {
        snprintf(reason, cap, "corrupt xz data (liblzma error %d)", (int)rc);
        return -1;
      }
      break;
    }
    case WORKER_Z_BZIP2: {
      if (avail == 0 && s->in_eof) {
        snprintf(reason, cap, "corrupt bzip2 data: unexpected end of file");
        return -1;
      }
      s->b.next_in = (char *)in;
      s->b.avail_in = (unsigned)avail;
      s->b.next_out = (char *)out;
      s->b.avail_out = (unsigned)n;
      int rc = BZ2_bzDecompress(&s->b);
      used = avail - s->b.avail_in;
      produced = n - s->b.avail_out;
      if (rc == BZ_STREAM_END) {
        /* concatenated bzip2 streams (pbzip2) */
        s->in_pos += used;
        if (refill(s, reason, cap) != 0) return -1;
        if (s->in_pos == s->in_len && s->in_eof) {
          s->done = 1;
        } else {
          BZ2_bzDecompressEnd(&s->b);
          memset(&s->b, 0, sizeof s->b);
          if (BZ2_bzDecompressInit(&s->b, 0, 0) != BZ_OK) {
            s->inited = 0;
            snprintf(reason, cap, "cannot restart the bzip2 decoder");
            return -1;
          }
        }
        return (ssize_t)produced;
      }
      if (rc != BZ_OK) {
        snprintf(reason, cap, "corrupt bzip2 data (libbz2 error %d)", rc);
        return -1;
      }
      break;
    }
    case WORKER_Z_NONE: break;
  }
  s->in_pos += used;
  if (used == 0 && produced == 0 && !s->done && s->in_eof && s->in_pos == s->in_len) {
    snprintf(reason, cap, "corrupt %s data: unexpected end of file", worker_zkind_name(s->kind));
    return -1;
  }
  return (ssize_t)produced;
}

ssize_t worker_src_read(worker_src *s, void *buf, size_t n, char *reason, size_t reason_cap) {
  if (n == 0) return 0;
  if (s->kind == WORKER_Z_NONE) return raw_read(s, buf, n, reason, reason_cap);
  if (!s->inited && init_decoder(s, reason, reason_cap) != 0) return -1;
  for (;;) {
    if (s->done) return 0;
    ssize_t got = step(s, buf, n, reason, reason_cap);
    if (got < 0) return -1;
    if (got > 0) {
      s->out_total += (uint64_t)got;
      if (s->out_total > s->limit) {
        snprintf(reason, reason_cap, "decompressed size over %llu bytes (a zip bomb?)",
                 (unsigned long long)s->limit);
        return -1;
      }
      return got;
    }
  }
}
