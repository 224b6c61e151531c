/* Streaming shard writer (§18.1). Samples go into two spill stores (real ids, real
 * modality bytes) plus a length per row; when a shard is complete the padded tensors
 * are streamed to a temporary file row by row, hashed on the way, then renamed into
 * place. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shard/shard.h"
#include "shard/spill.h"

#define OUT_BUF_SIZE 65536

struct shard_writer {
  char *dir;
  uint32_t L;
  uint32_t shard_size;
  int failed;
  /* the open shard */
  shard_spill ids;        /* min(len, L) little-endian int32 per row */
  shard_spill mods;       /* min(len, L) bytes per row */
  uint32_t *lens;         /* per row, <= L */
  char **sources;         /* unpacked: one per row; packed: one per document starting here */
  size_t nsrc, src_cap;
  size_t nrows, rows_cap;
  /* completed shards */
  shard_info *done;
  size_t ndone, done_cap;
  uint64_t total_samples;
  char *tmp_path;         /* temporary file being written, for abort */
  /* packed rows only (shard_writer_open_packed) */
  int packed;
  shard_spill segs;       /* per row: its segments as (len, pos0) little-endian u32 pairs */
  uint32_t *nsegs;        /* per row */
};

void shard_sample_init(shard_sample *s, const int32_t *ids, const uint8_t *mask, size_t len,
                       const char *source) {
  s->len = len;
  s->input_ids = al_xmalloc(len ? len * sizeof *ids : 1);
  s->modality_mask = al_xcalloc(len ? len : 1, 1);
  if (len) memcpy(s->input_ids, ids, len * sizeof *ids);
  if (len && mask) memcpy(s->modality_mask, mask, len);
  s->source = al_xstrdup(source ? source : "");
}

void shard_sample_clear(shard_sample *s) {
  free(s->input_ids);
  free(s->modality_mask);
  free(s->source);
  memset(s, 0, sizeof *s);
}

void shard_info_clear(shard_info *i) {
  free(i->path);
  free(i->name);
  for (size_t k = 0; k < i->nsources; k++) free(i->sources[k]);
  free(i->sources);
  memset(i, 0, sizeof *i);
}

void shard_info_copy(shard_info *dst, const shard_info *src) {
  *dst = *src;
  dst->path = al_xstrdup(src->path);
  dst->name = al_xstrdup(src->name);
  dst->sources = al_xcalloc(src->nsources ? src->nsources : 1, sizeof *dst->sources);
  for (size_t k = 0; k < src->nsources; k++) dst->sources[k] = al_xstrdup(src->sources[k]);
}

shard_writer *shard_writer_open(const char *dir, uint32_t max_seq_len, uint32_t shard_size,
                                al_err *err) {
  if (shard_size == 0 || shard_size > SHARD_MAX_SHARD_SIZE) {
    al_err_set(err, SHARD_EARG, "shard_size %" PRIu32 " is out of range [1, %u]", shard_size,
               SHARD_MAX_SHARD_SIZE);
    return NULL;
  }
  if (max_seq_len > SHARD_MAX_SEQ_LEN) {
    al_err_set(err, SHARD_EARG, "max_seq_len %" PRIu32 " exceeds the limit %u", max_seq_len,
               SHARD_MAX_SEQ_LEN);
    return NULL;
  }
  if (shard_mkdirs(dir, err) != 0) return NULL;
  shard_writer *w = al_xcalloc(1, sizeof *w);
  w->dir = al_xstrdup(dir);
  w->L = max_seq_len;
  w->shard_size = shard_size;
  shard_spill_init(&w->ids, dir, SHARD_SPILL_MEM_MAX / 5 * 4);
  shard_spill_init(&w->mods, dir, SHARD_SPILL_MEM_MAX / 5);
  shard_spill_init(&w->segs, dir, SHARD_SPILL_MEM_MAX / 8);
  return w;
}

shard_writer *shard_writer_open_packed(const char *dir, uint32_t max_seq_len, uint32_t shard_size,
                                       al_err *err) {
  shard_writer *w = shard_writer_open(dir, max_seq_len, shard_size, err);
  if (w) w->packed = 1;
  return w;
}

/* ---- header ------------------------------------------------------------------------
 * Byte format of the Hugging Face writer (safetensors/src/tensor.rs, `prepare` and
 * `impl Serialize for Metadata`): serde_json::to_string, i.e. compact JSON without any
 * whitespace; "__metadata__" first, then the tensors in data order (dtype descending,
 * then name: input_ids, targets, attention_mask, modality_mask), each as
 * {"dtype":..,"shape":[..],"data_offsets":[begin,end]} in that field order; then spaces
 * up to a multiple of 8. HF keeps __metadata__ in a Rust HashMap, so its key order
 * there varies from run to run; we always use the original's dict order
 * (pipeline_version, schema_version, shard_id, num_samples, seq_length), one of the
 * orders HF itself emits, so that our files and their sha256 are reproducible. All
 * strings here are ASCII names and digits, so no JSON escaping is ever needed. */
/* Tensor names in data order (dtype descending, then name), per layout. */
static const char *const plain_names[] = {"input_ids", "targets", "attention_mask", "modality_mask"};
static const char *const packed_names[] = {"document_ids", "input_ids", "position_ids", "targets",
                                           "attention_mask", "modality_mask"};

static void build_header(al_buf *h, uint32_t shard_id, uint64_t n, uint64_t L, int packed) {
  uint64_t i32 = 4 * n * L, u8 = n * L;
  al_buf_printf(h,
                "{\"__metadata__\":{\"pipeline_version\":\"2.0\",\"schema_version\":\"2\","
                "\"shard_id\":\"%" PRIu32 "\",\"num_samples\":\"%" PRIu64 "\",\"seq_length\":\"%" PRIu64
                "\"%s}",
                shard_id, n, L, packed ? ",\"packing\":\"greedy\"" : "");
  const char *const *names = packed ? packed_names : plain_names;
  int nt = packed ? 6 : 4, n_i32 = packed ? 4 : 2;
  uint64_t off = 0;
  for (int t = 0; t < nt; t++) {
    uint64_t sz = t < n_i32 ? i32 : u8;
    al_buf_printf(h,
                  ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%" PRIu64 ",%" PRIu64 "],\"data_offsets\":[%" PRIu64
                  ",%" PRIu64 "]}",
                  names[t], t < n_i32 ? "I32" : "U8", n, L, off, off + sz);
    off += sz;
  }
  al_buf_puts(h, "}");
  while (h->len % 8) al_buf_puts(h, " ");
}

/* ---- output stream: buffered writes, sha256 and byte count ------------------------ */
typedef struct out_stream {
  int fd;
  const char *path;
  EVP_MD_CTX *md;
  uint64_t bytes;
  size_t len;
  unsigned char buf[OUT_BUF_SIZE];
} out_stream;

static int out_flush(out_stream *o, al_err *err) {
  const unsigned char *p = o->buf;
  size_t left = o->len;
  while (left > 0) {
    ssize_t w = write(o->fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return al_err_set(err, SHARD_EIO, "%s: cannot write: %s", o->path, strerror(errno));
    p += w;
    left -= (size_t)w;
  }
  o->len = 0;
  return 0;
}

static int out_write(out_stream *o, const void *p, size_t n, al_err *err) {
  const unsigned char *s = p;
  EVP_DigestUpdate(o->md, s, n);
  o->bytes += n;
  while (n > 0) {
    if (o->len == OUT_BUF_SIZE && out_flush(o, err) != 0) return -1;
    size_t k = AL_MIN(n, OUT_BUF_SIZE - o->len);
    memcpy(o->buf + o->len, s, k);
    o->len += k;
    s += k;
    n -= k;
  }
  return 0;
}

static int out_zeros(out_stream *o, size_t n, al_err *err) {
  static const unsigned char zeros[4096];
  while (n > 0) {
    size_t k = AL_MIN(n, sizeof zeros);
    if (out_write(o, zeros, k, err) != 0) return -1;
    n -= k;
  }
  return 0;
}

static void put_le32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One packed-layout tensor derived from the segments: document_ids (segment index, -1 in
 * padding) or position_ids (pos0 + offset, 0 in padding). */
static int write_seg_tensor(shard_writer *w, out_stream *o, unsigned char *row, int positions, al_err *err) {
  size_t L = w->L;
  if (shard_spill_rewind(&w->segs, err) != 0) return -1;
  for (size_t r = 0; r < w->nrows; r++) {
    size_t k = 0;
    for (uint32_t j = 0; j < w->nsegs[r]; j++) {
      unsigned char sg[8];
      if (shard_spill_read(&w->segs, sg, 8, err) != 0) return -1;
      uint32_t len = get_le32(sg), pos0 = get_le32(sg + 4);
      for (uint32_t q = 0; q < len && k < L; q++, k++) put_le32(row + 4 * k, positions ? pos0 + q : j);
    }
    for (; k < L; k++) put_le32(row + 4 * k, positions ? 0 : UINT32_MAX);
    if (out_write(o, row, L * 4, err) != 0) return -1;
  }
  return 0;
}

/* input_ids (shift 0) or targets (the same row shifted left by one id, 0 at the end). */
static int write_ids_tensor(shard_writer *w, out_stream *o, unsigned char *row, int shift, al_err *err) {
  size_t L = w->L;
  if (shard_spill_rewind(&w->ids, err) != 0) return -1;
  for (size_t r = 0; r < w->nrows; r++) {
    size_t len = w->lens[r];
    if (shard_spill_read(&w->ids, row, len * 4, err) != 0) return -1;
    size_t keep = len;
    if (shift && len > 0) {
      memmove(row, row + 4, (len - 1) * 4);
      keep = len - 1;
    }
    if (out_write(o, row, keep * 4, err) != 0 || out_zeros(o, (L - keep) * 4, err) != 0) return -1;
  }
  return 0;
}

/* Streams the tensors of the open shard in header order. `row` holds L*4 bytes. */
static int write_tensors(shard_writer *w, out_stream *o, unsigned char *row, al_err *err) {
  size_t L = w->L;
  if (w->packed) {
    if (write_seg_tensor(w, o, row, 0, err) != 0 || write_ids_tensor(w, o, row, 0, err) != 0 ||
        write_seg_tensor(w, o, row, 1, err) != 0 || write_ids_tensor(w, o, row, 1, err) != 0)
      return -1;
  } else if (write_ids_tensor(w, o, row, 0, err) != 0 || write_ids_tensor(w, o, row, 1, err) != 0) {
    return -1;
  }
  /* attention_mask: 1 over the real tokens. */
  memset(row, 1, L);
  for (size_t r = 0; r < w->nrows; r++)
    if (out_write(o, row, w->lens[r], err) != 0 || out_zeros(o, L - w->lens[r], err) != 0) return -1;
  /* modality_mask */
  if (shard_spill_rewind(&w->mods, err) != 0) return -1;
  for (size_t r = 0; r < w->nrows; r++) {
    size_t len = w->lens[r];
    if (shard_spill_read(&w->mods, row, len, err) != 0) return -1;
    if (out_write(o, row, len, err) != 0 || out_zeros(o, L - len, err) != 0) return -1;
  }
  return out_flush(o, err);
}

static void hex(const unsigned char *d, unsigned n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (unsigned i = 0; i < n; i++) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
  out[2 * n] = '\0';
}

static int close_shard(shard_writer *w, al_err *err) {
  if (w->nrows == 0) return 0;
  uint32_t id = (uint32_t)w->ndone;
  shard_info info = {0};
  info.shard_id = id;
  info.name = al_xasprintf("shard_%06" PRIu32 ".safetensors", id);
  info.path = al_xasprintf("%s/%s", w->dir, info.name);
  info.samples = w->nrows;
  for (size_t r = 0; r < w->nrows; r++) info.tokens += w->lens[r];
  info.sources = w->sources;
  info.nsources = w->nsrc;
  w->sources = NULL;
  w->nsrc = w->src_cap = 0;
  w->rows_cap = 0;

  al_buf h = {0};
  build_header(&h, id, w->nrows, w->L, w->packed);
  unsigned char len8[8];
  for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)h.len >> (8 * i));

  w->tmp_path = al_xasprintf("%s.tmp.%ld", info.path, (long)getpid());
  out_stream *o = al_xmalloc(sizeof *o);
  o->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  o->path = w->tmp_path;
  o->md = EVP_MD_CTX_new();
  o->bytes = 0;
  o->len = 0;
  unsigned char *row = al_xmalloc((size_t)w->L * 4 + 1);
  int rc = -1;
  if (o->fd < 0) {
    al_err_set(err, SHARD_EIO, "%s: cannot create: %s", w->tmp_path, strerror(errno));
    goto out;
  }
  if (!o->md || EVP_DigestInit_ex(o->md, EVP_sha256(), NULL) != 1) {
    al_err_set(err, SHARD_EIO, "%s: sha256 unavailable", w->tmp_path);
    goto out;
  }
  if (out_write(o, len8, 8, err) != 0 || out_write(o, h.data, h.len, err) != 0 ||
      write_tensors(w, o, row, err) != 0)
    goto out;
  if (fsync(o->fd) != 0) {
    al_err_set(err, SHARD_EIO, "%s: cannot fsync: %s", w->tmp_path, strerror(errno));
    goto out;
  }
  if (close(o->fd) != 0) {
    o->fd = -1;
    al_err_set(err, SHARD_EIO, "%s: cannot close: %s", w->tmp_path, strerror(errno));
    goto out;
  }
  o->fd = -1;
  if (rename(w->tmp_path, info.path) != 0) {
    al_err_set(err, SHARD_EIO, "%s: cannot rename into place: %s", info.path, strerror(errno));
    goto out;
  }
  free(w->tmp_path);
  w->tmp_path = NULL;
  if (shard_fsync_dir(w->dir, err) != 0) goto out;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned dlen = 0;
  EVP_DigestFinal_ex(o->md, digest, &dlen);
  hex(digest, dlen, info.sha256);
  info.bytes = o->bytes;
  rc = 0;
out:
  if (o->fd >= 0) close(o->fd);
  if (w->tmp_path) {
    unlink(w->tmp_path);
    free(w->tmp_path);
    w->tmp_path = NULL;
  }
  EVP_MD_CTX_free(o->md);
  free(o);
  free(row);
  al_buf_free(&h);
  if (rc != 0) {
    shard_info_clear(&info);
    w->failed = 1;
    return -1;
  }
  if (w->ndone == w->done_cap) {
    w->done_cap = w->done_cap ? 2 * w->done_cap : 4;
    w->done = al_xrealloc(w->done, w->done_cap * sizeof *w->done);
  }
  w->done[w->ndone++] = info;
  w->nrows = 0;
  if (shard_spill_reset(&w->ids, err) != 0 || shard_spill_reset(&w->mods, err) != 0 ||
      shard_spill_reset(&w->segs, err) != 0) {
    w->failed = 1;
    return -1;
  }
  return 0;
}

static void add_source(shard_writer *w, const char *source) {
  if (w->nsrc == w->src_cap) {
    w->src_cap = w->src_cap ? 2 * w->src_cap : 16;
    w->sources = al_xrealloc(w->sources, w->src_cap * sizeof *w->sources);
  }
  w->sources[w->nsrc++] = al_xstrdup(source ? source : "");
}

/* sources: unpacked, sources[0] names the row; packed, sources[j] names the document of
 * segment j and is recorded when that document starts in this row (pos0 0). */
static int add_row(shard_writer *w, const int32_t *ids, const uint8_t *mask, size_t len,
                   const shard_segment *segs, size_t nseg, const char *const *sources, al_err *err) {
  if (w->failed) return al_err_set(err, SHARD_EARG, "%s: shard writer already failed", w->dir);
  size_t n = AL_MIN(len, (size_t)w->L);
  if (w->nrows == w->rows_cap) {
    /* Grows with the shard, never beyond shard_size rows. */
    size_t cap = w->rows_cap ? 2 * w->rows_cap : 16;
    if (cap > w->shard_size) cap = w->shard_size;
    w->lens = al_xrealloc(w->lens, cap * sizeof *w->lens);
    if (w->packed) w->nsegs = al_xrealloc(w->nsegs, cap * sizeof *w->nsegs);
    w->rows_cap = cap;
  }
  unsigned char le[1024];
  for (size_t i = 0; i < n;) {
    size_t k = AL_MIN(n - i, sizeof le / 4);
    for (size_t j = 0; j < k; j++) {
      uint32_t v = (uint32_t)ids[i + j];
      le[4 * j] = (unsigned char)v;
      le[4 * j + 1] = (unsigned char)(v >> 8);
      le[4 * j + 2] = (unsigned char)(v >> 16);
      le[4 * j + 3] = (unsigned char)(v >> 24);
    }
    if (shard_spill_append(&w->ids, le, 4 * k, err) != 0) goto fail;
    i += k;
  }
  if (mask) {
    if (shard_spill_append(&w->mods, mask, n, err) != 0) goto fail;
  } else {
    memset(le, 0, sizeof le);
    for (size_t i = 0; i < n; i += sizeof le)
      if (shard_spill_append(&w->mods, le, AL_MIN(n - i, sizeof le), err) != 0) goto fail;
  }
  if (w->packed) {
    for (size_t j = 0; j < nseg; j++) {
      unsigned char sg[8];
      put_le32(sg, segs[j].len);
      put_le32(sg + 4, segs[j].pos0);
      if (shard_spill_append(&w->segs, sg, 8, err) != 0) goto fail;
    }
    w->nsegs[w->nrows] = (uint32_t)nseg;
  }
  w->lens[w->nrows] = (uint32_t)n;
  if (!w->packed) add_source(w, sources[0]);
  for (size_t j = 0; w->packed && j < nseg; j++)
    if (segs[j].pos0 == 0 && segs[j].len > 0) add_source(w, sources[j]);
  w->nrows++;
  w->total_samples++;
  if (w->nrows == w->shard_size) return close_shard(w, err);
  return 0;
fail:
  w->failed = 1;
  return -1;
}

int shard_writer_add_raw(shard_writer *w, const int32_t *ids, const uint8_t *mask, size_t len,
                         const char *source, al_err *err) {
  if (w->packed) {
    /* one document from position 0 */
    shard_segment sg = {(uint32_t)AL_MIN(len, (size_t)w->L), 0};
    return add_row(w, ids, mask, len, &sg, 1, &source, err);
  }
  return add_row(w, ids, mask, len, NULL, 0, &source, err);
}

int shard_writer_add_packed(shard_writer *w, const int32_t *ids, const uint8_t *mask, size_t len,
                            const shard_segment *segs, size_t nseg, const char *const *sources, al_err *err) {
  if (!w->packed) return al_err_set(err, SHARD_EARG, "%s: writer was not opened for packed rows", w->dir);
  size_t sum = 0;
  for (size_t j = 0; j < nseg; j++) sum += segs[j].len;
  if (len > w->L || sum != len)
    return al_err_set(err, SHARD_EARG, "%s: packed row of %zu ids with segments of %zu ids (L %" PRIu32 ")",
                      w->dir, len, sum, w->L);
  return add_row(w, ids, mask, len, segs, nseg, sources, err);
}

int shard_writer_add(shard_writer *w, const shard_sample *s, al_err *err) {
  return shard_writer_add_raw(w, s->input_ids, s->modality_mask, s->len, s->source, err);
}

int shard_writer_finish(shard_writer *w, al_err *err) {
  if (w->failed) return al_err_set(err, SHARD_EARG, "%s: shard writer already failed", w->dir);
  return close_shard(w, err);
}

void shard_writer_abort(shard_writer *w) {
  for (size_t i = 0; i < w->ndone; i++) {
    unlink(w->done[i].path);
    shard_info_clear(&w->done[i]);
  }
  w->ndone = 0;
  if (w->tmp_path) unlink(w->tmp_path);
  w->failed = 1;
}

size_t shard_writer_count(const shard_writer *w) { return w->ndone; }

const shard_info *shard_writer_info(const shard_writer *w, size_t i) {
  return i < w->ndone ? &w->done[i] : NULL;
}

uint64_t shard_writer_samples(const shard_writer *w) { return w->total_samples; }

void shard_writer_free(shard_writer *w) {
  if (!w) return;
  for (size_t i = 0; i < w->ndone; i++) shard_info_clear(&w->done[i]);
  free(w->done);
  for (size_t r = 0; r < w->nsrc; r++) free(w->sources[r]);
  free(w->sources);
  free(w->lens);
  free(w->nsegs);
  shard_spill_free(&w->segs);
  shard_spill_free(&w->ids);
  shard_spill_free(&w->mods);
  free(w->tmp_path);
  free(w->dir);
  free(w);
}
