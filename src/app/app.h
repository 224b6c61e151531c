/* Application wiring: turns a loaded configuration into the options of each component,
 * and runs the embedded deployment (coordinator + N workers in one process).
 * Prefix: app_. */
#ifndef AL_APP_APP_H
#define AL_APP_APP_H

#include <stdint.h>

#include "common/al.h"
#include "config/config.h"
#include "coord/coord_ops.h"
#include "coord/coord_server.h"
#include "worker/worker.h"

/* ---- The coordinator -----------------------------------------------------------------
 * The one way a coordinator starts, whoever runs it (the `coordinator` command, embedded
 * mode, tests, bench): the state store the config names (Redis, or none: the server's
 * own memory store), the server, recovery of unfinished jobs before anyone can connect,
 * then, when listen is set, the TCP listener. */
typedef struct app_coord app_coord;
typedef struct app_coord_opts {
  int listen;                                 /* open the TCP listener (host/port of cfg) */
  void (*adjust)(coord_options *o, void *ud); /* last word on the options (tests, bench,
                                                 embedded); may be NULL */
  void *ud;
  const coord_ops_options *ops;               /* with listen: the /metrics endpoint and the
                                                 no-worker warning (coord_ops), started after
                                                 the listener; NULL = neither. Read during
                                                 app_coord_start only (metrics_host
                                                 borrowed until the coordinator is freed) */
  int standby;                                /* with Redis, when another coordinator holds the
                                                 keyspace lease: wait for it instead of failing
                                                 (coord_lease.h) */
} app_coord_opts;

/* With a Redis store the keyspace lease is taken first (waiting for it with standby),
 * renewed from then on, and every write is fenced by it; a coordinator that loses it
 * logs "deposed" and exits the process with status 3 at once (docs/SECURITY.md).
 * Starts on loop (borrowed). cfg is read during the call only; strings the options
 * borrow from it must outlive the coordinator. opts may be NULL (no listener). On
 * failure returns NULL with err filled, after running loop until what was started is
 * closed: start before adding handles of your own to loop. */
app_coord *app_coord_start(uv_loop_t *loop, const cfg_config *cfg, const app_coord_opts *opts, al_err *err);
/* The server (borrowed), e.g. to attach socketpairs or reach the job manager. */
coord_server *app_coord_server(app_coord *c);
/* The port listened on (0 without a listener). */
int app_coord_port(const app_coord *c);
/* Graceful stop: the metrics endpoint, then the server (tell workers to drain when
 * drain_workers_on_stop is set, flush the store, close connections), then the lease is
 * released, then the store;
 * done (may be NULL) fires once, when all of it is closed. */
void app_coord_stop(app_coord *c, void (*done)(void *ud), void *ud);
/* Closes the store without waiting for its confirmations (a second stop request while
 * Redis is unreachable). */
void app_coord_abandon_store(app_coord *c);
/* Frees a stopped coordinator (after done fired and the loop closed its handles). */
void app_coord_free(app_coord *c);

/* The coordinator process: its own loop, app_coord_start with the listener, SIGINT /
 * SIGTERM for a graceful stop (a second one abandons the store), run to the end.
 * Errors are printed as "[ERROR] <message>" on stderr. Returns the exit status: 0 after
 * a stop, 1 when the start failed. */
typedef struct app_coord_run_hooks {
  void (*on_listening)(int port, void *ud); /* listening; may be NULL */
  void (*on_stopping)(void *ud);            /* first signal received; may be NULL */
  void *ud;
} app_coord_run_hooks;
int app_coord_run(const cfg_config *cfg, const app_coord_opts *opts, const app_coord_run_hooks *h);

/* Worker options from the config for one worker. slots 0 = num_processes of the first
 * pool (4 by default). Strings are borrowed from cfg and the arguments. */
void app_worker_options(const cfg_config *cfg, const char *worker_id, const char *host, int port,
                        uint32_t slots, worker_options *out);

/* Splits "host:port", "[v6addr]:port" or "host" (port = default_port). host is written
 * to buf (cap bytes). Returns 0, or -1 with err naming the text. */
int app_parse_hostport(const char *text, int default_port, char *host, size_t cap, int *port, al_err *err);

/* Opens the state store the config asks for on loop: NULL for memory (the coordinator
 * then creates its own memory store), a connected Redis store for redis (a clear error
 * naming host and port, or the password problem, when Redis cannot be used). The caller
 * owns *out (store_destroy). */
int app_open_store(uv_loop_t *loop, const cfg_config *cfg, store **out, al_err *err);
/* Reloads unfinished jobs from a durable store into the server's job manager (no-op
 * for NULL / memory). */
int app_recover(uv_loop_t *loop, coord_server *srv, store *st, al_err *err);

/* ---- Embedded deployment ------------------------------------------------------------
 * A thread runs one libuv loop holding the coordinator (memory store) and N workers;
 * each worker is connected to the coordinator by a socketpair, so the coordinator and
 * workers run exactly the code they run over TCP. Clients (the submitter, admin tools)
 * connect through app_embedded_connect(), which hands back one end of another
 * socketpair: they speak the ordinary protocol. No busy waiting anywhere; stopping
 * takes milliseconds. */
typedef struct app_embedded app_embedded;

/* Starts the deployment with num_workers workers of threads_per_worker slots each.
 * cfg is copied. Returns NULL with err filled on failure. */
app_embedded *app_embedded_start(const cfg_config *cfg, unsigned num_workers, unsigned threads_per_worker,
                                 al_err *err);
/* A connected stream socket to the coordinator (caller owns and closes it), or -1. */
int app_embedded_connect(app_embedded *e, al_err *err);
/* Stops the workers and the coordinator, joins the thread and frees everything. */
void app_embedded_stop(app_embedded *e);

#endif
