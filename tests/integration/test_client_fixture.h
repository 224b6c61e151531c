/* Fixture for the client and alctl tests: the real coordinator server (src/coord) on
 * its own libuv loop in a background thread, listening on an ephemeral loopback port,
 * and a scripted worker speaking the wire protocol over a blocking socket so tests
 * decide exactly what each task does. Header-only: included by one test file each. */
#ifndef AL_TEST_CLIENT_FIXTURE_H
#define AL_TEST_CLIENT_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "app/app.h"
#include "common/al.h"
#include "coord/coord_server.h"
#include "proto/messages.h"
#include "proto/proto.h"
#include "support.h"

typedef struct fx_coord {
  uv_loop_t loop;
  uv_async_t stop_async;
  uv_thread_t thread;
  uv_sem_t ready;
  app_coord *coord;
  coord_server *srv; /* app_coord_server(coord) */
  coord_options opts;
  int port;
  char addr[64];
  int failed;
} fx_coord;

static void fx_on_stop_async(uv_async_t *h) {
  fx_coord *f = h->data;
  app_coord_stop(f->coord, NULL, NULL);
  uv_close((uv_handle_t *)h, NULL);
}

static void fx_thread(void *arg) {
  fx_coord *f = arg;
  al_err err;
  uv_loop_init(&f->loop);
  /* the coordinator's one entry point, with the fixture's options */
  cfg_config cfg;
  ts_coord_cfg(&cfg, 0);
  app_coord_opts ao = {.listen = 1, .adjust = ts_coord_adjust, .ud = &f->opts};
  f->coord = app_coord_start(&f->loop, &cfg, &ao, &err);
  cfg_free(&cfg);
  if (!f->coord) {
    fprintf(stderr, "fixture: coordinator: %s\n", err.msg);
    f->failed = 1;
    uv_loop_close(&f->loop);
    uv_sem_post(&f->ready);
    return;
  }
  f->srv = app_coord_server(f->coord);
  f->stop_async.data = f;
  uv_async_init(&f->loop, &f->stop_async, fx_on_stop_async);
  f->port = coord_server_port(f->srv);
  snprintf(f->addr, sizeof f->addr, "127.0.0.1:%d", f->port);
  uv_sem_post(&f->ready);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  app_coord_free(f->coord);
  f->coord = NULL;
  f->srv = NULL;
  if (uv_loop_close(&f->loop) != 0) fprintf(stderr, "fixture: coordinator loop did not close cleanly\n");
}

/* Starts the coordinator; token may be NULL; max_retries < 0 keeps the default. */
static int fx_coord_start(fx_coord *f, const char *token, int max_retries) {
  memset(f, 0, sizeof *f);
  signal(SIGPIPE, SIG_IGN);
  coord_options_default(&f->opts);
  f->opts.host = "127.0.0.1";
  f->opts.port = 0;
  f->opts.no_manifest = 1; /* a scripted worker reports made-up shards: no output handling */
  f->opts.auth_token = token;
  if (max_retries >= 0) f->opts.jm.max_retries = max_retries;
  f->opts.jm.retry_backoff = 0.05;
  uv_sem_init(&f->ready, 0);
  uv_thread_create(&f->thread, fx_thread, f);
  uv_sem_wait(&f->ready);
  uv_sem_destroy(&f->ready);
  if (f->failed) {
    uv_thread_join(&f->thread);
    return -1;
  }
  return 0;
}

static void fx_coord_stop(fx_coord *f) {
  uv_async_send(&f->stop_async);
  uv_thread_join(&f->thread);
}

/* ---- a scripted worker ------------------------------------------------------------ */

typedef struct fx_worker {
  int fd;
  proto_decoder dec;
} fx_worker;

static int fx_send(int fd, const proto_msg *m) {
  al_buf b = {0};
  proto_msg_encode(m, &b);
  size_t off = 0;
  while (off < b.len) {
    ssize_t n = send(fd, b.data + off, b.len - off, MSG_NOSIGNAL);
    if (n <= 0) {
      al_buf_free(&b);
      return -1;
    }
    off += (size_t)n;
  }
  al_buf_free(&b);
  return 0;
}

/* Next message within timeout_s: 1 with *m (caller frees), 0 timeout/closed. */
static int fx_recv(fx_worker *w, double timeout_s, proto_msg *m) {
  double deadline = al_mono_s() + timeout_s;
  for (;;) {
    const uint8_t *p;
    size_t len;
    if (proto_decoder_next(&w->dec, &p, &len) == PROTO_FRAME) {
      al_err err;
      return proto_msg_decode(p, len, m, &err) == 0 ? 1 : 0;
    }
    double left = deadline - al_mono_s();
    if (left <= 0) return 0;
    struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
    if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0) continue;
    char *ptr;
    size_t room;
    proto_decoder_prepare(&w->dec, &ptr, &room);
    ssize_t n = recv(w->fd, ptr, room, 0);
    if (n <= 0) return 0;
    proto_decoder_commit(&w->dec, (size_t)n);
  }
}

static int fx_worker_connect(fx_worker *w, int port, const char *id, uint32_t slots) {
  memset(w, 0, sizeof *w);
  proto_decoder_init(&w->dec, 0);
  w->fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(w->fd, (struct sockaddr *)&sa, sizeof sa) != 0) return -1;
  proto_msg h = {0};
  h.type = PROTO_MSG_HELLO;
  h.u.hello.version = PROTO_VERSION;
  h.u.hello.role = PROTO_ROLE_WORKER;
  h.u.hello.peer_id = id;
  h.u.hello.slots = slots;
  if (fx_send(w->fd, &h) != 0) return -1;
  proto_msg m;
  if (!fx_recv(w, 5, &m)) return -1;
  int ok = m.type == PROTO_MSG_WELCOME;
  proto_msg_free(&m);
  return ok ? 0 : -1;
}

static void fx_worker_heartbeat(fx_worker *w, double cpu, double mem) {
  proto_msg h = {0};
  h.type = PROTO_MSG_HEARTBEAT;
  h.u.heartbeat.cpu_percent = cpu;
  h.u.heartbeat.mem_percent = mem;
  h.u.heartbeat.rss_bytes = 64000000;
  h.u.heartbeat.bytes_processed = 3000000; /* 0.3 MB/s and 900 ids/s over 10 s */
  h.u.heartbeat.tokens = 9000;
  h.u.heartbeat.uptime_s = 10;
  fx_send(w->fd, &h);
}

/* Waits for an assign; copies task and job id and attempt out. 0 on success. */
static int fx_worker_next_assign(fx_worker *w, double timeout_s, char *task_id, size_t tcap, char *job_id,
                                 size_t jcap, uint32_t *attempt) {
  double deadline = al_mono_s() + timeout_s;
  for (;;) {
    proto_msg m;
    double left = deadline - al_mono_s();
    if (left <= 0 || !fx_recv(w, left, &m)) return -1;
    if (m.type == PROTO_MSG_ASSIGN) {
      snprintf(task_id, tcap, "%s", m.u.assign.task_id);
      snprintf(job_id, jcap, "%s", m.u.assign.job_id);
      *attempt = m.u.assign.attempt;
      proto_msg_free(&m);
      return 0;
    }
    proto_msg_free(&m);
  }
}

static void fx_worker_result(fx_worker *w, const char *task_id, const char *job_id, uint32_t attempt, bool ok,
                             const char *error, uint64_t samples) {
  proto_msg s = {0};
  s.type = PROTO_MSG_TASK_STARTED;
  s.u.task_started.task_id = task_id;
  s.u.task_started.attempt = attempt;
  fx_send(w->fd, &s);
  proto_msg r = {0};
  r.type = PROTO_MSG_TASK_RESULT;
  r.u.task_result.task_id = task_id;
  r.u.task_result.job_id = job_id;
  r.u.task_result.attempt = attempt;
  r.u.task_result.ok = ok;
  r.u.task_result.status = ok ? "success" : NULL;
  r.u.task_result.samples_processed = samples;
  r.u.task_result.tokens = samples * 10;
  r.u.task_result.bytes_read = samples * 1000;
  r.u.task_result.error = error;
  fx_send(w->fd, &r);
}

static void fx_worker_close(fx_worker *w) {
  if (w->fd >= 0) close(w->fd);
  w->fd = -1;
  proto_decoder_free(&w->dec);
}

#endif
