/* src/loop connection over a real socketpair on one libuv loop: frames in order, the
 * per-wakeup budget, on_closed/on_release exactly once, refs delaying release, a broken
 * stream, the output hard limit, close after flush, and a transport filter. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "loop/loop_conn.h"

typedef struct side {
  loop_conn lc;
  int frames;             /* frames received */
  uint64_t next_rid;      /* request id expected next */
  int order_errors;
  int closed, released, bad;
  char why[64];
  char bad_msg[AL_ERR_MSG_MAX];
  int since_check;        /* frames since the last uv_check callback */
  int max_per_turn;
  int send_on_frame;      /* reply to every frame */
} side;

static void s_frame(loop_conn *lc, const uint8_t *p, size_t len) {
  side *s = lc->data;
  proto_msg m;
  al_err e;
  if (proto_msg_decode(p, len, &m, &e) != 0) {
    s->order_errors++;
    return;
  }
  if (m.request_id != s->next_rid) s->order_errors++;
  s->next_rid = m.request_id + 1;
  proto_msg_free(&m);
  s->frames++;
  s->since_check++;
  if (s->send_on_frame) {
    proto_msg r = {.type = PROTO_MSG_OK, .request_id = s->frames};
    loop_conn_send(lc, &r);
  }
}
static void s_bad(loop_conn *lc, const al_err *e) {
  side *s = lc->data;
  s->bad++;
  snprintf(s->bad_msg, sizeof s->bad_msg, "%s", e->msg);
}
static void s_closed(loop_conn *lc, const char *why) {
  side *s = lc->data;
  s->closed++;
  snprintf(s->why, sizeof s->why, "%s", why);
}
static void s_release(loop_conn *lc) { ((side *)lc->data)->released++; }

static const loop_conn_cbs cbs = {s_frame, s_bad, s_closed, s_release};

/* A fresh loop and group (lim may be NULL) with two connections joined by a socketpair,
 * both reading when start is set. */
static void pair(uv_loop_t *loop, loop_group *g, const loop_limits *lim, side *a, side *b, int start) {
  uv_loop_init(loop);
  loop_group_init(g, loop, lim, &cbs);
  int fds[2];
  CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  side *sides[2] = {a, b};
  for (int i = 0; i < 2; i++) {
    uv_pipe_t *p = al_xcalloc(1, sizeof *p);
    uv_pipe_init(loop, p, 0);
    CHECK_EQ_INT(uv_pipe_open(p, fds[i]), 0);
    memset(sides[i], 0, sizeof *sides[i]);
    sides[i]->next_rid = 1;
    loop_conn_init_stream(&sides[i]->lc, g, sides[i], (uv_stream_t *)p);
  }
  if (start) {
    loop_conn_start(&a->lc);
    loop_conn_start(&b->lc);
  }
}

static side *g_watch;
static void on_check(uv_check_t *h) {
  (void)h;
  if (g_watch->since_check > g_watch->max_per_turn) g_watch->max_per_turn = g_watch->since_check;
  g_watch->since_check = 0;
}

static void send_n(side *s, int n, uint64_t first_rid) {
  for (int i = 0; i < n; i++) {
    proto_msg m = {.type = PROTO_MSG_OK, .request_id = first_rid + (uint64_t)i};
    CHECK_EQ_INT(loop_conn_send(&s->lc, &m), 0);
  }
}

static void finish(uv_loop_t *loop, loop_group *g) {
  loop_group_close(g, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(uv_loop_close(loop), 0);
}

/* 500 frames arrive in order, never more than the budget in one loop turn; replies to
 * them come back; each side closes exactly once and is released exactly once. */
static void test_frames_budget_and_life_cycle(void) {
  uv_loop_t loop;
  loop_group g;
  side a, b;
  loop_limits lim = {.frames_per_wakeup = 4};
  pair(&loop, &g, &lim, &a, &b, 1);
  b.send_on_frame = 1;
  uv_check_t chk;
  uv_check_init(&loop, &chk);
  g_watch = &b;
  uv_check_start(&chk, on_check);
  send_n(&a, 500, 1);
  for (int i = 0; i < 10000 && a.frames < 500; i++) uv_run(&loop, UV_RUN_ONCE);
  CHECK_EQ_INT(b.frames, 500);
  CHECK_EQ_INT(a.frames, 500);
  CHECK_EQ_INT(b.order_errors, 0);
  CHECK_EQ_INT(a.order_errors, 0);
  CHECK_MSG(b.max_per_turn <= 4, "max frames per loop turn %d, budget 4", b.max_per_turn);
  CHECK(b.max_per_turn >= 1);
  /* a reference delays release, never on_closed */
  loop_conn_ref(&a.lc);
  loop_conn_close(&a.lc, "test done");
  loop_conn_close(&a.lc, "again"); /* no effect */
  uv_check_stop(&chk);
  uv_close((uv_handle_t *)&chk, NULL);
  for (int i = 0; i < 100 && !(a.closed && b.closed); i++) uv_run(&loop, UV_RUN_ONCE);
  CHECK_EQ_INT(a.closed, 1);
  CHECK_EQ_STR(a.why, "test done");
  CHECK_EQ_INT(a.released, 0);
  loop_conn_unref(&a.lc);
  CHECK_EQ_INT(a.released, 1);
  CHECK_EQ_INT(b.closed, 1); /* the peer saw EOF */
  CHECK_EQ_STR(b.why, "peer closed");
  CHECK_EQ_INT(b.released, 1);
  finish(&loop, &g);
  CHECK_EQ_INT(a.closed, 1);
  CHECK_EQ_INT(b.closed, 1);
}

/* Bytes that are not a frame: on_bad_stream once with the decoder's message, the reply
 * queued there is delivered, then the connection closes. */
static void test_bad_stream(void) {
  uv_loop_t loop;
  loop_group g;
  side a, b;
  pair(&loop, &g, NULL, &a, &b, 1);
  al_buf *out = loop_conn_begin_write(&a.lc);
  const char zero[8] = {0}; /* a zero-length frame */
  al_buf_append(out, zero, sizeof zero);
  loop_conn_end_write(&a.lc);
  for (int i = 0; i < 100 && !b.closed; i++) uv_run(&loop, UV_RUN_ONCE);
  CHECK_EQ_INT(b.bad, 1);
  CHECK_MSG(strstr(b.bad_msg, "frame 1: zero-length frame") != NULL, "%s", b.bad_msg);
  CHECK_EQ_INT(b.closed, 1);
  CHECK_EQ_STR(b.why, "protocol error");
  CHECK_EQ_INT(b.frames, 0);
  for (int i = 0; i < 100 && !a.closed; i++) uv_run(&loop, UV_RUN_ONCE);
  CHECK_EQ_INT(a.closed, 1);
  finish(&loop, &g);
}

/* A peer that never reads: queued output passes the hard limit and the connection is
 * cut off (the worker had no such limit before src/loop). */
static void test_output_hard_limit(void) {
  uv_loop_t loop;
  loop_group g;
  side a, b;
  loop_limits lim = {.out_soft_limit = 4096, .out_hard_limit = 65536};
  pair(&loop, &g, &lim, &a, &b, 0);
  loop_conn_start(&a.lc); /* b never starts reading */
  char big[8192];
  memset(big, 'x', sizeof big);
  int sent = 0;
  for (int i = 0; i < 2000 && !a.closed; i++) {
    proto_msg m = {.type = PROTO_MSG_ERROR, .request_id = (uint64_t)i + 1};
    m.u.error.code = PROTO_E_INTERNAL;
    big[sizeof big - 1] = 0;
    m.u.error.message = big;
    if (loop_conn_send(&a.lc, &m) != 0) break;
    sent++;
    uv_run(&loop, UV_RUN_NOWAIT);
  }
  for (int i = 0; i < 100 && !a.closed; i++) uv_run(&loop, UV_RUN_NOWAIT);
  CHECK_EQ_INT(a.closed, 1);
  CHECK_EQ_STR(a.why, "output hard limit");
  CHECK(sent < 2000);
  loop_conn_close(&b.lc, "test done");
  finish(&loop, &g);
}

/* close_after_flush: the frames queued before it arrive, then EOF. */
static void test_close_after_flush(void) {
  uv_loop_t loop;
  loop_group g;
  side a, b;
  pair(&loop, &g, NULL, &a, &b, 1);
  send_n(&a, 50, 1);
  loop_conn_close_after_flush(&a.lc);
  CHECK(!loop_conn_is_open(&a.lc));
  proto_msg late = {.type = PROTO_MSG_OK, .request_id = 99};
  CHECK_EQ_INT(loop_conn_send(&a.lc, &late), -1); /* nothing after the close */
  for (int i = 0; i < 200 && !(a.closed && b.closed); i++) uv_run(&loop, UV_RUN_ONCE);
  CHECK_EQ_INT(b.frames, 50);
  CHECK_EQ_INT(b.order_errors, 0);
  CHECK_EQ_INT(a.closed, 1);
  CHECK_EQ_INT(b.closed, 1);
  finish(&loop, &g);
}

/* The TLS seam: a filter that XORs the wire and, on its first input, sends one wire
 * byte of its own (as a handshake would), which the peer's filter swallows. */
typedef struct xf {
  int decoded, encoded, greeted, skip;
} xf;
static int xf_decode(loop_conn *c, const char *wire, size_t n, al_buf *plain, al_buf *wire_out, al_err *err) {
  xf *x = loop_conn_filter_state(c);
  x->decoded++;
  size_t i = 0;
  if (x->skip && n > 0) { /* the peer's greeting byte */
    if ((unsigned char)wire[0] != 0xEE) return al_err_set(err, PROTO_E_BAD_FRAME, "no greeting");
    x->skip = 0;
    i = 1;
  }
  for (; i < n; i++) {
    char ch = (char)(wire[i] ^ 0x5A);
    al_buf_append(plain, &ch, 1);
  }
  if (!x->greeted) {
    x->greeted = 1;
    char g = (char)0xEE;
    al_buf_append(wire_out, &g, 1);
  }
  return 0;
}
static int xf_encode(loop_conn *c, const char *plainp, size_t n, al_buf *wire_out, al_err *err) {
  xf *x = loop_conn_filter_state(c);
  (void)err;
  x->encoded++;
  if (!x->greeted) {
    x->greeted = 1;
    char g = (char)0xEE;
    al_buf_append(wire_out, &g, 1);
  }
  for (size_t i = 0; i < n; i++) {
    char ch = (char)(plainp[i] ^ 0x5A);
    al_buf_append(wire_out, &ch, 1);
  }
  return 0;
}
static const loop_filter xor_filter = {xf_decode, xf_encode, NULL};

static void test_filter_seam(void) {
  uv_loop_t loop;
  loop_group g;
  side a, b;
  loop_limits lim = {.frames_per_wakeup = 3};
  pair(&loop, &g, &lim, &a, &b, 0);
  xf xa = {.skip = 1}, xb = {.skip = 1};
  loop_conn_set_filter(&a.lc, &xor_filter, &xa);
  loop_conn_set_filter(&b.lc, &xor_filter, &xb);
  b.send_on_frame = 1;
  loop_conn_start(&a.lc);
  loop_conn_start(&b.lc);
  send_n(&a, 200, 1);
  for (int i = 0; i < 5000 && a.frames < 200; i++) uv_run(&loop, UV_RUN_ONCE);
  CHECK_EQ_INT(b.frames, 200);
  CHECK_EQ_INT(a.frames, 200);
  CHECK_EQ_INT(a.order_errors + b.order_errors, 0);
  CHECK_EQ_INT(a.bad + b.bad, 0);
  CHECK(xa.encoded > 0 && xb.decoded > 0 && xb.encoded > 0 && xa.decoded > 0);
  loop_conn_close(&a.lc, "test done");
  for (int i = 0; i < 100 && !b.closed; i++) uv_run(&loop, UV_RUN_ONCE);
  CHECK_EQ_INT(b.closed, 1);
  finish(&loop, &g);
}

int main(void) {
  al_log_set_level(AL_LOG_ERROR);
  RUN(test_frames_budget_and_life_cycle);
  RUN(test_bad_stream);
  RUN(test_output_hard_limit);
  RUN(test_close_after_flush);
  RUN(test_filter_seam);
  return TEST_REPORT();
}
