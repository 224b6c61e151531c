/* Application wiring: turns a loaded configuration into the options of each component,
 * and runs the embedded deployment (coordinator + N workers in one process).
 * Prefix: app_. */
#ifndef AL_APP_APP_H
#define AL_APP_APP_H

#include <stdint.h>

#include "common/al.h"
#include "config/config.h"
#include "coord/coord_server.h"
#include "worker/worker.h"

/* Coordinator options from the config (listen address, limits, auth, scheduling). The
 * strings point into cfg (borrowed): cfg must outlive the options. st is left NULL. */
void app_coord_options(const cfg_config *cfg, coord_options *out);

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
