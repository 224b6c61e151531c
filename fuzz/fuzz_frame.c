/* Fuzz target for the frame decoder. Oracles:
 *  - the same bytes split three ways (all at once, one byte at a time, zero-copy
 *    prepare/commit in 7-byte reads) give the same frames and the same final status;
 *  - a payload the decoder accepts is one complete object for msgpack-c as well;
 *  - a payload that decodes as a message re-encodes to bytes that decode to the same
 *    encoding again. Sanitizers catch memory errors. */
#include <msgpack.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/messages.h"
#include "proto/proto.h"

#define FUZZ_MAX_FRAME 1024

typedef struct outcome {
  uint64_t frames;
  uint64_t hash;       /* FNV-1a over every payload */
  int status;          /* last status from next() */
  int err_code;
} outcome;

static void check_payload(const uint8_t *p, size_t len) {
  msgpack_zone z;
  msgpack_zone_init(&z, 1024);
  msgpack_object o;
  size_t off = 0;
  msgpack_unpack_return rc = msgpack_unpack((const char *)p, len, &off, &z, &o);
  msgpack_zone_destroy(&z);
  if (rc != MSGPACK_UNPACK_NOMEM_ERROR && (rc != MSGPACK_UNPACK_SUCCESS || off != len)) abort();

  proto_msg m;
  al_err e;
  if (proto_msg_decode(p, len, &m, &e) != 0) {
    if (m.arena_ != NULL || e.code == 0) abort();
    return;
  }
  al_buf a = {0}, b = {0};
  if (proto_msg_encode(&m, &a) == 0) abort();
  proto_msg m2;
  if (proto_msg_decode((const uint8_t *)a.data + 4, a.len - 4, &m2, &e) != 0) abort();
  proto_msg_encode(&m2, &b);
  if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
  proto_msg_free(&m2);
  proto_msg_free(&m);
  al_buf_free(&a);
  al_buf_free(&b);
}

static void pull(proto_decoder *d, outcome *o, int check) {
  const uint8_t *p;
  size_t len;
  proto_status st;
  while ((st = proto_decoder_next(d, &p, &len)) == PROTO_FRAME) {
    if (len == 0 || len > FUZZ_MAX_FRAME) abort();
    o->frames++;
    for (size_t i = 0; i < len; i++) o->hash = (o->hash ^ p[i]) * 1099511628211ull;
    if (check) check_payload(p, len);
  }
  o->status = st;
  o->err_code = proto_decoder_error(d)->code;
}

static outcome run_feed(const uint8_t *data, size_t size, size_t step, int check) {
  outcome o = {0, 1469598103934665603ull, 0, 0};
  proto_decoder d;
  proto_decoder_init(&d, FUZZ_MAX_FRAME);
  size_t off = 0;
  while (off < size) {
    size_t n = AL_MIN(step, size - off);
    size_t k = proto_decoder_feed(&d, data + off, n);
    off += k;
    pull(&d, &o, check);
    if (k == 0 && o.status != PROTO_ERROR) abort(); /* full buffer yet nothing to pull */
    if (d.cap > FUZZ_MAX_FRAME + PROTO_HEADER_SIZE) abort();
  }
  pull(&d, &o, check);
  proto_decoder_free(&d);
  return o;
}

static outcome run_zero_copy(const uint8_t *data, size_t size) {
  outcome o = {0, 1469598103934665603ull, 0, 0};
  proto_decoder d;
  proto_decoder_init(&d, FUZZ_MAX_FRAME);
  size_t off = 0;
  while (off < size) {
    char *w;
    size_t room;
    proto_decoder_prepare(&d, &w, &room);
    if (room == 0) abort();
    size_t n = AL_MIN(AL_MIN(room, (size_t)7), size - off);
    memcpy(w, data + off, n);
    proto_decoder_commit(&d, n);
    off += n;
    pull(&d, &o, 0);
  }
  pull(&d, &o, 0);
  proto_decoder_free(&d);
  return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  outcome whole = run_feed(data, size, size ? size : 1, 1);
  outcome bytes = run_feed(data, size, 1, 0);
  outcome zc = run_zero_copy(data, size);
  if (memcmp(&whole, &bytes, sizeof whole) != 0) abort();
  if (memcmp(&whole, &zc, sizeof whole) != 0) abort();
  return 0;
}
