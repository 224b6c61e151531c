/* See ops_server.h. Each connection owns a fixed request buffer and a timer; it is
 * freed once both handles are closed. The server is freed once its listener and all
 * its connections are closed. */
#include "ops/ops_server.h"

#include <stdlib.h>
#include <string.h>

#include "ops/ops_http.h"

typedef struct ops_conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  struct ops_server *srv;
  struct ops_conn *prev, *next;
  char buf[OPS_HTTP_MAX_REQUEST + 1];
  size_t len;
  int closing, open_handles;
  int responded; /* reading only drains what the client still sends */
  uv_write_t wr;
  uv_shutdown_t sd;
  al_buf out;
} ops_conn;

struct ops_server {
  uv_loop_t *loop;
  uv_tcp_t listener;
  ops_server_hooks h;
  ops_conn *conns;
  size_t n_conns;
  int port;
  int stopping, listener_closed;
};

static void maybe_free_server(ops_server *s) {
  if (s->stopping && s->listener_closed && s->n_conns == 0) free(s);
}

static void on_conn_handle_closed(uv_handle_t *h) {
  ops_conn *c = h->data;
  if (--c->open_handles > 0) return;
  ops_server *s = c->srv;
  if (c->prev) c->prev->next = c->next;
  else s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  s->n_conns--;
  al_buf_free(&c->out);
  free(c);
  maybe_free_server(s);
}

static void conn_close(ops_conn *c) {
  if (c->closing) return;
  c->closing = 1;
  uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
  uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
}

static void on_shutdown(uv_shutdown_t *sd, int status) {
  if (status < 0) conn_close(sd->data);
}

static void on_linger_timeout(uv_timer_t *t) { conn_close(t->data); }

/* Lingering close: after the response, shut down the sending side and drain what the
 * client still sends (a refused request may not have been read in full) until it
 * closes or OPS_SERVER_LINGER_S pass; closing with unread data would reset the
 * connection and could destroy the response before the client reads it. */
static void on_written(uv_write_t *w, int status) {
  ops_conn *c = w->data;
  if (status < 0 || c->closing) {
    conn_close(c);
    return;
  }
  c->sd.data = c;
  if (uv_shutdown(&c->sd, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
    conn_close(c);
    return;
  }
  uv_timer_start(&c->timer, on_linger_timeout, (uint64_t)(OPS_SERVER_LINGER_S * 1000), 0);
}

static void respond(ops_conn *c, int status, const char *ctype, const al_buf *body, int head_only) {
  c->responded = 1;
  uv_timer_stop(&c->timer);
  size_t blen = body ? body->len : 0;
  al_buf_printf(&c->out,
                "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
                "Cache-Control: no-store\r\n\r\n",
                status, ops_http_reason(status), ctype, blen);
  if (blen && !head_only) al_buf_append(&c->out, body->data, blen);
  uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
  c->wr.data = c;
  if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) conn_close(c);
}

static void respond_text(ops_conn *c, int status, const char *text, int head_only) {
  al_buf b = {0};
  al_buf_printf(&b, "%s\n", text);
  respond(c, status, "text/plain; charset=utf-8", &b, head_only);
  al_buf_free(&b);
}

static void serve(ops_conn *c, const ops_http_request *req) {
  ops_server *s = c->srv;
  al_buf body = {0};
  if (strcmp(req->path, "/metrics") == 0) {
    if (s->h.metrics) s->h.metrics(s->h.ud, &body);
    respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", &body, req->head);
  } else if (strcmp(req->path, "/healthz") == 0) {
    int ok = s->h.healthy ? s->h.healthy(s->h.ud, &body) : 1;
    if (ok) {
      al_buf_free(&body);
      al_buf_printf(&body, "ok\n");
    } else {
      al_buf_append(&body, "\n", 1);
    }
    respond(c, ok ? 200 : 503, "text/plain; charset=utf-8", &body, req->head);
  } else {
    respond_text(c, 404, "not found: try /metrics or /healthz", req->head);
  }
  al_buf_free(&body);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  ops_conn *c = h->data;
  (void)suggested;
  if (c->responded) c->len = 0; /* draining: reuse the buffer */
  size_t room = sizeof c->buf - c->len;
  *buf = uv_buf_init(c->buf + c->len, (unsigned)room);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  ops_conn *c = st->data;
  (void)buf;
  if (n < 0) {
    conn_close(c);
    return;
  }
  if (c->responded) return; /* draining */
  c->len += (size_t)n;
  ops_http_request req;
  ops_http_result r = ops_http_parse(c->buf, c->len, &req);
  if (r == OPS_HTTP_OK) serve(c, &req);
  else if (r == OPS_HTTP_BAD) respond_text(c, req.status, ops_http_reason(req.status), 0);
  else if (c->len >= sizeof c->buf) respond_text(c, 431, ops_http_reason(431), 0);
}

static void on_timeout(uv_timer_t *t) {
  ops_conn *c = t->data;
  if (!c->responded) respond_text(c, 408, ops_http_reason(408), 0);
}

static void on_connection(uv_stream_t *l, int status) {
  ops_server *s = l->data;
  if (status < 0 || s->stopping) return;
  ops_conn *c = al_xcalloc(1, sizeof *c);
  c->srv = s;
  uv_tcp_init(s->loop, &c->tcp);
  uv_timer_init(s->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->open_handles = 2;
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->n_conns++;
  if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0 || s->n_conns > OPS_SERVER_MAX_CONNS) {
    conn_close(c); /* over the bound: the scraper retries later */
    return;
  }
  uv_timer_start(&c->timer, on_timeout, (uint64_t)(OPS_SERVER_TIMEOUT_S * 1000), 0);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void on_listener_closed(uv_handle_t *h) {
  ops_server *s = h->data;
  s->listener_closed = 1;
  maybe_free_server(s);
}

ops_server *ops_server_start(uv_loop_t *loop, const char *host, int port, const ops_server_hooks *hooks,
                             al_err *err) {
  struct sockaddr_storage addr;
  if (uv_ip4_addr(host, port, (struct sockaddr_in *)&addr) != 0 &&
      uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr) != 0) {
    al_err_set(err, AL_E_FAILED, "metrics: '%s' is not an IP address", host);
    return NULL;
  }
  ops_server *s = al_xcalloc(1, sizeof *s);
  s->loop = loop;
  s->h = *hooks;
  uv_tcp_init(loop, &s->listener);
  s->listener.data = s;
  int rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t *)&s->listener, 64, on_connection);
  if (rc != 0) {
    al_err_set(err, AL_E_FAILED, "metrics: cannot listen on %s:%d: %s", host, port, uv_strerror(rc));
    s->stopping = 1;
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    return NULL;
  }
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen);
  s->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                        : ntohs(((struct sockaddr_in *)&bound)->sin_port);
  return s;
}

int ops_server_port(const ops_server *s) { return s->port; }

void ops_server_stop(ops_server *s) {
  if (!s || s->stopping) return;
  s->stopping = 1;
  for (ops_conn *c = s->conns; c; c = c->next) conn_close(c);
  uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}
