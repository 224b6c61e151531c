/* Connection I/O for the coordinator: reads straight into the proto decoder's bounded
 * buffer, handles at most frames_per_wakeup frames per loop turn (the rest waits on the
 * idle handle so one busy peer cannot starve others), double-buffers output (one
 * uv_write in flight, the next batch accumulating), stops reading a peer whose output
 * passes the soft limit and cuts it off at the hard limit. A connection is freed only
 * in its close callback and only when no store callback still references it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "coord/coord_conn.h"

static void conn_update_reading(coord_conn *c);

static void backlog_add(coord_conn *c) {
  coord_server *s = c->srv;
  if (c->backlogged) return;
  c->backlogged = 1;
  c->bl_prev = NULL;
  c->bl_next = s->backlog;
  if (s->backlog) s->backlog->bl_prev = c;
  s->backlog = c;
  if (!s->idle_active) {
    uv_idle_start(&s->idle, coord_conn_idle_cb);
    s->idle_active = 1;
  }
}

static void backlog_remove(coord_conn *c) {
  coord_server *s = c->srv;
  if (!c->backlogged) return;
  c->backlogged = 0;
  if (c->bl_prev) c->bl_prev->bl_next = c->bl_next;
  else s->backlog = c->bl_next;
  if (c->bl_next) c->bl_next->bl_prev = c->bl_prev;
  c->bl_prev = c->bl_next = NULL;
}

coord_conn *coord_conn_new(coord_server *s) {
  coord_conn *c = al_xcalloc(1, sizeof *c);
  c->srv = s;
  proto_decoder_init(&c->dec, s->o.max_frame);
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->n_conns++;
  s->handles_open++; /* balanced by coord_server_handle_closed in on_close */
  return c;
}

static void conn_free(coord_conn *c) {
  proto_decoder_free(&c->dec);
  al_buf_free(&c->out);
  al_buf_free(&c->wbuf);
  free(c->peer_id);
  for (size_t i = 0; i < c->n_subs; i++) free(c->subs[i]);
  free(c->subs);
  if (c->external) free(c->stream);
  free(c);
}

static void on_close(uv_handle_t *h) {
  coord_conn *c = h->data;
  coord_server *s = c->srv;
  c->handle_closed = 1;
  if (c->prev) c->prev->next = c->next;
  else s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  s->n_conns--;
  coord_server_conn_closed(c);
  if (c->refs == 0) conn_free(c);
  coord_server_handle_closed(s);
}

void coord_conn_close(coord_conn *c, const char *why) {
  if (c->closing) return;
  c->closing = 1;
  coord_server_hello_done(c);
  if (why) al_debug("coordinator: closing connection %s: %s", c->peer_id ? c->peer_id : "(no hello)", why);
  backlog_remove(c);
  if (c->reading) uv_read_stop(c->stream);
  c->reading = 0;
  uv_close((uv_handle_t *)c->stream, on_close);
}

void coord_conn_unref(coord_conn *c) {
  if (--c->refs == 0 && c->handle_closed) conn_free(c);
}

static void on_write(uv_write_t *req, int status) {
  coord_conn *c = req->data;
  c->writing = 0;
  c->wbuf.len = 0;
  if (c->closing) return;
  if (status < 0) {
    coord_conn_close(c, uv_strerror(status));
    return;
  }
  if (c->out.len > 0) {
    al_buf tmp = c->wbuf;
    c->wbuf = c->out;
    c->out = tmp;
    uv_buf_t b = uv_buf_init(c->wbuf.data, (unsigned)c->wbuf.len);
    c->wreq.data = c;
    int rc = uv_write(&c->wreq, c->stream, &b, 1, on_write);
    if (rc < 0) {
      coord_conn_close(c, uv_strerror(rc));
      return;
    }
    c->writing = 1;
  } else if (c->close_after_flush) {
    coord_conn_close(c, NULL);
    return;
  }
  if (c->paused_out && c->out.len + c->wbuf.len <= c->srv->o.out_soft_limit) {
    c->paused_out = 0;
    conn_update_reading(c);
  }
}

static void conn_flush(coord_conn *c) {
  if (c->writing || c->closing) return;
  if (c->out.len == 0) {
    if (c->close_after_flush) coord_conn_close(c, NULL);
    return;
  }
  al_buf tmp = c->wbuf;
  c->wbuf = c->out;
  c->out = tmp;
  c->out.len = 0;
  uv_buf_t b = uv_buf_init(c->wbuf.data, (unsigned)c->wbuf.len);
  c->wreq.data = c;
  int rc = uv_write(&c->wreq, c->stream, &b, 1, on_write);
  if (rc < 0) {
    coord_conn_close(c, uv_strerror(rc));
    return;
  }
  c->writing = 1;
}

/* Output added: enforce limits, then write (writes are batched: everything queued
 * while one write is in flight goes out in the next). */
static void conn_after_queue(coord_conn *c) {
  size_t queued = c->out.len + c->wbuf.len;
  if (queued > c->srv->o.out_hard_limit) {
    al_warn("coordinator: peer %s does not read its output (%zu bytes queued, hard limit %zu); "
            "disconnecting",
            c->peer_id ? c->peer_id : "(no hello)", queued, c->srv->o.out_hard_limit);
    coord_conn_close(c, "output hard limit");
    return;
  }
  if (queued > c->srv->o.out_soft_limit && !c->paused_out) {
    c->paused_out = 1;
    conn_update_reading(c);
  }
  conn_flush(c);
}

void coord_conn_send(coord_conn *c, const proto_msg *m) {
  if (c->closing || c->close_after_flush) return;
  proto_msg_encode(m, &c->out);
  conn_after_queue(c);
}

void coord_conn_send_error(coord_conn *c, uint64_t rid, uint32_t code, const char *fmt, ...) {
  if (c->closing || c->close_after_flush) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  proto_encode_error(&c->out, rid, code, "%s", msg);
  conn_after_queue(c);
}

void coord_conn_close_after_flush(coord_conn *c) {
  if (c->closing) return;
  c->close_after_flush = 1;
  backlog_remove(c);
  conn_update_reading(c);
  conn_flush(c);
}

/* Handles up to budget frames. Returns 1 when frames may remain. */
static int conn_process(coord_conn *c, unsigned budget) {
  while (budget-- > 0) {
    if (c->closing || c->close_after_flush) return 0;
    const uint8_t *p;
    size_t len;
    proto_status st = proto_decoder_next(&c->dec, &p, &len);
    if (st == PROTO_NEED_MORE) return 0;
    if (st == PROTO_ERROR) {
      const al_err *e = proto_decoder_error(&c->dec);
      al_warn("coordinator: protocol error from %s: %s", c->peer_id ? c->peer_id : "(no hello)", e->msg);
      coord_conn_send_error(c, 0, (uint32_t)(e->code ? e->code : PROTO_E_BAD_FRAME), "%s", e->msg);
      coord_conn_close_after_flush(c);
      return 0;
    }
    coord_server_handle_frame(c, p, len);
  }
  return 1;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  coord_conn *c = h->data;
  char *p;
  size_t room;
  proto_decoder_prepare(&c->dec, &p, &room);
  *buf = uv_buf_init(p, (unsigned)AL_MIN(room, (size_t)1 << 20));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  coord_conn *c = st->data;
  if (n == UV_ENOBUFS) { /* decoder full of unhandled frames: handle them first */
    backlog_add(c);
    conn_update_reading(c);
    return;
  }
  if (n < 0) {
    coord_conn_close(c, n == UV_EOF ? "peer closed" : uv_strerror((int)n));
    return;
  }
  if (n == 0) return;
  proto_decoder_commit(&c->dec, (size_t)n);
  if (conn_process(c, c->srv->o.frames_per_wakeup)) {
    backlog_add(c);
    conn_update_reading(c);
  } else {
    /* Everything read was handled: give the read buffer back, so thousands of idle
     * heartbeating workers cost no buffer memory between their frames. */
    proto_decoder_trim(&c->dec);
  }
}

static void conn_update_reading(coord_conn *c) {
  int want = !c->closing && !c->close_after_flush && !c->paused_out && !c->backlogged;
  if (want && !c->reading) {
    if (uv_read_start(c->stream, on_alloc, on_read) == 0) c->reading = 1;
  } else if (!want && c->reading) {
    uv_read_stop(c->stream);
    c->reading = 0;
  }
}

void coord_conn_start(coord_conn *c) {
  c->stream->data = c;
  coord_server_hello_wait(c);
  conn_update_reading(c);
}

void coord_conn_idle_cb(uv_idle_t *h) {
  coord_server *s = h->data;
  coord_conn *c = s->backlog;
  while (c) {
    coord_conn *next = c->bl_next;
    if (!conn_process(c, s->o.frames_per_wakeup)) {
      backlog_remove(c);
      conn_update_reading(c);
    }
    c = next;
  }
  if (!s->backlog) {
    uv_idle_stop(&s->idle);
    s->idle_active = 0;
  }
}
