/* The one start sequence of a coordinator (see app.h): state store from the config,
 * server, recovery before anyone can connect, listener; and the `coordinator` process
 * around it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "coord/coord_lease.h"

struct app_coord {
  uv_loop_t *loop;
  coord_server *srv;
  store *st;              /* the Redis store, or NULL: the server's own memory store */
  coord_lease *lease;     /* the keyspace lease with Redis; NULL without */
  coord_ops *ops;         /* /metrics and the no-worker warning; NULL once stopped */
  void (*done)(void *ud); /* app_coord_stop's callback */
  void *done_ud;
};

/* Failure before the start completed: stop what exists and run the loop until it is
 * closed (the caller's loop has no other handles yet: documented in app.h). */
static void start_failed(app_coord *c) {
  if (c->srv) {
    coord_server_stop(c->srv, NULL, NULL);
    uv_run(c->loop, UV_RUN_DEFAULT);
    coord_server_free(c->srv);
  }
  if (c->lease) coord_lease_abandon(c->lease);
  if (c->st) {
    store_destroy(c->st);
    uv_run(c->loop, UV_RUN_DEFAULT);
  }
  if (c->lease) {
    coord_lease_free(c->lease);
    uv_run(c->loop, UV_RUN_DEFAULT);
  }
  free(c);
}

/* Another coordinator holds the keyspace (this one was paused past its lease): every
 * write of this process is refused by Redis from now on, and its files must not change
 * either. Stop at once; the holder recovers the jobs as after a crash. */
static void on_lease_lost(void *ud, const char *why) {
  (void)ud;
  al_error("coordinator: deposed: %s. Stopping at once without writing anything more; the lease holder "
           "recovers the jobs",
           why);
  fflush(NULL);
  _exit(3);
}

/* One coordinator per keyspace: the lease comes before any write (recovery included)
 * and is renewed from then on (recovery may outlast a ttl). */
static int take_lease(app_coord *c, const cfg_config *cfg, int standby, al_err *err) {
  const cfg_coordinator *cc = &cfg->coordinator;
  char where[512];
  snprintf(where, sizeof where, "Redis at %s:%lld db %lld, key prefix '%s'", cc->state_store_host,
           (long long)cc->state_store_port, (long long)cc->state_store_db,
           cc->state_store_key_prefix ? cc->state_store_key_prefix : "");
  coord_lease_options lo = {.ttl_s = cc->lease_ttl, .standby = standby, .where = where};
  if (coord_lease_take(c->loop, c->st, &lo, &c->lease, err) != 0) return -1;
  coord_lease_start(c->lease, on_lease_lost, c);
  return 0;
}

app_coord *app_coord_start(uv_loop_t *loop, const cfg_config *cfg, const app_coord_opts *opts, al_err *err) {
  static const app_coord_opts none = {0};
  if (!opts) opts = &none;
  app_coord *c = al_xcalloc(1, sizeof *c);
  c->loop = loop;
  if (app_open_store(loop, cfg, &c->st, err) != 0) {
    free(c);
    return NULL;
  }
  if (c->st && take_lease(c, cfg, opts->standby, err) != 0) {
    start_failed(c);
    return NULL;
  }
  coord_options co;
  coord_options_from_config(&co, cfg);
  co.st = c->st;
  co.lease = c->lease;
  /* With the memory store the state dies with the process and every query is answered
   * from the job manager: mirroring records into a store nobody reads is pure cost
   * (about 40% of the coordinator's CPU per task). Redis gets every record. */
  co.no_persist = c->st == NULL;
  if (opts->adjust) opts->adjust(&co, opts->ud);
  c->srv = coord_server_new(loop, &co, err);
  /* recovery before listening: no worker may join while jobs are being reloaded */
  if (!c->srv || app_recover(loop, c->srv, c->st, err) != 0 ||
      (opts->listen && coord_server_listen(c->srv, err) != 0)) {
    start_failed(c);
    return NULL;
  }
  if (opts->listen && opts->ops) {
    c->ops = coord_ops_start(loop, c->srv, opts->ops, err);
    if (!c->ops) {
      start_failed(c);
      return NULL;
    }
  }
  return c;
}

coord_server *app_coord_server(app_coord *c) { return c->srv; }
int app_coord_port(const app_coord *c) { return coord_server_port(c->srv); }

static void on_lease_released(void *ud) {
  app_coord *c = ud;
  app_coord_abandon_store(c); /* flushed by now; its connection would keep the loop alive */
  if (c->done) c->done(c->done_ud);
}

static void on_server_stopped(void *ud) {
  app_coord *c = ud;
  /* The last write has been confirmed: now the lease goes, so a standby starts at once. */
  if (c->lease && c->st) coord_lease_stop(c->lease, on_lease_released, c);
  else on_lease_released(c);
}

void app_coord_stop(app_coord *c, void (*done)(void *ud), void *ud) {
  c->done = done;
  c->done_ud = ud;
  coord_ops_stop(c->ops); /* frees itself in its close callbacks */
  c->ops = NULL;
  coord_server_stop(c->srv, on_server_stopped, c);
}

void app_coord_abandon_store(app_coord *c) {
  store *st = c->st;
  c->st = NULL;
  if (st && c->lease) coord_lease_abandon(c->lease); /* it expires by its ttl */
  if (st) store_destroy(st);
}

void app_coord_free(app_coord *c) {
  if (!c) return;
  coord_server_free(c->srv);
  app_coord_abandon_store(c);
  coord_lease_free(c->lease); /* its timer closes on the caller's next loop run */
  free(c);
}

/* ---- The coordinator process ------------------------------------------------------- */
typedef struct run_ctx {
  app_coord *c;
  const app_coord_run_hooks *h;
  uv_signal_t sigint, sigterm;
  int stopping;
} run_ctx;

static void on_run_stopped(void *ud) {
  run_ctx *r = ud;
  uv_close((uv_handle_t *)&r->sigint, NULL);
  uv_close((uv_handle_t *)&r->sigterm, NULL);
}

static void on_signal(uv_signal_t *s, int signum) {
  run_ctx *r = s->data;
  (void)signum;
  if (r->stopping) {
    /* A second signal: the stop is waiting for the state store to confirm the last
     * writes (Redis unreachable). Give up on them so that the process can exit; the
     * store logs how many were not confirmed. */
    al_error("coordinator: second signal while waiting for the state store; exiting without its confirmation");
    app_coord_abandon_store(r->c);
    return;
  }
  r->stopping = 1;
  if (r->h && r->h->on_stopping) r->h->on_stopping(r->h->ud);
  app_coord_stop(r->c, on_run_stopped, r);
}

static int is_loopback(const char *host) {
  return !strcmp(host, "127.0.0.1") || !strcmp(host, "::1") || !strcmp(host, "localhost") ||
         !strncmp(host, "127.", 4);
}

int app_coord_run(const cfg_config *cfg, const app_coord_opts *opts, const app_coord_run_hooks *h) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  signal(SIGPIPE, SIG_IGN);
  app_coord_opts o = opts ? *opts : (app_coord_opts){0};
  o.listen = 1;
  al_err err;
  al_err_clear(&err);
  run_ctx r = {.h = h};
  r.c = app_coord_start(&loop, cfg, &o, &err);
  if (!r.c) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    uv_loop_close(&loop);
    return 1;
  }
  const cfg_coordinator *cc = &cfg->coordinator;
  if (!cc->auth_token && !cc->worker_token && !cc->client_token && !cc->admin_token && !is_loopback(cc->host))
    al_warn("coordinator listens on %s without an auth token: protected mode, only loopback peers are "
            "served. Set coordinator.auth_token or %s (docs/SECURITY.md) to serve other hosts.",
            cc->host, CFG_ENV_AUTH_TOKEN);
  uv_signal_init(&loop, &r.sigint);
  uv_signal_init(&loop, &r.sigterm);
  r.sigint.data = r.sigterm.data = &r;
  uv_signal_start(&r.sigint, on_signal, SIGINT);
  uv_signal_start(&r.sigterm, on_signal, SIGTERM);
  if (h && h->on_listening) h->on_listening(app_coord_port(r.c), h->ud);
  uv_run(&loop, UV_RUN_DEFAULT);
  app_coord_free(r.c);
  uv_run(&loop, UV_RUN_DEFAULT);
  int rc = uv_loop_close(&loop);
  if (rc != 0) al_warn("coordinator: loop closed with handles left: %s", uv_strerror(rc));
  return 0;
}
