/* One framed libuv connection (see loop_conn.h). */
#include "loop/loop_conn.h"

#include "loop/loop_frame.h"

#include <stdlib.h>
#include <string.h>

#define LOOP_DEFAULT_SOFT ((size_t)1 << 20)
#define LOOP_DEFAULT_HARD ((size_t)64 << 20)
#define LOOP_DEFAULT_BUDGET 64u
#define LOOP_DEFAULT_READ_CHUNK ((size_t)1 << 20)
/* With a filter, wire bytes are read into a temporary buffer of at most this size. */
#define LOOP_FILTER_READ ((size_t)64 << 10)

static void update_reading(loop_conn *c);
static void flush(loop_conn *c);
static void group_idle_cb(uv_idle_t *h);

static const char *label(const loop_conn *c) { return c->label ? c->label : "(unnamed peer)"; }

/* ---- Group ----------------------------------------------------------------------------- */
void loop_group_init(loop_group *g, uv_loop_t *loop, const loop_limits *lim, const loop_conn_cbs *cbs) {
  memset(g, 0, sizeof *g);
  g->loop = loop;
  g->cbs = cbs;
  if (lim) g->lim = *lim;
  if (!g->lim.out_soft_limit) g->lim.out_soft_limit = LOOP_DEFAULT_SOFT;
  if (!g->lim.out_hard_limit) g->lim.out_hard_limit = LOOP_DEFAULT_HARD;
  if (g->lim.out_hard_limit < g->lim.out_soft_limit) g->lim.out_hard_limit = g->lim.out_soft_limit;
  if (!g->lim.frames_per_wakeup) g->lim.frames_per_wakeup = LOOP_DEFAULT_BUDGET;
  if (!g->lim.read_chunk) g->lim.read_chunk = LOOP_DEFAULT_READ_CHUNK;
  uv_idle_init(loop, &g->idle);
  g->idle.data = g;
}

static void group_closed_cb(uv_handle_t *h) {
  loop_group *g = h->data;
  if (g->on_closed) g->on_closed(g);
}

void loop_group_close(loop_group *g, void (*on_closed)(loop_group *g)) {
  if (g->closed) return;
  g->closed = 1;
  g->on_closed = on_closed;
  g->backlog = NULL;
  uv_idle_stop(&g->idle);
  g->idle_active = 0;
  uv_close((uv_handle_t *)&g->idle, group_closed_cb);
}

static void backlog_add(loop_conn *c) {
  loop_group *g = c->grp;
  if (c->backlogged || g->closed) return;
  c->backlogged = 1;
  c->bl_prev = NULL;
  c->bl_next = g->backlog;
  if (g->backlog) g->backlog->bl_prev = c;
  g->backlog = c;
  if (!g->idle_active) {
    uv_idle_start(&g->idle, group_idle_cb);
    g->idle_active = 1;
  }
}

static void backlog_remove(loop_conn *c) {
  loop_group *g = c->grp;
  if (!c->backlogged) return;
  c->backlogged = 0;
  if (c->bl_prev) c->bl_prev->bl_next = c->bl_next;
  else g->backlog = c->bl_next;
  if (c->bl_next) c->bl_next->bl_prev = c->bl_prev;
  c->bl_prev = c->bl_next = NULL;
}

/* ---- Life cycle ------------------------------------------------------------------------ */
static void conn_init(loop_conn *c, loop_group *g, void *data) {
  memset(c, 0, sizeof *c);
  c->data = data;
  c->grp = g;
  proto_decoder_init(&c->dec, g->lim.max_frame);
}

uv_tcp_t *loop_conn_init_tcp(loop_conn *c, loop_group *g, void *data) {
  conn_init(c, g, data);
  uv_tcp_init(g->loop, &c->h.tcp);
  c->stream = (uv_stream_t *)&c->h.tcp;
  c->stream->data = c;
  return &c->h.tcp;
}

void loop_conn_init_stream(loop_conn *c, loop_group *g, void *data, uv_stream_t *stream) {
  conn_init(c, g, data);
  c->adopted = 1;
  c->stream = stream;
  stream->data = c;
}

void loop_conn_set_filter(loop_conn *c, const loop_filter *f, void *state) {
  if (!c->fx) c->fx = al_xcalloc(1, sizeof *c->fx);
  c->fx->f = f;
  c->fx->state = state;
}

void *loop_conn_filter_state(const loop_conn *c) { return c->fx ? c->fx->state : NULL; }

void loop_conn_set_label(loop_conn *c, const char *lbl) { c->label = lbl; }

static void maybe_release(loop_conn *c) {
  if (!c->handle_closed || c->refs > 0) return;
  if (c->grp->cbs->on_release) c->grp->cbs->on_release(c); /* may free c: last touch */
}

static void on_handle_closed(uv_handle_t *h) {
  loop_conn *c = h->data;
  c->handle_closed = 1;
  if (c->fx) {
    if (c->fx->f->release) c->fx->f->release(c);
    al_buf_free(&c->fx->fin);
    al_buf_free(&c->fx->wpend);
    free(c->fx);
    c->fx = NULL;
  }
  proto_decoder_free(&c->dec);
  al_buf_free(&c->out);
  al_buf_free(&c->wbuf);
  if (c->adopted) free(c->stream);
  c->stream = NULL;
  c->refs++; /* on_closed may unref; release only after it returns */
  c->grp->cbs->on_closed(c, c->why ? c->why : "closed");
  c->refs--;
  maybe_release(c);
}

void loop_conn_close(loop_conn *c, const char *why) {
  if (c->closing) return;
  c->closing = 1;
  c->why = why;
  if (why) al_debug("connection %s: closing: %s", label(c), why);
  backlog_remove(c);
  if (c->reading) uv_read_stop(c->stream);
  c->reading = 0;
  uv_close((uv_handle_t *)c->stream, on_handle_closed);
}

void loop_conn_hold(loop_conn *c) {
  c->held = 1;
  backlog_remove(c);
  update_reading(c);
}

void loop_conn_set_max_frame(loop_conn *c, size_t max_frame) { proto_decoder_set_max(&c->dec, max_frame); }

void loop_conn_close_after_flush(loop_conn *c) {
  if (c->closing || c->close_after_flush) return;
  c->close_after_flush = 1;
  backlog_remove(c);
  update_reading(c);
  flush(c);
}

int loop_conn_is_open(const loop_conn *c) { return !c->closing && !c->close_after_flush; }

void loop_conn_ref(loop_conn *c) { c->refs++; }

void loop_conn_unref(loop_conn *c) {
  if (c->refs > 0) c->refs--;
  maybe_release(c);
}

/* ---- Output ---------------------------------------------------------------------------- */
size_t loop_conn_queued(const loop_conn *c) { return c->out.len + c->wbuf.len + (c->fx ? c->fx->wpend.len : 0); }

static void on_write(uv_write_t *req, int status);

/* Hands the queued output to libuv (one write in flight; the rest batches behind it). */
static void flush(loop_conn *c) {
  if (c->writing || c->closing) return;
  if (c->fx) {
    /* The filter's own wire bytes first (they were produced before these frames). */
    al_buf tmp = c->wbuf; /* empty: nothing is in flight */
    c->wbuf = c->fx->wpend;
    c->fx->wpend = tmp;
    if (c->out.len > 0) {
      al_err e;
      al_err_clear(&e);
      int rc = c->fx->f->encode(c, c->out.data, c->out.len, &c->wbuf, &e);
      c->out.len = 0;
      if (rc != 0) {
        al_warn("connection %s: %s", label(c), e.msg);
        loop_conn_close(c, "transport filter failed");
        return;
      }
    }
  } else {
    al_buf tmp = c->wbuf; /* empty: nothing is in flight */
    c->wbuf = c->out;
    c->out = tmp;
    c->out.len = 0;
  }
  if (c->wbuf.len == 0) {
    if (c->close_after_flush) loop_conn_close(c, c->why ? c->why : "closed after flush");
    return;
  }
  uv_buf_t b = uv_buf_init(c->wbuf.data, (unsigned)c->wbuf.len);
  c->wreq.data = c;
  int rc = uv_write(&c->wreq, c->stream, &b, 1, on_write);
  if (rc < 0) {
    loop_conn_close(c, uv_strerror(rc));
    return;
  }
  c->writing = 1;
}

static void on_write(uv_write_t *req, int status) {
  loop_conn *c = req->data;
  c->writing = 0;
  if (status >= 0) c->grp->bytes_out += c->wbuf.len;
  c->wbuf.len = 0;
  if (c->closing) return;
  if (status < 0) {
    loop_conn_close(c, uv_strerror(status));
    return;
  }
  flush(c);
  if (!c->closing && c->paused_out && loop_conn_queued(c) <= c->grp->lim.out_soft_limit) {
    c->paused_out = 0;
    update_reading(c);
  }
}

al_buf *loop_conn_begin_write(loop_conn *c) { return loop_conn_is_open(c) ? &c->out : NULL; }

/* Output added: enforce the limits, then write unless a read batch is being delivered
 * (its replies go out together when it ends). */
void loop_conn_end_write(loop_conn *c) {
  if (c->closing) return;
  size_t queued = loop_conn_queued(c);
  if (queued > c->grp->lim.out_hard_limit) {
    al_warn("connection %s: the peer does not read its output (%zu bytes queued, hard limit %zu); disconnecting",
            label(c), queued, c->grp->lim.out_hard_limit);
    loop_conn_close(c, "output hard limit");
    return;
  }
  if (queued > c->grp->lim.out_soft_limit && !c->paused_out) {
    c->paused_out = 1;
    update_reading(c);
  }
  if (!c->delivering) flush(c);
}

int loop_conn_send(loop_conn *c, const proto_msg *m) {
  al_buf *b = loop_conn_begin_write(c);
  if (!b) return -1;
  al_err e;
  if (loop_frame_encode(b, m, c->grp->lim.max_frame, &e) != 0) {
    al_warn("connection %s: not sent: %s", label(c), e.msg);
    return -1;
  }
  loop_conn_end_write(c);
  return 0;
}

/* ---- Input ----------------------------------------------------------------------------- */
/* Next frame; with a filter, decoded plaintext is fed to the decoder as room allows. */
static proto_status next_frame(loop_conn *c, const uint8_t **p, size_t *len) {
  for (;;) {
    proto_status st = proto_decoder_next(&c->dec, p, len);
    loop_filter_io *fx = c->fx;
    if (st != PROTO_NEED_MORE || !fx || fx->fin_off >= fx->fin.len) return st;
    size_t took = proto_decoder_feed(&c->dec, fx->fin.data + fx->fin_off, fx->fin.len - fx->fin_off);
    fx->fin_off += took;
    if (fx->fin_off >= fx->fin.len) fx->fin.len = fx->fin_off = 0;
    if (took == 0) return PROTO_NEED_MORE;
  }
}

/* Delivers up to budget frames. Returns 1 when frames may remain. */
static int deliver(loop_conn *c, unsigned budget) {
  int more = 1;
  c->delivering = 1;
  while (budget-- > 0) {
    if (!loop_conn_is_open(c) || c->held) {
      more = 0;
      break;
    }
    const uint8_t *p;
    size_t len;
    proto_status st = next_frame(c, &p, &len);
    if (st == PROTO_NEED_MORE) {
      more = 0;
      break;
    }
    if (st == PROTO_ERROR) {
      more = 0;
      if (!c->bad_stream) {
        c->bad_stream = 1;
        if (c->grp->cbs->on_bad_stream) c->grp->cbs->on_bad_stream(c, proto_decoder_error(&c->dec));
        else al_warn("connection %s: protocol error: %s", label(c), proto_decoder_error(&c->dec)->msg);
        c->why = "protocol error";
        loop_conn_close_after_flush(c);
      }
      break;
    }
    c->grp->cbs->on_frame(c, p, len);
  }
  c->delivering = 0;
  if (!c->closing) flush(c);
  return more && loop_conn_is_open(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  loop_conn *c = h->data;
  (void)suggested;
  if (c->fx) {
    if (c->fx->fin.len > 0) { /* plaintext still waiting for decoder room */
      *buf = uv_buf_init(NULL, 0);
      return;
    }
    size_t n = AL_MIN(LOOP_FILTER_READ, c->grp->lim.read_chunk);
    *buf = uv_buf_init(al_xmalloc(n), (unsigned)n);
    return;
  }
  char *p;
  size_t room;
  proto_decoder_prepare(&c->dec, &p, &room);
  *buf = uv_buf_init(p, (unsigned)AL_MIN(room, c->grp->lim.read_chunk));
}

/* Filter input: wire bytes -> plaintext in fx->fin; wire bytes the filter sends on its
 * own wait in fx->wpend and go out ahead of later frames. */
static int filter_input(loop_conn *c, const char *wire, size_t n) {
  al_err e;
  al_err_clear(&e);
  if (c->fx->f->decode(c, wire, n, &c->fx->fin, &c->fx->wpend, &e) != 0) {
    al_warn("connection %s: %s", label(c), e.msg);
    c->out.len = 0; /* nothing more passes through a failed filter */
    if (c->fx->wpend.len > 0) { /* its last words (a TLS alert) tell the peer why */
      c->why = "transport filter failed";
      loop_conn_close_after_flush(c);
    } else {
      loop_conn_close(c, "transport filter failed");
    }
    return -1;
  }
  if (c->fx->wpend.len > 0) flush(c);
  return c->closing ? -1 : 0;
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  loop_conn *c = st->data;
  if (n > 0) c->grp->bytes_in += (uint64_t)n;
  if (c->fx && n > 0) {
    int rc = filter_input(c, buf->base, (size_t)n);
    free(buf->base);
    if (rc != 0) return;
  } else if (c->fx) {
    free(buf->base);
  }
  if (n == UV_ENOBUFS) { /* decoder full of unhandled frames: handle them first */
    backlog_add(c);
    update_reading(c);
    return;
  }
  if (n < 0) {
    loop_conn_close(c, n == UV_EOF ? "peer closed" : uv_strerror((int)n));
    return;
  }
  if (n == 0) return;
  if (!c->fx) proto_decoder_commit(&c->dec, (size_t)n);
  if (deliver(c, c->grp->lim.frames_per_wakeup)) {
    backlog_add(c);
    update_reading(c);
  } else if (c->grp->lim.trim_when_idle) {
    proto_decoder_trim(&c->dec);
  }
}

static void update_reading(loop_conn *c) {
  int want = c->started && !c->closing && !c->close_after_flush && !c->paused_out && !c->backlogged && !c->held;
  if (want && !c->reading) {
    if (uv_read_start(c->stream, on_alloc, on_read) == 0) c->reading = 1;
  } else if (!want && c->reading) {
    uv_read_stop(c->stream);
    c->reading = 0;
  }
}

void loop_conn_start(loop_conn *c) {
  c->started = 1;
  update_reading(c);
}

static void group_idle_cb(uv_idle_t *h) {
  loop_group *g = h->data;
  loop_conn *c = g->backlog;
  while (c) {
    loop_conn *next = c->bl_next;
    if (!deliver(c, g->lim.frames_per_wakeup)) {
      backlog_remove(c);
      update_reading(c);
    }
    c = next;
  }
  if (!g->backlog && g->idle_active) {
    uv_idle_stop(&g->idle);
    g->idle_active = 0;
  }
}
