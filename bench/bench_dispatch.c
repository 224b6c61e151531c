/* Dispatch throughput: no-op tasks through a real coordinator over loopback TCP.
 *
 * The coordinator runs on its own thread and loop (as in the `coordinator` command,
 * memory store). The main thread runs a client loop with W worker connections that
 * answer every assign with a task_result at once, and one submitter that submits a
 * job of N single-file tasks in batches, seals it and polls job_status until the job
 * completes. Prints tasks/s (assign + result round trips through the coordinator).
 *
 *   bench_dispatch [--tasks N=200000] [--workers N=32] [--slots N=16]
 *                  [--store memory|memory-mirror|redis] [--redis-host H] [--redis-port P]
 *                  [--tls-dir DIR]
 *
 * --tls-dir DIR: every connection over TLS, with DIR/cert.pem and DIR/key.pem on the
 * coordinator (a certificate for 127.0.0.1) and DIR/ca.pem on the peers; the cost of
 * TLS is the difference to a run without it.
 *
 * --store memory is the coordinator as `state_store_type: memory` runs it (records are
 * not mirrored: nothing reads them); memory-mirror writes every record into the memory
 * store anyway, to show what mirroring costs; redis writes every record to a real Redis
 * (pipelined, on the coordinator's loop) as external mode does.
 * Prints a human line and "RESULT key value" lines for bench/run.sh. */
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "app/app.h"
#include "coord/coord_server.h"
#include "loop/loop_conn.h"
#include "loop/loop_tls_filter.h"
#include "store/store_redis.h"
#include "proto/messages.h"
#include "proto/proto.h"

typedef struct bconn {
  loop_conn lc;        /* src/loop: the same connection code as the coordinator's */
  uv_connect_t creq;
  int is_submitter;
  int idx;
  uint64_t results;
} bconn;

static size_t n_tasks = 200000, n_workers = 32, slots = 16;
static const size_t batch = 5000;
static bconn *conns;
static bconn sub;
static uv_loop_t client_loop;
static loop_group client_grp;
static uv_timer_t poll_timer;
static size_t submitted;
static int welcomed, finished;
static double t_start, t_end;
static int port;
static char final_status[64];

/* ---- the coordinator thread ---- */
static uv_loop_t coord_loop;
static uv_async_t coord_stop;
static coord_server *srv;
static double coord_cpu_s; /* CPU time of the coordinator thread */

static double thread_cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

static app_coord *g_coord;
static int g_persist; /* --store memory-mirror or redis: every record goes to the store */
static size_t g_slots;
static void bench_coord_adjust(coord_options *o, void *ud) {
  (void)ud;
  o->port = 0;
  o->no_manifest = 1;
  o->no_persist = !g_persist; /* memory-mirror: the server's own memory store gets records */
  o->jm.prefetch = (int)g_slots;
}
static void on_coord_stop(uv_async_t *h) {
  app_coord_stop(g_coord, NULL, NULL); /* the store goes once the server has flushed it */
  uv_close((uv_handle_t *)h, NULL);
}
static void *coord_thread(void *arg) {
  (void)arg;
  uv_run(&coord_loop, UV_RUN_DEFAULT);
  coord_cpu_s = thread_cpu_s();
  return NULL;
}

/* ---- client side ---- */
/* Queued; replies to a read batch go out together when the batch ends, other sends at
 * once (or behind the write in flight). */
static void send_msg(bconn *c, proto_msg *m) { loop_conn_send(&c->lc, m); }

static void submit_more(void) {
  if (submitted >= n_tasks) return;
  size_t n = AL_MIN(batch, n_tasks - submitted);
  static const char *file = "/in/noop.txt";
  proto_task_spec *specs = al_xcalloc(n, sizeof *specs);
  for (size_t i = 0; i < n; i++) {
    specs[i].index = submitted + i;
    specs[i].files = &file;
    specs[i].n_files = 1;
  }
  proto_msg m = {0};
  m.type = PROTO_MSG_SUBMIT_TASKS;
  m.request_id = 100 + submitted;
  m.u.submit_tasks.job_id = "bench";
  m.u.submit_tasks.tasks = specs;
  m.u.submit_tasks.n_tasks = n;
  send_msg(&sub, &m);
  free(specs);
  submitted += n;
  if (submitted == n_tasks) {
    proto_msg s = {0};
    s.type = PROTO_MSG_SEAL_JOB;
    s.request_id = 2;
    s.u.seal_job.job_id = "bench";
    s.u.seal_job.total_tasks = n_tasks;
    send_msg(&sub, &s);
  }
}

static void on_poll(uv_timer_t *h) {
  proto_msg m = {0};
  m.type = PROTO_MSG_JOB_STATUS;
  m.request_id = 3;
  m.u.job_status.job_id = "bench";
  send_msg(&sub, &m);
}

static void handle(bconn *c, proto_msg *m) {
  if (m->type == PROTO_MSG_WELCOME) {
    if (++welcomed == (int)n_workers + 1) { /* everyone is in: start */
      proto_msg s = {0};
      s.type = PROTO_MSG_SUBMIT_JOB;
      s.request_id = 1;
      s.u.submit_job.job_id = "bench";
      s.u.submit_job.input_dir = "/in";
      s.u.submit_job.output_dir = "/out";
      s.u.submit_job.tokenizers_dir = "/tok";
      t_start = al_mono_s();
      send_msg(&sub, &s);
    }
    return;
  }
  if (m->type == PROTO_MSG_ASSIGN) {
    proto_msg st = {0};
    st.type = PROTO_MSG_TASK_STARTED;
    st.u.task_started.task_id = m->u.assign.task_id;
    st.u.task_started.attempt = m->u.assign.attempt;
    send_msg(c, &st);
    proto_msg r = {0};
    r.type = PROTO_MSG_TASK_RESULT;
    r.u.task_result.task_id = m->u.assign.task_id;
    r.u.task_result.attempt = m->u.assign.attempt;
    r.u.task_result.ok = true;
    r.u.task_result.status = "success";
    send_msg(c, &r);
    c->results++;
    return;
  }
  if (m->type == PROTO_MSG_ERROR) {
    fprintf(stderr, "bench: error from coordinator: %s\n", m->u.error.message);
    exit(1);
  }
  if (!c->is_submitter) return;
  if (m->type == PROTO_MSG_JOB_ACCEPTED || (m->type == PROTO_MSG_OK && m->request_id >= 100)) {
    submit_more();
  } else if (m->type == PROTO_MSG_OK && m->request_id == 2) {
    if (getenv("BENCH_VERBOSE")) fprintf(stderr, "sealed after %.3f s\n", al_mono_s() - t_start);
    uv_timer_start(&poll_timer, on_poll, 5, 5);
  } else if (m->type == PROTO_MSG_JOB_INFO && !finished) {
    if (strcmp(m->u.job_info.status, "running") != 0 && strcmp(m->u.job_info.status, "pending") != 0) {
      t_end = al_mono_s();
      finished = 1;
      snprintf(final_status, sizeof final_status, "%s", m->u.job_info.status);
      uv_timer_stop(&poll_timer);
      for (size_t i = 0; i < n_workers; i++) loop_conn_close(&conns[i].lc, "finished");
      loop_conn_close(&sub.lc, "finished");
      loop_group_close(&client_grp, NULL);
      uv_close((uv_handle_t *)&poll_timer, NULL);
    }
  }
}

static void on_frame(loop_conn *lc, const uint8_t *p, size_t len) {
  bconn *c = lc->data;
  if (finished) return;
  proto_msg m;
  al_err e;
  if (proto_msg_decode(p, len, &m, &e) != 0) {
    fprintf(stderr, "bench: bad frame: %s\n", e.msg);
    exit(1);
  }
  handle(c, &m);
  proto_msg_free(&m);
}

static void on_bad_stream(loop_conn *lc, const al_err *e) {
  fprintf(stderr, "bench: %s\n", e->msg);
  exit(1);
}

static void on_closed(loop_conn *lc, const char *why) {
  if (!finished) fprintf(stderr, "bench: connection lost: %s\n", why);
}

static const loop_conn_cbs bench_cbs = {on_frame, on_bad_stream, on_closed, NULL};

static void on_connect(uv_connect_t *r, int status) {
  bconn *c = r->data;
  if (status != 0) {
    fprintf(stderr, "bench: connect: %s\n", uv_strerror(status));
    exit(1);
  }
  char id[32];
  snprintf(id, sizeof id, c->is_submitter ? "submitter" : "bench-w%d", c->idx);
  proto_msg m = {0};
  m.type = PROTO_MSG_HELLO;
  m.u.hello.version = PROTO_VERSION;
  m.u.hello.role = c->is_submitter ? PROTO_ROLE_SUBMITTER : PROTO_ROLE_WORKER;
  m.u.hello.peer_id = id;
  m.u.hello.slots = (uint32_t)slots;
  send_msg(c, &m);
  loop_conn_start(&c->lc);
}

static loop_tls_ctx *g_tls; /* --tls-dir: the peers' TLS context */

static void start_conn(bconn *c) {
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", port, &a);
  uv_tcp_t *tcp = loop_conn_init_tcp(&c->lc, &client_grp, c);
  if (g_tls) {
    al_err e;
    loop_tls *t = loop_tls_new(g_tls, "127.0.0.1", "coordinator", &e);
    if (!t) {
      fprintf(stderr, "bench: %s\n", e.msg);
      exit(1);
    }
    loop_conn_set_filter(&c->lc, &loop_tls_filter, t);
  }
  uv_tcp_nodelay(tcp, 1);
  c->creq.data = c;
  uv_tcp_connect(&c->creq, tcp, (const struct sockaddr *)&a, on_connect);
}

static void usage(void) {
  fprintf(stderr, "usage: bench_dispatch [--tasks N] [--workers N] [--slots N] [--store memory|memory-mirror|redis]\n"
                  "                      [--redis-host H] [--redis-port P] [--tls-dir DIR]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *store_kind = "memory", *redis_host = "127.0.0.1", *tls_dir = NULL;
  int redis_port = 6379;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) usage();
    if (i + 1 >= argc) usage();
    const char *v = argv[++i];
    if (!strcmp(a, "--tasks")) n_tasks = strtoul(v, NULL, 10);
    else if (!strcmp(a, "--workers")) n_workers = strtoul(v, NULL, 10);
    else if (!strcmp(a, "--slots")) slots = strtoul(v, NULL, 10);
    else if (!strcmp(a, "--store")) store_kind = v;
    else if (!strcmp(a, "--redis-host")) redis_host = v;
    else if (!strcmp(a, "--redis-port")) redis_port = atoi(v);
    else if (!strcmp(a, "--tls-dir")) tls_dir = v;
    else usage();
  }
  if (!n_tasks || !n_workers || !slots) usage();
  int persist = strcmp(store_kind, "memory") != 0;
  int use_redis = !strcmp(store_kind, "redis");
  if (!use_redis && persist && strcmp(store_kind, "memory-mirror") != 0) usage();
  al_log_set_level(AL_LOG_WARN);
  signal(SIGPIPE, SIG_IGN);

  uv_loop_init(&coord_loop);
  /* the coordinator's one entry point, with the store asked for */
  cfg_config cfg;
  cfg_defaults(&cfg);
  char rport[16];
  snprintf(rport, sizeof rport, "%d", redis_port);
  al_err err;
  al_err_clear(&err);
  if (cfg_set(&cfg, "coordinator.host", "127.0.0.1", &err) != 0 ||
      cfg_set(&cfg, "coordinator.state_store_type", use_redis ? "redis" : "memory", &err) != 0 ||
      cfg_set(&cfg, "coordinator.state_store_host", redis_host, &err) != 0 ||
      cfg_set(&cfg, "coordinator.state_store_port", rport, &err) != 0) {
    fprintf(stderr, "bench: %s\n", err.msg);
    return 1;
  }
  if (tls_dir) {
    char cert[4096], key[4096], ca[4096];
    snprintf(cert, sizeof cert, "%s/cert.pem", tls_dir);
    snprintf(key, sizeof key, "%s/key.pem", tls_dir);
    snprintf(ca, sizeof ca, "%s/ca.pem", tls_dir);
    if (cfg_set(&cfg, "coordinator.tls_cert", cert, &err) != 0 || cfg_set(&cfg, "coordinator.tls_key", key, &err) != 0 ||
        !(g_tls = loop_tls_client_ctx(ca, NULL, NULL, &err))) {
      fprintf(stderr, "bench: %s\n", err.msg);
      return 1;
    }
  }
  g_persist = persist;
  g_slots = slots;
  app_coord_opts ao = {.listen = 1, .adjust = bench_coord_adjust};
  g_coord = app_coord_start(&coord_loop, &cfg, &ao, &err);
  cfg_free(&cfg);
  if (!g_coord) {
    fprintf(stderr, "bench: %s\n", err.msg);
    return 1;
  }
  srv = app_coord_server(g_coord);
  port = coord_server_port(srv);
  uv_async_init(&coord_loop, &coord_stop, on_coord_stop);
  pthread_t th;
  pthread_create(&th, NULL, coord_thread, NULL);

  uv_loop_init(&client_loop);
  uv_timer_init(&client_loop, &poll_timer);
  loop_group_init(&client_grp, &client_loop, NULL, &bench_cbs);
  conns = al_xcalloc(n_workers, sizeof *conns);
  for (size_t i = 0; i < n_workers; i++) {
    conns[i].idx = (int)i;
    start_conn(&conns[i]);
  }
  sub.is_submitter = 1;
  start_conn(&sub);
  uv_run(&client_loop, UV_RUN_DEFAULT);

  uv_async_send(&coord_stop);
  pthread_join(th, NULL);
  app_coord_free(g_coord);
  uv_loop_close(&coord_loop);
  uv_loop_close(&client_loop);
  uint64_t results = 0;
  for (size_t i = 0; i < n_workers; i++) results += conns[i].results;
  free(conns);
  double dt = t_end - t_start;
  double client_cpu = thread_cpu_s();
  int tls_on = g_tls != NULL;
  loop_tls_ctx_free(g_tls);
  printf("bench_dispatch: %zu no-op tasks, %zu workers x %zu slots over loopback%s, store %s: job %s in "
         "%.3f s = %.0f tasks/s (assign + result), %llu results sent\n",
         n_tasks, n_workers, slots, tls_on ? " with TLS" : "", store_kind, final_status, dt, (double)n_tasks / dt,
         (unsigned long long)results);
  printf("bench_dispatch: coordinator thread CPU %.3f s (%.1f us/task, %.0f tasks per CPU-second); "
         "client thread CPU %.3f s\n",
         coord_cpu_s, coord_cpu_s * 1e6 / (double)n_tasks, (double)n_tasks / coord_cpu_s, client_cpu);
  printf("RESULT dispatch_tasks_per_s %.0f\nRESULT dispatch_coord_us_per_task %.2f\nRESULT dispatch_status %s\n",
         (double)n_tasks / dt, coord_cpu_s * 1e6 / (double)n_tasks, final_status);
  return strcmp(final_status, "completed") == 0 ? 0 : 1;
}
