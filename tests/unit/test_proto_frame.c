/* Frame decoder: every split of the stream, limits, invalid payloads, sticky errors. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "proto/doc.h"
#include "proto/messages.h"
#include "proto/proto.h"

/* All example frames, one per message type, back to back. */
static void all_examples(al_buf *out, size_t *count) {
  *count = 0;
  for (int t = 1; t < PROTO_MSG_COUNT_; t++) {
    proto_msg m;
    CHECK_EQ_INT(proto_msg_example((proto_msg_type)t, &m), 0);
    CHECK(proto_msg_encode(&m, out) > 4);
    (*count)++;
  }
}

/* Pulls every available frame; checks each decodes to the type expected next. */
static int drain(proto_decoder *d, int *next_type) {
  const uint8_t *p;
  size_t len;
  proto_status st;
  while ((st = proto_decoder_next(d, &p, &len)) == PROTO_FRAME) {
    proto_msg m;
    al_err e;
    al_err_clear(&e);
    CHECK_MSG(proto_msg_decode(p, len, &m, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(m.type, *next_type);
    (*next_type)++;
    proto_msg_free(&m);
  }
  return st;
}

/* trim releases the buffer only when nothing is buffered, and decoding goes on after. */
static void test_trim_releases_idle_buffer(void) {
  proto_decoder d;
  proto_decoder_init(&d, 0);
  const uint8_t frame[] = {0, 0, 0, 1, 0xc0}; /* msgpack nil */
  CHECK_EQ_INT(proto_decoder_feed(&d, frame, 3), 3);
  proto_decoder_trim(&d); /* a partial frame is buffered: kept */
  CHECK(d.buf != NULL);
  CHECK_EQ_INT(proto_decoder_feed(&d, frame + 3, 2), 2);
  const uint8_t *p;
  size_t n;
  CHECK_EQ_INT(proto_decoder_next(&d, &p, &n), PROTO_FRAME);
  CHECK_EQ_INT(n, 1);
  proto_decoder_trim(&d);
  CHECK(d.buf == NULL);
  CHECK_EQ_INT(d.cap, 0);
  CHECK_EQ_INT(proto_decoder_feed(&d, frame, sizeof frame), sizeof frame);
  CHECK_EQ_INT(proto_decoder_next(&d, &p, &n), PROTO_FRAME);
  CHECK_EQ_INT(proto_decoder_next(&d, &p, &n), PROTO_NEED_MORE);
  proto_decoder_free(&d);
}

static void test_one_byte_at_a_time(void) {
  al_buf all = {0};
  size_t n;
  all_examples(&all, &n);
  proto_decoder d;
  proto_decoder_init(&d, 0);
  int next = 1;
  for (size_t i = 0; i < all.len; i++) {
    CHECK_EQ_INT(proto_decoder_feed(&d, all.data + i, 1), 1);
    CHECK_EQ_INT(drain(&d, &next), PROTO_NEED_MORE);
  }
  CHECK_EQ_INT(next, PROTO_MSG_COUNT_);
  CHECK_EQ_INT(proto_decoder_buffered(&d), 0);
  CHECK_EQ_INT(d.frames, n);
  proto_decoder_free(&d);
  al_buf_free(&all);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void test_random_splits_feed_and_prepare(void) {
  al_buf all = {0};
  size_t n;
  all_examples(&all, &n);
  for (int round = 0; round < 300; round++) {
    proto_decoder d;
    /* Small limits too, so the buffer bound and compaction are exercised. */
    proto_decoder_init(&d, round % 3 == 0 ? 1024 : 0);
    int next = 1;
    size_t off = 0;
    bool zero_copy = round % 2;
    while (off < all.len) {
      size_t piece = 1 + rnd() % (round % 5 == 0 ? 3 : 700);
      if (piece > all.len - off) piece = all.len - off;
      if (zero_copy) {
        char *w;
        size_t room;
        proto_decoder_prepare(&d, &w, &room);
        CHECK(room > 0);
        if (piece > room) piece = room;
        memcpy(w, all.data + off, piece);
        proto_decoder_commit(&d, piece);
        off += piece;
      } else {
        off += proto_decoder_feed(&d, all.data + off, piece);
      }
      CHECK_EQ_INT(drain(&d, &next), PROTO_NEED_MORE);
      CHECK(d.cap <= d.max_frame + 4);
    }
    CHECK_EQ_INT(next, PROTO_MSG_COUNT_);
    CHECK_EQ_INT(proto_decoder_buffered(&d), 0);
    proto_decoder_free(&d);
  }
  al_buf_free(&all);
}

static void test_bounded_buffer_partial_feed(void) {
  /* 200 frames of 10 bytes into a decoder limited to 64-byte frames: feed takes what
   * fits, the caller drains and feeds the rest. */
  al_buf s = {0};
  uint8_t payload[10] = {0x99};
  memset(payload + 1, 0x01, 9);
  for (int i = 0; i < 200; i++) CHECK_EQ_INT(proto_frame_append(&s, payload, sizeof payload), 0);
  proto_decoder d;
  proto_decoder_init(&d, 64);
  size_t off = 0;
  int frames = 0, short_feeds = 0;
  while (off < s.len) {
    size_t k = proto_decoder_feed(&d, s.data + off, s.len - off);
    if (k < s.len - off) short_feeds++;
    off += k;
    const uint8_t *p;
    size_t len;
    while (proto_decoder_next(&d, &p, &len) == PROTO_FRAME) {
      CHECK_EQ_INT(len, 10);
      CHECK(memcmp(p, payload, 10) == 0);
      frames++;
    }
  }
  CHECK_EQ_INT(frames, 200);
  CHECK(short_feeds > 0);
  CHECK(d.cap <= 68);
  proto_decoder_free(&d);
  al_buf_free(&s);
}

static void test_truncated_frame_needs_more(void) {
  proto_msg m;
  proto_msg_example(PROTO_MSG_TASK_RESULT, &m);
  al_buf f = {0};
  proto_msg_encode(&m, &f);
  for (size_t cut = 0; cut < f.len; cut++) {
    proto_decoder d;
    proto_decoder_init(&d, 0);
    CHECK_EQ_INT(proto_decoder_feed(&d, f.data, cut), cut);
    const uint8_t *p;
    size_t len;
    CHECK_EQ_INT(proto_decoder_next(&d, &p, &len), PROTO_NEED_MORE);
    CHECK_EQ_INT(proto_decoder_buffered(&d), cut);
    proto_decoder_free(&d);
  }
  al_buf_free(&f);
}

static void test_oversized_prefix_rejected_before_payload(void) {
  proto_decoder d;
  proto_decoder_init(&d, 1024);
  uint8_t good[] = {0, 0, 0, 1, 0x07};
  uint8_t bad[] = {0, 0, 4, 1, 0xaa, 0xbb, 0xcc};  /* 1025 > 1024 */
  CHECK_EQ_INT(proto_decoder_feed(&d, good, sizeof good), sizeof good);
  /* Only the 4 prefix bytes: rejected at once; the good frame before it survives. */
  CHECK_EQ_INT(proto_decoder_feed(&d, bad, 4), 4);
  CHECK_EQ_INT(proto_decoder_error(&d)->code, PROTO_E_FRAME_TOO_LARGE);
  CHECK_CONTAINS(proto_decoder_error(&d)->msg, "frame 2: length 1025 exceeds the maximum frame size 1024");
  CHECK_EQ_INT(proto_decoder_buffered(&d), sizeof good);
  const uint8_t *p;
  size_t len;
  CHECK_EQ_INT(proto_decoder_next(&d, &p, &len), PROTO_FRAME);
  CHECK_EQ_INT(p[0], 7);
  CHECK_EQ_INT(proto_decoder_buffered(&d), 0);
  CHECK_EQ_INT(proto_decoder_next(&d, &p, &len), PROTO_ERROR);
  /* Sticky: more input is dropped, still an error. */
  CHECK_EQ_INT(proto_decoder_feed(&d, good, sizeof good), sizeof good);
  CHECK_EQ_INT(proto_decoder_buffered(&d), 0);
  CHECK_EQ_INT(proto_decoder_next(&d, &p, &len), PROTO_ERROR);
  /* Reset clears it. */
  proto_decoder_reset(&d);
  CHECK_EQ_INT(proto_decoder_feed(&d, good, sizeof good), sizeof good);
  CHECK_EQ_INT(proto_decoder_next(&d, &p, &len), PROTO_FRAME);
  CHECK_EQ_INT(len, 1);
  CHECK_EQ_INT(p[0], 7);
  /* Prefix and payload in one feed: none of the payload is kept, nothing grows. */
  proto_decoder_reset(&d);
  uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 1, 2, 3};
  CHECK_EQ_INT(proto_decoder_feed(&d, huge, sizeof huge), sizeof huge);
  CHECK_EQ_INT(proto_decoder_error(&d)->code, PROTO_E_FRAME_TOO_LARGE);
  CHECK_EQ_INT(proto_decoder_buffered(&d), 0);
  CHECK(d.cap <= 4096);
  proto_decoder_free(&d);
}

static void test_oversized_prefix_zero_copy_path(void) {
  proto_decoder d;
  proto_decoder_init(&d, 100);
  char *w;
  size_t room;
  proto_decoder_prepare(&d, &w, &room);
  CHECK(room >= 7 && room <= 104);
  memcpy(w, "\x00\x00\x00\x65xyz", 7);  /* 101 */
  proto_decoder_commit(&d, 7);
  CHECK_EQ_INT(proto_decoder_error(&d)->code, PROTO_E_FRAME_TOO_LARGE);
  CHECK_EQ_INT(proto_decoder_buffered(&d), 0);
  proto_decoder_free(&d);
}

static void expect_bad(const void *bytes, size_t n, int code, const char *text) {
  proto_decoder d;
  proto_decoder_init(&d, 0);
  proto_decoder_feed(&d, bytes, n);
  const uint8_t *p;
  size_t len;
  proto_status st;
  while ((st = proto_decoder_next(&d, &p, &len)) == PROTO_FRAME) {
  }
  CHECK_EQ_INT(st, PROTO_ERROR);
  CHECK_EQ_INT(proto_decoder_error(&d)->code, code);
  CHECK_CONTAINS(proto_decoder_error(&d)->msg, text);
  CHECK_EQ_INT(proto_decoder_next(&d, &p, &len), PROTO_ERROR);
  proto_decoder_free(&d);
}

static void test_bad_payloads(void) {
  expect_bad("\x00\x00\x00\x00", 4, PROTO_E_BAD_FRAME, "frame 1: zero-length frame");
  expect_bad("\x00\x00\x00\x01\xc1", 5, PROTO_E_BAD_FRAME, "invalid msgpack at payload offset 0: invalid msgpack byte 0xc1");
  expect_bad("\x00\x00\x00\x02\x92\x01", 6, PROTO_E_BAD_FRAME, "truncated msgpack object");
  expect_bad("\x00\x00\x00\x02\x01\x02", 6, PROTO_E_BAD_FRAME, "1 trailing bytes after the msgpack object");
  expect_bad("\x00\x00\x00\x03\xdd\xff\xff", 7, PROTO_E_BAD_FRAME, "truncated msgpack object");
  expect_bad("\x00\x00\x00\x05\xdb\xff\xff\xff\xff", 9, PROTO_E_BAD_FRAME, "truncated msgpack object");
  /* Error names the frame by number. */
  expect_bad("\x00\x00\x00\x01\x01\x00\x00\x00\x01\x02\x00\x00\x00\x01\xc1", 15, PROTO_E_BAD_FRAME, "frame 3:");
  /* Nesting deeper than the limit. */
  uint8_t deep[4 + 40];
  deep[0] = deep[1] = deep[2] = 0;
  deep[3] = 40;
  for (int i = 0; i < 39; i++) deep[4 + i] = 0x91;
  deep[4 + 39] = 0x01;
  expect_bad(deep, sizeof deep, PROTO_E_BAD_FRAME, "nesting too deep");
}

static void test_first_violation_wins_whatever_the_split(void) {
  /* Frame 1 good, frame 2 has trailing bytes, frame 3 is oversized: every split reports
   * frame 2 after delivering frame 1. */
  const char s[] = "\x00\x00\x00\x01\x05" "\x00\x00\x00\x02\x01\x02" "\xff\xff\xff\xff";
  size_t n = sizeof s - 1;
  for (size_t step = 1; step <= n; step++) {
    proto_decoder d;
    proto_decoder_init(&d, 0);
    int frames = 0;
    proto_status st = PROTO_NEED_MORE;
    for (size_t off = 0; off < n; off += step) {
      proto_decoder_feed(&d, s + off, AL_MIN(step, n - off));
      const uint8_t *p;
      size_t len;
      while ((st = proto_decoder_next(&d, &p, &len)) == PROTO_FRAME) frames++;
    }
    CHECK_EQ_INT(frames, 1);
    CHECK_EQ_INT(st, PROTO_ERROR);
    CHECK_CONTAINS(proto_decoder_error(&d)->msg, "frame 2: 1 trailing bytes");
    proto_decoder_free(&d);
  }
}

static void test_max_size_frame_accepted(void) {
  size_t max = 100000;
  uint8_t *payload = malloc(max);
  payload[0] = 0xc6;  /* bin32 filling the whole payload */
  uint32_t blen = (uint32_t)(max - 5);
  payload[1] = (uint8_t)(blen >> 24);
  payload[2] = (uint8_t)(blen >> 16);
  payload[3] = (uint8_t)(blen >> 8);
  payload[4] = (uint8_t)blen;
  memset(payload + 5, 0x5a, max - 5);
  al_buf f = {0};
  proto_frame_append(&f, payload, max);
  proto_decoder d;
  proto_decoder_init(&d, max);
  size_t off = 0;
  while (off < f.len) off += proto_decoder_feed(&d, f.data + off, AL_MIN(f.len - off, 4096));
  const uint8_t *p;
  size_t len;
  CHECK_EQ_INT(proto_decoder_next(&d, &p, &len), PROTO_FRAME);
  CHECK_EQ_INT(len, max);
  CHECK_EQ_INT(d.cap, max + 4);
  proto_decoder_free(&d);
  free(payload);
  al_buf_free(&f);
  CHECK_EQ_INT(proto_frame_append(&f, "", 0), -1);
}

static void test_msgpack_c_agrees(void) {
  /* Every payload we encode is exactly one object to msgpack-c's own unpacker too. */
  for (int t = 1; t < PROTO_MSG_COUNT_; t++) {
    proto_msg m;
    proto_msg_example((proto_msg_type)t, &m);
    al_buf f = {0};
    proto_msg_encode(&m, &f);
    msgpack_zone z;
    msgpack_zone_init(&z, 2048);
    msgpack_object o;
    size_t off = 0;
    CHECK_EQ_INT(msgpack_unpack(f.data + 4, f.len - 4, &off, &z, &o), MSGPACK_UNPACK_SUCCESS);
    CHECK_EQ_INT(off, f.len - 4);
    CHECK_EQ_INT(o.type, MSGPACK_OBJECT_MAP);
    CHECK(o.via.map.size >= 1 && o.via.map.ptr[0].key.via.str.size == 1);
    msgpack_zone_destroy(&z);
    al_buf_free(&f);
  }
}

static void test_errcode_names(void) {
  CHECK_EQ_STR(proto_errcode_name(PROTO_E_FRAME_TOO_LARGE), "FRAME_TOO_LARGE");
  CHECK_EQ_STR(proto_errcode_name(PROTO_E_UNKNOWN_TYPE), "UNKNOWN_TYPE");
  CHECK_EQ_STR(proto_errcode_name(999), "UNKNOWN");
}

int main(void) {
  RUN(test_trim_releases_idle_buffer);
  RUN(test_one_byte_at_a_time);
  RUN(test_random_splits_feed_and_prepare);
  RUN(test_bounded_buffer_partial_feed);
  RUN(test_truncated_frame_needs_more);
  RUN(test_oversized_prefix_rejected_before_payload);
  RUN(test_oversized_prefix_zero_copy_path);
  RUN(test_bad_payloads);
  RUN(test_first_violation_wins_whatever_the_split);
  RUN(test_max_size_frame_accepted);
  RUN(test_msgpack_c_agrees);
  RUN(test_errcode_names);
  return TEST_REPORT();
}
