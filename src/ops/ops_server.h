/* The monitoring HTTP endpoint (GET /metrics, GET /healthz) on a libuv loop: the
 * coordinator's or a worker's own loop, so the figures are read without locks.
 * Bounded: at most OPS_SERVER_MAX_CONNS connections at once (more are closed at
 * accept), OPS_HTTP_MAX_REQUEST bytes per request, OPS_SERVER_TIMEOUT_S to send it;
 * one response per connection, then close. Prefix: ops_server_. */
#ifndef AL_OPS_SERVER_H
#define AL_OPS_SERVER_H

#include <uv.h>

#include "common/al.h"

#define OPS_SERVER_MAX_CONNS 32
#define OPS_SERVER_TIMEOUT_S 5.0
#define OPS_SERVER_LINGER_S 1.0 /* after a response, at most this long to drain the client */

typedef struct ops_server_hooks {
  /* Appends the Prometheus text exposition to out. Called on the loop thread. */
  void (*metrics)(void *ud, al_buf *out);
  /* Returns 1 when healthy; otherwise appends why to out. May be NULL (always healthy). */
  int (*healthy)(void *ud, al_buf *why);
  void *ud;
} ops_server_hooks;

typedef struct ops_server ops_server;

/* Listens on host:port (port 0: any free port). Returns NULL with err naming the
 * address when it cannot listen. hooks is copied; hooks->ud must outlive the server. */
ops_server *ops_server_start(uv_loop_t *loop, const char *host, int port, const ops_server_hooks *hooks,
                             al_err *err);
/* The port actually bound. */
int ops_server_port(const ops_server *s);
/* Closes the listener and every connection; the server frees itself in the last close
 * callback. s must not be used afterwards. NULL is ignored. */
void ops_server_stop(ops_server *s);

#endif
