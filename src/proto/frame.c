/* Frame decoder: length-prefixed msgpack frames out of an arbitrarily split stream. */
#include <stdlib.h>
#include <string.h>

#include "proto/mpread.h"
#include "proto/proto.h"

/* Reads are offered at least this much room, so small frames batch into one read. */
#define PROTO_READ_CHUNK ((size_t)64 << 10)

const char *proto_errcode_name(uint32_t code) {
  switch (code) {
#define PROTO_ERRCODE_NAME_(name, num, str) \
  case num: return str;
    PROTO_ERRCODES(PROTO_ERRCODE_NAME_)
#undef PROTO_ERRCODE_NAME_
    default: return "UNKNOWN";
  }
}

void proto_decoder_init(proto_decoder *d, size_t max_frame) {
  memset(d, 0, sizeof *d);
  if (max_frame == 0) max_frame = PROTO_DEFAULT_MAX_FRAME;
  if (max_frame > PROTO_MAX_FRAME_LIMIT) max_frame = PROTO_MAX_FRAME_LIMIT;
  d->max_frame = max_frame;
}

void proto_decoder_set_max(proto_decoder *d, size_t max_frame) {
  if (max_frame == 0) max_frame = PROTO_DEFAULT_MAX_FRAME;
  if (max_frame > PROTO_MAX_FRAME_LIMIT) max_frame = PROTO_MAX_FRAME_LIMIT;
  d->max_frame = max_frame; /* frames already checked keep their verdict */
}

void proto_decoder_free(proto_decoder *d) {
  free(d->buf);
  free(d->err);
  d->err = NULL;
  d->buf = NULL;
  d->cap = d->start = d->scan = d->end = 0;
}

void proto_decoder_reset(proto_decoder *d) {
  d->start = d->scan = d->end = 0;
  d->frames = 0;
  free(d->err);
  d->err = NULL;
}

/* The sticky error, allocated on first use. */
static al_err *set_err(proto_decoder *d) {
  if (!d->err) d->err = al_xcalloc(1, sizeof *d->err);
  return d->err;
}

static uint32_t read_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static size_t limit(const proto_decoder *d) { return d->max_frame + PROTO_HEADER_SIZE; }

/* Marks the stream broken: drops everything after the last good frame. Complete frames
 * before it stay pullable, so the outcome does not depend on how the stream was split. */
static void fail_stream(proto_decoder *d) { d->end = d->scan; }

/* Number of the frame at d->scan, for error reports (1-based, whole stream). */
static uint64_t scan_frame_number(const proto_decoder *d) {
  uint64_t n = d->frames + 1;
  for (size_t at = d->start; at < d->scan; at += PROTO_HEADER_SIZE + read_be32(d->buf + at)) n++;
  return n;
}

/* Checks frames completed since the last call, in stream order: the length prefix as
 * soon as it is complete, the payload as soon as it is complete. Returns -1 (and sets
 * the sticky error) at the first violation. */
static int scan_frames(proto_decoder *d) {
  while (d->end - d->scan >= PROTO_HEADER_SIZE) {
    uint32_t len = read_be32(d->buf + d->scan);
    if (len == 0) {
      al_err_set(set_err(d), PROTO_E_BAD_FRAME, "frame %llu: zero-length frame",
                 (unsigned long long)scan_frame_number(d));
      fail_stream(d);
      return -1;
    }
    if (len > d->max_frame) {
      al_err_set(set_err(d), PROTO_E_FRAME_TOO_LARGE, "frame %llu: length %lu exceeds the maximum frame size %zu",
                 (unsigned long long)scan_frame_number(d), (unsigned long)len, d->max_frame);
      fail_stream(d);
      return -1;
    }
    if (d->end - d->scan < PROTO_HEADER_SIZE + (size_t)len) break;
    al_err e;
    al_err_clear(&e);
    if (proto_msgpack_check(d->buf + d->scan + PROTO_HEADER_SIZE, len, &e) != 0) {
      al_err_set(set_err(d), PROTO_E_BAD_FRAME, "frame %llu: %s", (unsigned long long)scan_frame_number(d), e.msg);
      fail_stream(d);
      return -1;
    }
    d->scan += PROTO_HEADER_SIZE + len;
  }
  return 0;
}

/* Bytes the frame at d->scan still needs (header first, then payload). */
static size_t frame_need(const proto_decoder *d) {
  size_t have = d->end - d->scan;
  if (have < PROTO_HEADER_SIZE) return PROTO_HEADER_SIZE - have;
  return PROTO_HEADER_SIZE + (size_t)read_be32(d->buf + d->scan) - have;
}

/* Makes at least `want` bytes of room at the end if the bound allows (less otherwise):
 * first by moving unconsumed bytes to the front, then by growing up to the limit. */
static void make_room(proto_decoder *d, size_t want) {
  if (d->cap - d->end >= want) return;
  if (d->start > 0) {
    size_t n = d->end - d->start;
    if (n) memmove(d->buf, d->buf + d->start, n);
    d->scan -= d->start;
    d->end = n;
    d->start = 0;
    if (d->cap - d->end >= want) return;
  }
  if (d->cap >= limit(d)) return;
  size_t need = d->end + want;
  size_t cap = d->cap ? d->cap : 4096;
  while (cap < need) cap *= 2;
  if (cap > limit(d)) cap = limit(d);
  d->buf = al_xrealloc(d->buf, cap);
  d->cap = cap;
}

size_t proto_decoder_feed(proto_decoder *d, const void *data, size_t n) {
  const uint8_t *src = data;
  size_t taken = 0;
  if (d->err) return n;
  while (taken < n) {
    /* Copy no further than the end of the current frame's header or payload, so an
     * oversized length is seen before any of its payload is stored. */
    size_t piece = AL_MIN(n - taken, frame_need(d));
    make_room(d, piece);
    piece = AL_MIN(piece, d->cap - d->end);
    if (piece == 0) break;
    memcpy(d->buf + d->end, src + taken, piece);
    d->end += piece;
    taken += piece;
    if (scan_frames(d) != 0) return n;
  }
  return taken;
}

void proto_decoder_prepare(proto_decoder *d, char **ptr, size_t *room) {
  if (d->err && d->start == d->scan) d->start = d->scan = d->end = 0;
  size_t want = PROTO_READ_CHUNK;
  if (d->end - d->scan >= PROTO_HEADER_SIZE) want = AL_MAX(want, frame_need(d));
  make_room(d, AL_MIN(want, limit(d)));
  *ptr = (char *)d->buf + d->end;
  *room = d->cap - d->end;
}

void proto_decoder_commit(proto_decoder *d, size_t n) {
  if (d->err) return;
  if (n > d->cap - d->end) n = d->cap - d->end;
  d->end += n;
  scan_frames(d);
}

proto_status proto_decoder_next(proto_decoder *d, const uint8_t **payload, size_t *len) {
  if (d->scan == d->start) return d->err ? PROTO_ERROR : PROTO_NEED_MORE;
  /* [start, scan) holds complete frames whose length and payload were checked. */
  uint32_t n = read_be32(d->buf + d->start);
  const uint8_t *p = d->buf + d->start + PROTO_HEADER_SIZE;
  d->frames++;
  d->start += PROTO_HEADER_SIZE + n;
  if (d->start == d->end) d->start = d->scan = d->end = 0;  /* cheap rewind, no copy */
  *payload = p;
  *len = n;
  return PROTO_FRAME;
}

size_t proto_decoder_buffered(const proto_decoder *d) { return d->end - d->start; }

void proto_decoder_trim(proto_decoder *d) {
  if (d->err || d->end != d->start || !d->buf) return;
  free(d->buf);
  d->buf = NULL;
  d->cap = d->start = d->scan = d->end = 0;
}

const al_err *proto_decoder_error(const proto_decoder *d) {
  static const al_err none; /* code 0, empty message */
  return d->err ? d->err : &none;
}

int proto_frame_append(al_buf *out, const void *payload, size_t len) {
  if (len == 0 || len > PROTO_MAX_FRAME_LIMIT) return -1;
  uint8_t h[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
  al_buf_reserve(out, len + 4);
  al_buf_append(out, h, 4);
  al_buf_append(out, payload, len);
  return 0;
}

int proto_msgpack_check(const uint8_t *data, size_t len, al_err *err) {
  proto_mpr r;
  proto_mpr_init(&r, data, len);
  if (len == 0) return al_err_set(err, PROTO_E_BAD_FRAME, "empty payload");
  if (proto_mpr_skip(&r, PROTO_MAX_DEPTH) != 0)
    return al_err_set(err, PROTO_E_BAD_FRAME, "invalid msgpack at payload offset %zu: %s", r.at, r.why);
  if (r.p != r.end)
    return al_err_set(err, PROTO_E_BAD_FRAME, "%zu trailing bytes after the msgpack object (payload offset %zu)",
                      (size_t)(r.end - r.p), (size_t)(r.p - r.base));
  return 0;
}
