/* Embedded deployment: coordinator + N workers on one loop thread (see app.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/app.h"

#define EMBEDDED_MAX_WORKERS 1024

typedef struct emb_worker {
  worker *w;
  int stopped;
  struct app_embedded *e;
} emb_worker;

struct app_embedded {
  cfg_config cfg;
  uv_loop_t loop;
  uv_async_t wake;
  pthread_t thread;
  int thread_started;
  pthread_mutex_t mu;        /* guards attach_fds and stop_requested */
  int *attach_fds;
  size_t n_attach;
  int stop_requested;
  int stopping;              /* loop side */
  app_coord *coord;
  coord_server *srv;         /* app_coord_server(coord), borrowed */
  int coord_stopped;
  worker_tokcache *cache;
  emb_worker *workers;
  unsigned n_workers;
  unsigned n_stopped;
};

static void maybe_done(app_embedded *e) {
  if (!e->stopping || !e->coord_stopped || e->n_stopped < e->n_workers) return;
  if (!uv_is_closing((uv_handle_t *)&e->wake)) uv_close((uv_handle_t *)&e->wake, NULL);
}

static void on_worker_stopped(worker *w, int status, const char *msg, void *ud) {
  emb_worker *ew = ud;
  (void)w;
  if (status != 0 && !ew->e->stopping) al_warn("embedded worker stopped: %s", msg);
  ew->stopped = 1;
  ew->e->n_stopped++;
  maybe_done(ew->e);
}

static void on_coord_stopped(void *ud) {
  app_embedded *e = ud;
  e->coord_stopped = 1;
  maybe_done(e);
}

static void wake_cb(uv_async_t *a) {
  app_embedded *e = a->data;
  pthread_mutex_lock(&e->mu);
  int *fds = e->attach_fds;
  size_t n = e->n_attach;
  e->attach_fds = NULL;
  e->n_attach = 0;
  int stop = e->stop_requested;
  pthread_mutex_unlock(&e->mu);
  for (size_t i = 0; i < n; i++) {
    al_err err;
    if (e->stopping || coord_server_attach_fd(e->srv, fds[i], &err) != 0) {
      if (!e->stopping) al_error("embedded: cannot attach a client: %s", err.msg);
      close(fds[i]);
    }
  }
  free(fds);
  if (stop && !e->stopping) {
    e->stopping = 1;
    for (unsigned i = 0; i < e->n_workers; i++)
      if (!e->workers[i].stopped) worker_drain(e->workers[i].w);
    app_coord_stop(e->coord, on_coord_stopped, e);
    maybe_done(e);
  }
}

static void *loop_thread(void *arg) {
  app_embedded *e = arg;
  uv_run(&e->loop, UV_RUN_DEFAULT);
  return NULL;
}

static int attach_worker(app_embedded *e, unsigned i, unsigned threads, al_err *err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return al_err_set(err, 1, "embedded: socketpair: %s", strerror(errno));
  if (coord_server_attach_fd(e->srv, sv[0], err) != 0) {
    close(sv[1]);
    return -1;
  }
  char id[64];
  snprintf(id, sizeof id, "embedded-worker-%u", i);
  worker_options wo;
  app_worker_options(&e->cfg, id, NULL, 0, threads, &wo);
  wo.reconnect = 0;
  wo.output_root = NULL;
  emb_worker *ew = &e->workers[i];
  ew->e = e;
  ew->w = worker_new(&e->loop, &wo, e->cache, on_worker_stopped, ew, err);
  if (!ew->w) {
    close(sv[1]);
    return -1;
  }
  uv_pipe_t *p = al_xcalloc(1, sizeof *p);
  uv_pipe_init(&e->loop, p, 0);
  int rc = uv_pipe_open(p, sv[1]);
  if (rc != 0) {
    close(sv[1]);
    free(p);
    return al_err_set(err, 1, "embedded: uv_pipe_open: %s", uv_strerror(rc));
  }
  return worker_attach_stream(ew->w, (uv_stream_t *)p, err);
}

static void embedded_coord_options(coord_options *co, void *ud) {
  (void)ud;
  co->no_persist = 1;     /* nothing reads the embedded memory store: skip mirroring records */
  co->auth_token = NULL;  /* socketpairs never leave the process */
  co->drain_workers_on_stop = 1; /* the process ends with the job: so do its workers */
}

app_embedded *app_embedded_start(const cfg_config *cfg, unsigned num_workers, unsigned threads_per_worker,
                                 al_err *err) {
  if (num_workers == 0 || num_workers > EMBEDDED_MAX_WORKERS) {
    al_err_set(err, 1, "embedded: number of workers must be 1-%d, got %u", EMBEDDED_MAX_WORKERS, num_workers);
    return NULL;
  }
  if (threads_per_worker == 0) threads_per_worker = 1;
  /* Each worker runs its tasks on its own threads (loop_pool): nothing is set in the
   * host process's environment. */
  app_embedded *e = al_xcalloc(1, sizeof *e);
  cfg_copy(&e->cfg, cfg);
  e->cfg.coordinator.state_store_type = CFG_STORE_MEMORY;
  uv_loop_init(&e->loop);
  pthread_mutex_init(&e->mu, NULL);
  /* The coordinator first: on failure app_coord_start runs the loop until its own
   * handles are closed, so the loop must hold nothing else yet. */
  app_coord_opts co = {.listen = 0, .adjust = embedded_coord_options};
  e->coord = app_coord_start(&e->loop, &e->cfg, &co, err);
  if (!e->coord) {
    uv_loop_close(&e->loop);
    pthread_mutex_destroy(&e->mu);
    cfg_free(&e->cfg);
    free(e);
    return NULL;
  }
  e->srv = app_coord_server(e->coord);
  uv_async_init(&e->loop, &e->wake, wake_cb);
  e->wake.data = e;
  e->cache = worker_tokcache_new();
  e->n_workers = num_workers;
  e->workers = al_xcalloc(num_workers, sizeof *e->workers);
  for (unsigned i = 0; i < num_workers; i++) {
    if (attach_worker(e, i, threads_per_worker, err) != 0) {
      e->n_workers = i + (e->workers[i].w ? 1 : 0);
      goto fail;
    }
  }
  if (pthread_create(&e->thread, NULL, loop_thread, e) != 0) {
    al_err_set(err, 1, "embedded: cannot start the loop thread");
    goto fail;
  }
  e->thread_started = 1;
  return e;
fail:
  /* Nothing ran yet: stop everything on this thread by running the loop to the end. */
  e->stop_requested = 1;
  uv_async_send(&e->wake);
  uv_run(&e->loop, UV_RUN_DEFAULT);
  app_embedded_stop(e);
  return NULL;
}

int app_embedded_connect(app_embedded *e, al_err *err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return al_err_set(err, 1, "embedded: socketpair: %s", strerror(errno));
  pthread_mutex_lock(&e->mu);
  e->attach_fds = al_xrealloc(e->attach_fds, (e->n_attach + 1) * sizeof(int));
  e->attach_fds[e->n_attach++] = sv[1];
  pthread_mutex_unlock(&e->mu);
  uv_async_send(&e->wake);
  return sv[0];
}

void app_embedded_stop(app_embedded *e) {
  if (!e) return;
  pthread_mutex_lock(&e->mu);
  e->stop_requested = 1;
  pthread_mutex_unlock(&e->mu);
  uv_async_send(&e->wake);
  if (e->thread_started) pthread_join(e->thread, NULL);
  for (unsigned i = 0; i < e->n_workers; i++) worker_free(e->workers[i].w);
  free(e->workers);
  app_coord_free(e->coord);
  if (!uv_is_closing((uv_handle_t *)&e->wake)) uv_close((uv_handle_t *)&e->wake, NULL);
  uv_run(&e->loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&e->loop) != 0) al_warn("embedded: loop closed with handles still open");
  worker_tokcache_free(e->cache);
  for (size_t i = 0; i < e->n_attach; i++) close(e->attach_fds[i]);
  free(e->attach_fds);
  pthread_mutex_destroy(&e->mu);
  cfg_free(&e->cfg);
  free(e);
}
