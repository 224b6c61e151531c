/* Connection glue for the coordinator: a loop_conn (src/loop) per peer, with the
 * coordinator's limits, its error reply on a broken stream and its bookkeeping when a
 * connection goes away. A connection is freed only after its handle closed and no
 * store callback still references it (loop_conn's on_release). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "coord/coord_conn.h"

static void on_frame(loop_conn *lc, const uint8_t *payload, size_t len) {
  coord_conn *c = lc->data;
  c->last_active = (double)uv_now(c->srv->loop) / 1000.0; /* loop time: no clock read per frame */
  coord_server_handle_frame(c, payload, len);
}

static void on_bad_stream(loop_conn *lc, const al_err *e) {
  coord_conn *c = lc->data;
  al_warn("coordinator: protocol error from %s: %s", c->peer_id ? c->peer_id : "(no hello)", e->msg);
  coord_conn_send_error(c, 0, (uint32_t)(e->code ? e->code : PROTO_E_BAD_FRAME), "%s", e->msg);
}

static void on_closed(loop_conn *lc, const char *why) {
  coord_conn *c = lc->data;
  coord_server *s = c->srv;
  (void)why;
  coord_server_hello_done(c);
  if (c->prev) c->prev->next = c->next;
  else s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  s->n_conns--;
  coord_server_conn_closed(c);
  coord_server_handle_closed(s);
}

static void on_release(loop_conn *lc) {
  coord_conn *c = lc->data;
  free(c->peer_id);
  for (size_t i = 0; i < c->n_subs; i++) free(c->subs[i]);
  free(c->subs);
  for (size_t i = 0; i < c->n_jobs; i++) free(c->jobs[i]);
  free(c->jobs);
  free(c);
}

const loop_conn_cbs coord_conn_cbs = {on_frame, on_bad_stream, on_closed, on_release};

static coord_conn *conn_alloc(coord_server *s) {
  coord_conn *c = al_xcalloc(1, sizeof *c);
  c->srv = s;
  c->last_active = (double)uv_now(s->loop) / 1000.0;
  snprintf(c->addr, sizeof c->addr, "local");
  c->loopback = 1;
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->n_conns++;
  s->handles_open++; /* balanced by coord_server_handle_closed in on_closed */
  return c;
}

/* Until the hello is handled only a small frame is accepted (coord_guard.h); the
 * configured limit applies once the peer is authenticated. */
static void pre_hello_limit(coord_conn *c) {
  size_t max = c->srv->o.max_frame ? c->srv->o.max_frame : PROTO_DEFAULT_MAX_FRAME;
  loop_conn_set_max_frame(&c->lc, AL_MIN(max, (size_t)COORD_PRE_HELLO_MAX_FRAME));
}

coord_conn *coord_conn_new_tcp(coord_server *s, uv_tcp_t **tcp) {
  coord_conn *c = conn_alloc(s);
  *tcp = loop_conn_init_tcp(&c->lc, &s->conns_grp, c);
  pre_hello_limit(c);
  return c;
}

coord_conn *coord_conn_new_stream(coord_server *s, uv_stream_t *stream) {
  coord_conn *c = conn_alloc(s);
  loop_conn_init_stream(&c->lc, &s->conns_grp, c, stream);
  pre_hello_limit(c);
  return c;
}

void coord_conn_hold(coord_conn *c) { loop_conn_hold(&c->lc); }

void coord_conn_close(coord_conn *c, const char *why) {
  coord_server_hello_done(c);
  loop_conn_close(&c->lc, why);
}

void coord_conn_unref(coord_conn *c) { loop_conn_unref(&c->lc); }

void coord_conn_send(coord_conn *c, const proto_msg *m) { loop_conn_send(&c->lc, m); }

void coord_conn_send_error(coord_conn *c, uint64_t rid, uint32_t code, const char *fmt, ...) {
  al_buf *out = loop_conn_begin_write(&c->lc);
  if (!out) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  proto_encode_error(out, rid, code, "%s", msg);
  loop_conn_end_write(&c->lc);
}

void coord_conn_close_after_flush(coord_conn *c) {
  loop_conn_close_after_flush(&c->lc);
}

int coord_conn_start_tls(coord_conn *c, uv_tcp_t *tcp, loop_tls_ctx *tls) {
  char peer[INET6_ADDRSTRLEN + 16] = "unknown address";
  struct sockaddr_storage ss;
  int len = (int)sizeof ss;
  if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) == 0) {
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss.ss_family == AF_INET6) {
      uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof ip);
      port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
      snprintf(peer, sizeof peer, "[%s]:%d", ip, port);
    } else {
      uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof ip);
      port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
      snprintf(peer, sizeof peer, "%s:%d", ip, port);
    }
  }
  al_err e;
  loop_tls *t = loop_tls_new(tls, NULL, peer, &e);
  if (!t) {
    al_warn("coordinator: %s", e.msg);
    coord_conn_close(c, "TLS connection failed");
    return -1;
  }
  loop_conn_set_filter(&c->lc, &loop_tls_filter, t);
  return 0;
}

void coord_conn_start(coord_conn *c) {
  coord_server_hello_wait(c);
  loop_conn_start(&c->lc);
}
