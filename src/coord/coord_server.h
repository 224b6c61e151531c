/* The coordinator server: one libuv loop serving workers, submitters and admin clients
 * over the wire protocol (src/proto), driving the job manager (coord_jm.h) and
 * persisting through a store (store/store.h).
 *
 * Started in one place, app_coord_start() / app_coord_run() (src/app/app.h), by the
 * `coordinator` command, embedded mode, tests and bench: coord_server_new() on a loop
 * the caller owns, then coord_server_listen() and/or coord_server_attach_fd() for
 * in-process peers (e.g. one end of a socketpair), coord_server_stop() to close
 * everything, and coord_server_free() once the stop callback has fired.
 *
 * Only the loop thread may call these functions. */
#ifndef AL_COORD_SERVER_H
#define AL_COORD_SERVER_H

#include <stddef.h>
#include <uv.h>

#include "common/al.h"
#include "coord/coord_jm.h"
#include "store/store.h"

typedef struct coord_options {
  const char *host;          /* listen address (IPv4 or IPv6 literal or name); NULL = "127.0.0.1" */
  int port;                  /* 0 = an ephemeral port (see coord_server_port) */
  const char *auth_token;    /* shorthand secret for every role; NULL or "" = none */
  const char *worker_token;  /* secret of the worker role; NULL = auth_token */
  const char *client_token;  /* secret of the client role; NULL = auth_token */
  const char *admin_token;   /* secret of the admin role; NULL = auth_token */
  /* With no secret at all the server is in protected mode: loopback peers only. */
  double client_idle_timeout_s; /* idle client/admin connections are closed; 0 = never */
  size_t max_conns_per_peer; /* open connections per peer address; 0 = 256 */
  size_t max_unauth_bytes;   /* input buffered by all connections owing a hello; 0 = 16 MiB */
  size_t max_unsealed_per_conn; /* unsealed jobs one connection may hold open; 0 = 16 */
  size_t max_unsealed;       /* unsealed jobs in total; 0 = 256 */
  const char *tls_cert;      /* PEM files; with tls_key, TCP peers must speak TLS (NULL = plaintext) */
  const char *tls_key;
  const char *tls_ca;        /* with tls_require_client_cert: the CA of the peers' certificates */
  int tls_require_client_cert;
  const char *output_root;   /* job output dirs (and index.json) must resolve under it; NULL = any */
  size_t max_frame;          /* 0 = PROTO_DEFAULT_MAX_FRAME */
  size_t out_soft_limit;     /* queued output above which we stop reading the peer; 0 = 1 MiB */
  size_t out_hard_limit;     /* queued output above which the peer is cut off; 0 = 64 MiB */
  size_t max_connections;    /* 0 = 65536 */
  unsigned frames_per_wakeup;/* frames handled per connection per loop turn; 0 = 64 */
  double hello_timeout_s;    /* a connection that sends no hello this long is closed; 0 = 10 */
  coord_jm_params jm;        /* scheduling parameters (coord_jm_params_default) */
  store *st;                 /* borrowed; NULL = the server creates a memory store */
  int no_manifest;           /* 1 = no output handling: results are accepted unverified and no
                              * index.json is written (protocol tests and benchmarks with
                              * synthetic workers only) */
  int drain_workers_on_stop; /* 1 = a stop tells workers to drain and exit (embedded teardown);
                              * 0 = workers reconnect and carry on (a coordinator restart) */
  int no_persist;            /* 1 = keep state in memory only (no store writes at all: the job
                              * manager gets no record hooks) */
  struct coord_lease *lease; /* borrowed; the keyspace lease (coord_lease.h): shards are published
                              * and index.json written only while it is current; NULL = none */
} coord_options;

/* Defaults for everything (host 127.0.0.1, port 8080, jm defaults). */
void coord_options_default(coord_options *o);
/* Options from a loaded configuration (coordinator.* keys). Strings in *o borrow
 * from cfg, which must outlive the options. st stays NULL (memory store): a caller
 * that wants Redis creates that store and sets o->st. */
struct cfg_config;
void coord_options_from_config(coord_options *o, const struct cfg_config *cfg);

typedef struct coord_server coord_server;

/* Creates the server on loop (borrowed; must outlive the server). Starts no I/O. */
coord_server *coord_server_new(uv_loop_t *loop, const coord_options *o, al_err *err);
/* Binds and listens on host:port. Returns 0 or -1 with err naming the address. */
int coord_server_listen(coord_server *s, al_err *err);
/* The bound TCP port (after listen), else 0. */
int coord_server_port(const coord_server *s);
/* Serves a peer over an already-connected stream socket fd (the server takes
 * ownership of fd and closes it). Returns 0 or -1 with err set. */
int coord_server_attach_fd(coord_server *s, int fd, al_err *err);
/* Serves a peer over an already-connected, initialised stream the caller allocated
 * with malloc: ownership passes to the server, which uv_close()s it and free()s it in
 * the close callback. */
int coord_server_attach_stream(coord_server *s, uv_stream_t *stream, al_err *err);
/* Graceful stop: stop accepting, tell workers to drain (drain_workers_on_stop), wait for
 * in-flight commits and manifests, flush the store, close every
 * connection and handle. on_stopped (may be NULL) fires once, on the loop, when all of
 * the server's handles are closed; then coord_server_free may be called. Idempotent. */
void coord_server_stop(coord_server *s, void (*on_stopped)(void *ud), void *ud);
/* Frees a stopped server (after on_stopped). Frees the memory store it created. */
void coord_server_free(coord_server *s);

/* The job manager (for embedded callers and tests). */
coord_jm *coord_server_jm(coord_server *s);
/* The writer of the job manager's records (coord_persist.h), owned by the server;
 * NULL with no_persist. */
struct coord_persist *coord_server_persist(coord_server *s);
/* Finished jobs known only from the store (coord_archive.h), filled at start by the
 * caller (app_recover); owned by the server. */
struct coord_archive *coord_server_archive(coord_server *s);
/* Number of open connections (for leak tests). */
size_t coord_server_conn_count(const coord_server *s);

#endif
