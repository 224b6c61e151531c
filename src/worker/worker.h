/* Worker runtime: one connection to the coordinator, heartbeats, and task execution on
 * the worker's own thread pool (a loop_pool of opt.slots threads). The loop thread only
 * does network and bookkeeping; pool threads run worker_task_execute on their own task.
 *
 * Lifecycle: worker_new -> worker_connect_tcp (or worker_attach_stream in embedded
 * mode) -> ... -> worker_drain / worker_abandon -> on_stopped fires exactly once ->
 * worker_free. The pool is the worker's (not libuv's process-wide one), so a host
 * process running several workers sets nothing in its environment. Prefix: worker_. */
#ifndef AL_WORKER_WORKER_H
#define AL_WORKER_WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/al.h"
#include "worker/tokcache.h"

typedef struct worker_options {
  const char *worker_id;          /* required */
  const char *host;               /* coordinator (TCP mode) */
  int port;
  uint32_t slots;                 /* concurrent tasks; >= 1 */
  double heartbeat_interval_s;    /* until the coordinator's welcome says otherwise */
  const char *auth_token;         /* NULL = none */
  /* TLS to the coordinator (TCP mode), on when tls_ca is set: PEM files, read by
   * worker_connect_tcp (borrowed until then). */
  const char *tls_ca;             /* CA of the coordinator's certificate; NULL = plaintext */
  const char *tls_server_name;    /* name/IP its certificate must carry; NULL = host */
  const char *tls_cert;           /* client certificate and key to present; NULL = none */
  const char *tls_key;
  const char *output_root;        /* refuse task output outside it; NULL = anywhere */
  const char *input_roots;        /* ':'-separated dirs inputs must resolve under; NULL = any */
  size_t max_frame;               /* 0 = protocol default */
  double reconnect_min_s;         /* first reconnect delay (default 0.2) */
  double reconnect_max_s;         /* cap of the exponential backoff (default 10) */
  int reconnect;                  /* 0: a lost connection stops the worker (embedded) */
} worker_options;

typedef struct worker_stats {
  uint64_t tasks_completed;
  uint64_t tasks_failed;
  uint64_t samples_processed;
  uint64_t tokens;
  uint64_t bytes_processed;       /* input bytes read by completed tasks */
  uint64_t connects;              /* successful handshakes */
  uint32_t running;               /* tasks on the thread pool: busy pool threads */
  uint32_t queued;
  /* filled by worker_get_stats, not kept */
  uint32_t slots;                 /* concurrent tasks: the thread pool's size */
  double uptime_s;                /* since worker_new */
  const char *conn_state;         /* static: "disconnected", "connecting", "handshake",
                                   * "connected", "closing" */
  uint64_t net_bytes_in, net_bytes_out; /* wire bytes from and to the coordinator */
} worker_stats;

typedef struct worker worker;

/* Fired exactly once when the worker has stopped (drained, abandoned, refused by the
 * coordinator, or disconnected with reconnect == 0). status 0 = clean stop; otherwise
 * err_msg says why (borrowed, valid during the call). */
typedef void (*worker_stopped_cb)(worker *w, int status, const char *err_msg, void *ud);

/* Creates a worker on loop (borrowed) with opt->slots pool threads. Strings in opt are
 * copied. cache is shared and borrowed (must outlive the worker). Returns NULL with err
 * when the threads cannot be started. */
worker *worker_new(uv_loop_t *loop, const worker_options *opt, worker_tokcache *cache,
                   worker_stopped_cb on_stopped, void *ud, al_err *err);
/* Starts connecting to opt->host:opt->port, with reconnects as configured. */
int worker_connect_tcp(worker *w, al_err *err);
/* Embedded mode: uses an already connected stream (e.g. a uv_pipe_t over a socketpair)
 * instead of TCP. The worker takes ownership: it closes the handle and free()s it. */
int worker_attach_stream(worker *w, uv_stream_t *stream, al_err *err);
/* Graceful stop: take no new tasks, tell the coordinator, finish and report the running
 * ones, then stop. */
void worker_drain(worker *w);
/* Immediate stop: cancel running tasks (they stop between files and remove their
 * partial output), close the connection. */
void worker_abandon(worker *w);
void worker_get_stats(const worker *w, worker_stats *out);
/* Frees a stopped worker (after on_stopped). */
void worker_free(worker *w);

#endif
