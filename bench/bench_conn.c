/* bench_conn: connection scale of the coordinator.
 *
 * Forks a coordinator process (the same coord_server the `coordinator` command runs,
 * memory store, heartbeat interval 1 s, heartbeat timeout --heartbeat-timeout), opens N
 * worker connections to it over loopback (hello, welcome), then every connection sends a
 * heartbeat once a second, spread evenly over the second, for --seconds.
 *
 * Measured:
 *  - coordinator memory per connection: the cost of one more connection, (VmRSS with N
 *    workers heartbeating - VmRSS with the first WARM_CONNS of them) / (N - WARM_CONNS)
 *    (half of N below 2 * WARM_CONNS).
 *    The warm-up connections join and beat for WARM_S first, so the code the coordinator
 *    runs for a hello and a heartbeat is resident before the base is read: its file pages
 *    (100-200 KiB, read in 64 KiB fault-around windows) are a fixed cost that would
 *    otherwise be charged to the connections, heavily when they are few. RSS before any
 *    connection (conn_rss_idle_kb) and the anonymous part alone (RssAnon: heap and
 *    stacks) are reported too. Kernel socket buffers are not in RSS.
 *  - heartbeat handling latency: each heartbeat is followed on the same connection by a
 *    probe (an "ok" message with a request id, which a worker may not send, so the
 *    coordinator answers with an error carrying that id and keeps the connection). The
 *    coordinator handles a connection's frames in order, so the probe's reply arriving
 *    means the heartbeat was handled; the latency is send -> reply.
 *  - false dead-worker detections: "declared dead" errors plus welcomed connections the
 *    coordinator closed, while every client kept heartbeating. A connection closed or
 *    refused before its welcome is a refusal (conn_refused), not a detection: the bench
 *    raises the coordinator's max_connections_per_peer (all its connections come from
 *    127.0.0.x), so any refusal means a limit was reached.
 * --find-max raises the count step by step (fresh coordinator each time, fd limit raised,
 * source addresses 127.0.0.x rotated to get past the ephemeral port range) and reports the
 * largest count held with no false detection.
 *
 * Output: "RESULT <key> <value>" lines on stdout (bench/run.sh reads them); progress on
 * stderr. Exit 0 when the run completed (whatever the figures), 1 on setup failure. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "app/app.h"
#include "common/al.h"
#include "coord/coord_server.h"
#include "loop/loop_conn.h"
#include "proto/messages.h"
#include "proto/proto.h"

#define MAX_INFLIGHT_CONNECTS 256  /* connects + hellos not yet welcomed, at once */
#define PER_SOURCE_ADDR 15000      /* connections per 127.0.0.x source address */
#define TICK_MS 5                  /* heartbeat scheduler period */
#define SLOTS (1000 / TICK_MS)     /* one slot per tick: a connection beats when its slot comes */
#define WARM_CONNS 16              /* connections joined before the RSS base is read */
#define WARM_S 1.2                 /* their heartbeats before it: over one interval (1 s) */

enum { C_IDLE, C_CONNECTING, C_HELLO, C_READY, C_CLOSED };

typedef struct conn {
  loop_conn lc;              /* src/loop: the same connection code as the coordinator's */
  uv_connect_t creq;
  struct run *run;
  uint32_t idx;
  uint8_t state;
  uint8_t handle_open;
} conn;

typedef struct run {
  uv_loop_t *loop;
  loop_group grp;
  uv_timer_t tick;
  conn *conns;
  uint32_t n, next_connect, inflight, ready, failed_connects;
  uint32_t connect_limit;    /* start_connects opens connections [0, connect_limit) */
  int first_error;           /* uv error of the first failed connect */
  int port;
  pid_t coord_pid;
  double t0;                 /* start of the run; probe ids carry microseconds since it */
  double hb_end;             /* end of the measured phase, monotonic seconds */
  double measure_from;       /* latencies before this are warm-up */
  uint64_t hb_sent;
  uint64_t last_slot;        /* ticks since t0 already served */
  uint32_t *slot_conns[SLOTS];  /* connection indices per slot (fixed: idx % SLOTS) */
  uint32_t slot_len[SLOTS], slot_cap[SLOTS];
  double *lat;               /* ms */
  size_t n_lat, cap_lat;
  uint64_t probes_late;      /* measured replies that took longer than one heartbeat period */
  uint64_t declared_dead, server_closed, other_errors;
  uint64_t refused;          /* closed by the coordinator before their welcome */
  long rss_peak_kb;
  int phase;                 /* 0 connect, 1 heartbeat, 2 closing */
  int stopping;
} run;

/* First source address (127.0.0.<g_src_base>) of the next measurement: each measurement
 * moves on to fresh addresses, because the ports of the previous one are still in
 * TIME_WAIT and an explicit bind would fail with EADDRINUSE. */
static unsigned g_src_base = 1;

/* ---------------------------------------------------------------- coordinator child */

static long proc_status_kb(pid_t pid, const char *key) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long v = -1;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
      v = strtol(line + kl + 1, NULL, 10);
      break;
    }
  fclose(f);
  return v;
}

static size_t bc_max_conns; /* in the coordinator child */
static void bench_coord_adjust(coord_options *o, void *ud) {
  (void)ud;
  o->port = 0; /* any free port; the child prints it */
  o->max_connections = bc_max_conns + 64;
  /* every bench connection comes from 127.0.0.x: the per-address guard (256 by default)
   * would refuse all but the first 256 and the bench would measure the guard, not scale */
  o->max_conns_per_peer = bc_max_conns + 64;
}
static void bench_on_listening(int port, void *ud) {
  (void)ud;
  printf("Coordinator listening on 127.0.0.1 port %d\n", port);
  fflush(stdout);
}

/* Starts the coordinator in a child process; returns its pid and sets *port from the
 * "listening on ... port N" line it prints, or returns -1. */
static pid_t start_coordinator(double hb_timeout, size_t max_conns, const char *log_path, int *port) {
  int pfd[2];
  if (pipe(pfd) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    prctl(PR_SET_NAME, "al-coordinator"); /* so `perf report --comm al-coordinator` finds it */
    close(pfd[0]);
    dup2(pfd[1], STDOUT_FILENO);
    close(pfd[1]);
    FILE *lf = freopen(log_path, "a", stderr);
    (void)lf;
    /* the coordinator's one entry point, as the `coordinator` command runs it */
    cfg_config cfg;
    cfg_defaults(&cfg);
    char hbt[32];
    snprintf(hbt, sizeof hbt, "%g", hb_timeout);
    al_err err;
    if (cfg_set(&cfg, "coordinator.host", "127.0.0.1", &err) != 0 || cfg_set(&cfg, "coordinator.port", "1", &err) != 0 ||
        cfg_set(&cfg, "coordinator.state_store_type", "memory", &err) != 0 ||
        cfg_set(&cfg, "coordinator.heartbeat_interval", "1", &err) != 0 ||
        cfg_set(&cfg, "coordinator.heartbeat_timeout", hbt, &err) != 0) {
      fprintf(stderr, "bench_conn: %s\n", err.msg);
      _exit(1);
    }
    bc_max_conns = max_conns;
    app_coord_opts ao = {.listen = 1, .adjust = bench_coord_adjust};
    app_coord_run_hooks hooks = {.on_listening = bench_on_listening};
    _exit(app_coord_run(&cfg, &ao, &hooks));
  }
  close(pfd[1]);
  char buf[512];
  size_t len = 0;
  *port = 0;
  double deadline = al_mono_s() + 10.0;
  while (len + 1 < sizeof buf && al_mono_s() < deadline) {
    ssize_t r = read(pfd[0], buf + len, sizeof buf - 1 - len);
    if (r <= 0) break;
    len += (size_t)r;
    buf[len] = 0;
    const char *p = strstr(buf, " port ");
    if (p && strchr(p, '\n')) {
      *port = atoi(p + 6);
      break;
    }
  }
  close(pfd[0]);
  if (*port <= 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
  }
  return pid;
}

static void stop_coordinator(pid_t pid) {
  kill(pid, SIGTERM);
  for (int i = 0; i < 100; i++) {
    if (waitpid(pid, NULL, WNOHANG) == pid) return;
    usleep(50000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

/* ---------------------------------------------------------------- client side */

/* Heartbeat and probe leave in one write, so the probe measures the heartbeat only. */
static void send_msgs(conn *c, const proto_msg *a, const proto_msg *b) {
  al_buf *out = loop_conn_begin_write(&c->lc);
  if (!out) return;
  proto_msg_encode(a, out);
  if (b) proto_msg_encode(b, out);
  loop_conn_end_write(&c->lc);
}

static void start_connects(run *r);

static void on_closed(loop_conn *lc, const char *why) {
  conn *c = lc->data;
  run *r = c->run;
  (void)why;
  c->handle_open = 0;
  if (c->state != C_CLOSED) { /* closed by the peer or an error, not by conn_close */
    if (c->state == C_READY) {
      if (!r->stopping) r->server_closed++; /* a worker that kept beating lost: false dead */
      r->ready--;
    } else {
      if (!r->stopping) r->refused++; /* never joined: a limit, not a detection */
      r->inflight--;
    }
    c->state = C_CLOSED;
    start_connects(r); /* a refusal frees a connect slot; the phase goes on */
  }
}

static void conn_close(conn *c) {
  if (c->state == C_CLOSED) return;
  run *r = c->run;
  if (c->state == C_READY) r->ready--;
  if (c->state == C_CONNECTING || c->state == C_HELLO) r->inflight--;
  c->state = C_CLOSED;
  if (c->handle_open) loop_conn_close(&c->lc, NULL);
}


static void slot_add(run *r, uint32_t idx) {
  uint32_t s = idx % SLOTS;
  if (r->slot_len[s] == r->slot_cap[s]) {
    r->slot_cap[s] = r->slot_cap[s] ? r->slot_cap[s] * 2 : 64;
    r->slot_conns[s] = al_xrealloc(r->slot_conns[s], r->slot_cap[s] * sizeof(uint32_t));
  }
  r->slot_conns[s][r->slot_len[s]++] = idx;
}

static void add_latency(run *r, double ms) {
  if (r->n_lat == r->cap_lat) {
    r->cap_lat = r->cap_lat ? r->cap_lat * 2 : 4096;
    r->lat = al_xrealloc(r->lat, r->cap_lat * sizeof *r->lat);
  }
  r->lat[r->n_lat++] = ms;
}

static void on_msg(conn *c, const proto_msg *m) {
  run *r = c->run;
  switch (m->type) {
  case PROTO_MSG_WELCOME:
    if (c->state == C_HELLO) {
      c->state = C_READY;
      r->inflight--;
      r->ready++;
      slot_add(r, c->idx);
      start_connects(r);
    }
    break;
  case PROTO_MSG_ERROR:
    if (m->request_id && m->u.error.code == PROTO_E_NOT_ALLOWED) { /* a probe's reply */
      double now = al_mono_s();
      double sent = r->t0 + (double)(m->request_id >> 20) / 1e6;
      double ms = (now - sent) * 1e3;
      if (sent >= r->measure_from && sent < r->hb_end && !r->stopping) {
        add_latency(r, ms);
        if (ms > 1000.0) r->probes_late++;
      }
    } else if (m->u.error.code == PROTO_E_BAD_STATE && m->u.error.message &&
               strstr(m->u.error.message, "dead")) {
      r->declared_dead++;
    } else {
      r->other_errors++;
      if (r->other_errors <= 3) al_warn("bench_conn: error from coordinator: %s", m->u.error.message);
    }
    break;
  case PROTO_MSG_REFUSE: /* counted as refused when the coordinator closes the connection */
    if (r->refused < 3) al_warn("bench_conn: hello refused: %s", m->u.refuse.reason);
    break;
  default:
    break;
  }
}

static void on_frame(loop_conn *lc, const uint8_t *payload, size_t len) {
  conn *c = lc->data;
  proto_msg m;
  al_err err;
  al_err_clear(&err);
  if (c->state == C_CLOSED) return;
  if (proto_msg_decode(payload, len, &m, &err) != 0) {
    c->run->other_errors++;
    return;
  }
  on_msg(c, &m);
  proto_msg_free(&m);
}

static void on_bad_stream(loop_conn *lc, const al_err *e) {
  conn *c = lc->data;
  (void)e;
  c->run->other_errors++;
  conn_close(c);
}

static const loop_conn_cbs bench_cbs = {on_frame, on_bad_stream, on_closed, NULL};

static void on_connect(uv_connect_t *req, int status) {
  conn *c = req->data;
  run *r = c->run;
  if (c->state != C_CONNECTING) return;
  if (status != 0) {
    if (!r->first_error) r->first_error = status;
    r->failed_connects++;
    conn_close(c);
    return;
  }
  c->state = C_HELLO;
  loop_conn_start(&c->lc);
  char id[32];
  snprintf(id, sizeof id, "bench-w%u", c->idx);
  proto_msg h = {0};
  h.type = PROTO_MSG_HELLO;
  h.u.hello.version = PROTO_VERSION;
  h.u.hello.role = PROTO_ROLE_WORKER;
  h.u.hello.peer_id = id;
  h.u.hello.slots = 1;
  h.u.hello.software = "bench_conn";
  send_msgs(c, &h, NULL);
}

/* Opens connections until MAX_INFLIGHT_CONNECTS are in progress or all are started.
 * Stops starting new ones after the first failure (the limit is reached). */
static void start_connects(run *r) {
  while (r->phase == 0 && r->next_connect < r->connect_limit && r->inflight < MAX_INFLIGHT_CONNECTS && !r->first_error) {
    conn *c = &r->conns[r->next_connect];
    c->idx = r->next_connect++;
    c->run = r;
    uv_tcp_t *tcp = loop_conn_init_tcp(&c->lc, &r->grp, c);
    c->handle_open = 1;
    c->state = C_CONNECTING;
    r->inflight++;
    struct sockaddr_in src, dst;
    char srcip[32];
    snprintf(srcip, sizeof srcip, "127.0.0.%u", g_src_base + c->idx / PER_SOURCE_ADDR);
    uv_ip4_addr(srcip, 0, &src);
    uv_ip4_addr("127.0.0.1", r->port, &dst);
    int rc = uv_tcp_bind(tcp, (const struct sockaddr *)&src, 0);
    c->creq.data = c;
    if (rc == 0) rc = uv_tcp_connect(&c->creq, tcp, (const struct sockaddr *)&dst, on_connect);
    if (rc != 0) {
      if (!r->first_error) r->first_error = rc;
      r->failed_connects++;
      conn_close(c);
    }
  }
}

static void send_heartbeat(run *r, conn *c, double now) {
  proto_msg hb = {0};
  hb.type = PROTO_MSG_HEARTBEAT;
  hb.u.heartbeat.cpu_percent = 1.5;
  hb.u.heartbeat.mem_percent = 2.5;
  hb.u.heartbeat.rss_bytes = 10u << 20;
  proto_msg probe = {0};
  probe.type = PROTO_MSG_OK;
  /* the id carries the send time, so a late reply is still measured */
  probe.request_id = ((uint64_t)((now - r->t0) * 1e6) << 20) | (c->idx & 0xFFFFFu);
  send_msgs(c, &hb, &probe);
  r->hb_sent++;
}

/* Every tick serves the slots whose time has come: each connection in a slot beats
 * once per second, at a fixed phase (its slot), from its welcome on. */
static void on_tick(uv_timer_t *t) {
  run *r = t->data;
  double now = al_mono_s();
  uint64_t cur = (uint64_t)((now - r->t0) * (1000.0 / TICK_MS));
  uint64_t budget = SLOTS; /* at most one second's worth per tick if we fell behind */
  while (r->last_slot < cur && budget--) {
    uint32_t s = (uint32_t)(++r->last_slot % SLOTS);
    for (uint32_t i = 0; i < r->slot_len[s]; i++) {
      conn *c = &r->conns[r->slot_conns[s][i]];
      if (c->state == C_READY) send_heartbeat(r, c, now);
    }
  }
  if (r->last_slot < cur) r->last_slot = cur;
  if (cur % (250 / TICK_MS) == 0) {
    long rss = proc_status_kb(r->coord_pid, "VmRSS");
    if (rss > r->rss_peak_kb) r->rss_peak_kb = rss;
  }
  if (r->phase == 1 && now >= r->hb_end) {
    r->phase = 2;
    uv_stop(r->loop);
  }
}

/* What is left once the connections and the group are closed: the tick timer. */
static void close_walk(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p) {
  if (!n) return -1;
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return v[i < n ? i : n - 1];
}

typedef struct outcome {
  uint32_t held;
  long rss_idle_kb, rss_base_kb, rss_kb; /* before any connection; with the warm-up ones; with all */
  uint32_t warm;                         /* connections held when the base was read */
  long anon_base_kb, anon_kb, file_base_kb, file_kb; /* VmRSS = RssAnon + RssFile + RssShmem */
  double bytes_per_conn, anon_bytes_per_conn, p50, p99, max_ms, connect_s;
  uint64_t samples, late, declared_dead, server_closed, refused, other_errors;
  int first_error;
} outcome;

/* One measurement: a fresh coordinator, n connections, `seconds` of heartbeats. */
static int measure(uint32_t n, double seconds, double hb_timeout, const char *log_path, outcome *out) {
  memset(out, 0, sizeof *out);
  run r;
  memset(&r, 0, sizeof r);
  r.coord_pid = start_coordinator(hb_timeout, n, log_path, &r.port);
  if (r.coord_pid < 0) {
    al_error("bench_conn: the coordinator did not start (log: %s)", log_path);
    return -1;
  }
  usleep(200000);
  out->rss_idle_kb = proc_status_kb(r.coord_pid, "VmRSS");
  uv_loop_t loop;
  uv_loop_init(&loop);
  r.loop = &loop;
  loop_limits lim = {.max_frame = 1 << 20};
  loop_group_init(&r.grp, &loop, &lim, &bench_cbs);
  r.n = n;
  r.conns = al_xcalloc(n, sizeof *r.conns);
  double t0 = al_mono_s();
  r.t0 = t0;
  r.hb_end = 1e300;
  r.measure_from = 1e300;
  uv_timer_init(&loop, &r.tick);
  r.tick.data = &r;
  uv_timer_start(&r.tick, on_tick, TICK_MS, TICK_MS);
  /* warm-up: a few connections join and beat, then the base is read (half of a tiny run) */
  r.connect_limit = AL_MIN(WARM_CONNS, n / 2);
  double deadline = t0 + 120.0 + n / 500.0;
  if (r.connect_limit) {
    start_connects(&r);
    while ((r.next_connect < r.connect_limit && !r.first_error) || r.inflight > 0) {
      uv_run(&loop, UV_RUN_ONCE);
      if (al_mono_s() > deadline) break;
    }
    double warm_end = al_mono_s() + WARM_S;
    while (al_mono_s() < warm_end) uv_run(&loop, UV_RUN_ONCE); /* the tick timer wakes it */
  }
  out->warm = r.ready;
  out->rss_base_kb = proc_status_kb(r.coord_pid, "VmRSS");
  out->anon_base_kb = proc_status_kb(r.coord_pid, "RssAnon");
  out->file_base_kb = proc_status_kb(r.coord_pid, "RssFile");
  /* connect phase: run until every connection is welcomed or failed (bounded: a slow
   * join path in the coordinator shows up as a timeout, not a hang) */
  double tc = al_mono_s();
  r.connect_limit = n;
  start_connects(&r);
  while ((r.next_connect < r.n && !r.first_error) || r.inflight > 0) {
    uv_run(&loop, UV_RUN_ONCE);
    if (al_mono_s() > deadline) {
      al_warn("bench_conn: connect phase timed out with %u of %u ready", r.ready, n);
      break;
    }
  }
  out->connect_s = al_mono_s() - tc;
  out->first_error = r.first_error;
  if (r.first_error)
    al_warn("bench_conn: connections stop at %u: %s", r.ready, uv_strerror(r.first_error));
  fprintf(stderr, "bench_conn: %u of %u workers connected in %.2f s; heartbeating for %.0f s\n", r.ready, n,
          out->connect_s, seconds);
  /* measured phase: every connection has been beating since its welcome */
  r.phase = 1;
  double hb_start = al_mono_s();
  r.hb_end = hb_start + seconds;
  r.measure_from = hb_start + (seconds >= 3 ? 1.0 : 0.0);
  uv_run(&loop, UV_RUN_DEFAULT);
  /* let the replies to the last probes arrive (bounded), then read the coordinator's RSS */
  double drain_end = al_mono_s() + 1.0;
  while (al_mono_s() < drain_end) uv_run(&loop, UV_RUN_NOWAIT);
  out->held = r.ready;
  out->rss_kb = proc_status_kb(r.coord_pid, "VmRSS");
  out->anon_kb = proc_status_kb(r.coord_pid, "RssAnon");
  out->file_kb = proc_status_kb(r.coord_pid, "RssFile");
  if (out->rss_kb > r.rss_peak_kb) r.rss_peak_kb = out->rss_kb;
  uint32_t added = r.ready > out->warm ? r.ready - out->warm : 0;
  out->bytes_per_conn = added ? (double)(out->rss_kb - out->rss_base_kb) * 1024.0 / added : -1;
  out->anon_bytes_per_conn = added ? (double)(out->anon_kb - out->anon_base_kb) * 1024.0 / added : -1;
  r.stopping = 1;
  uv_timer_stop(&r.tick);
  for (uint32_t i = 0; i < r.next_connect; i++) conn_close(&r.conns[i]);
  loop_group_close(&r.grp, NULL);
  uv_walk(&loop, close_walk, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0) al_warn("bench_conn: loop closed with handles left");
  stop_coordinator(r.coord_pid);
  g_src_base += n / PER_SOURCE_ADDR + 1;
  if (g_src_base > 200) g_src_base = 1;
  qsort(r.lat, r.n_lat, sizeof *r.lat, cmp_double);
  out->samples = r.n_lat;
  out->p50 = pct(r.lat, r.n_lat, 0.50);
  out->p99 = pct(r.lat, r.n_lat, 0.99);
  out->max_ms = r.n_lat ? r.lat[r.n_lat - 1] : -1;
  out->late = r.probes_late;
  out->declared_dead = r.declared_dead;
  out->server_closed = r.server_closed;
  out->refused = r.refused;
  out->other_errors = r.other_errors;
  free(r.lat);
  free(r.conns);
  for (int s = 0; s < SLOTS; s++) free(r.slot_conns[s]);
  return 0;
}

/* Raises the open-file limit to at least want (the hard limit too when permitted). */
static rlim_t raise_nofile(rlim_t want) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur >= want) return rl.rlim_cur;
  struct rlimit nl = {want, want > rl.rlim_max ? want : rl.rlim_max};
  if (setrlimit(RLIMIT_NOFILE, &nl) != 0) {
    nl.rlim_cur = rl.rlim_max;
    nl.rlim_max = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nl);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

static void usage(void) {
  fprintf(stderr,
          "usage: bench_conn [--connections N] [--seconds S] [--heartbeat-timeout S]\n"
          "                  [--find-max [--max N] [--step N]] [--coordinator-log PATH] [--smoke]\n"
          "  defaults: 10000 connections, 60 s, heartbeat timeout 5 s; --find-max: steps of\n"
          "  5000 up to 100000, 5 s each; --smoke: 50 connections for 3 s.\n");
}

int main(int argc, char **argv) {
  uint32_t n = 10000, max_n = 100000, step = 5000;
  double seconds = 60, hb_timeout = 5, seconds_set = 0;
  int find_max = 0;
  const char *log_path = "/dev/null";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--connections") && v) n = (uint32_t)strtoul(argv[++i], NULL, 10);
    else if (!strcmp(a, "--seconds") && v) seconds = strtod(argv[++i], NULL), seconds_set = 1;
    else if (!strcmp(a, "--heartbeat-timeout") && v) hb_timeout = strtod(argv[++i], NULL);
    else if (!strcmp(a, "--max") && v) max_n = (uint32_t)strtoul(argv[++i], NULL, 10);
    else if (!strcmp(a, "--step") && v) step = (uint32_t)strtoul(argv[++i], NULL, 10);
    else if (!strcmp(a, "--coordinator-log") && v) log_path = argv[++i];
    else if (!strcmp(a, "--find-max")) find_max = 1;
    else if (!strcmp(a, "--smoke")) n = 50, seconds = 3, max_n = 100, step = 50;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage();
      return 0;
    } else {
      fprintf(stderr, "bench_conn: unknown or incomplete option '%s'\n", a);
      usage();
      return 2;
    }
  }
  if (n == 0 || seconds <= 0 || hb_timeout <= 0 || step == 0) {
    usage();
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  al_log_set_level(AL_LOG_WARN);
  rlim_t lim = raise_nofile((rlim_t)(find_max ? max_n : n) + 1024);
  fprintf(stderr, "bench_conn: open-file limit %llu\n", (unsigned long long)lim);

  if (!find_max) {
    outcome o;
    if (measure(n, seconds, hb_timeout, log_path, &o) != 0) return 1;
    printf("RESULT conn_requested %u\n", n);
    printf("RESULT conn_held %u\n", o.held);
    printf("RESULT conn_connect_s %.3f\n", o.connect_s);
    printf("RESULT conn_rss_idle_kb %ld\n", o.rss_idle_kb);
    printf("RESULT conn_rss_warm_conns %u\n", o.warm);
    printf("RESULT conn_rss_base_kb %ld\n", o.rss_base_kb);
    printf("RESULT conn_rss_kb %ld\n", o.rss_kb);
    printf("RESULT conn_rss_bytes_per_conn %.0f\n", o.bytes_per_conn);
    printf("RESULT conn_rss_anon_bytes_per_conn %.0f\n", o.anon_bytes_per_conn);
    printf("RESULT conn_rss_anon_base_kb %ld\n", o.anon_base_kb);
    printf("RESULT conn_rss_anon_kb %ld\n", o.anon_kb);
    printf("RESULT conn_rss_file_base_kb %ld\n", o.file_base_kb);
    printf("RESULT conn_rss_file_kb %ld\n", o.file_kb);
    printf("RESULT conn_hb_samples %llu\n", (unsigned long long)o.samples);
    printf("RESULT conn_hb_p50_ms %.3f\n", o.p50);
    printf("RESULT conn_hb_p99_ms %.3f\n", o.p99);
    printf("RESULT conn_hb_max_ms %.3f\n", o.max_ms);
    printf("RESULT conn_probes_late %llu\n", (unsigned long long)o.late);
    printf("RESULT conn_false_dead %llu\n", (unsigned long long)(o.declared_dead + o.server_closed));
    printf("RESULT conn_refused %llu\n", (unsigned long long)o.refused);
    printf("RESULT conn_other_errors %llu\n", (unsigned long long)o.other_errors);
    return 0;
  }

  if (!seconds_set) seconds = 5;
  uint32_t best = 0;
  const char *reason = "reached_--max";
  for (uint32_t k = step; k <= max_n; k += step) {
    outcome o;
    if (measure(k, seconds, hb_timeout, log_path, &o) != 0) {
      reason = "coordinator_did_not_start";
      break;
    }
    fprintf(stderr, "bench_conn: %u requested, %u held, %.0f B/conn, p99 %.2f ms, false dead %llu, refused %llu\n", k,
            o.held, o.bytes_per_conn, o.p99, (unsigned long long)(o.declared_dead + o.server_closed),
            (unsigned long long)o.refused);
    if (o.held < k) {
      reason = o.first_error == UV_EMFILE   ? "open-file_limit_(hard_limit_of_this_machine)"
               : o.first_error                ? uv_err_name(o.first_error)
               : o.declared_dead + o.server_closed ? "false_dead-worker_detections"
               : o.refused                    ? "refused_by_the_coordinator"
                                              : "connect_timeout";
      if (o.declared_dead + o.server_closed == 0 && o.held > best) best = o.held;
      break;
    }
    if (o.declared_dead + o.server_closed > 0) {
      reason = "false_dead-worker_detections";
      break;
    }
    best = k;
  }
  printf("RESULT conn_max_held %u\n", best);
  printf("RESULT conn_max_reason %s\n", reason);
  printf("RESULT conn_fd_limit %llu\n", (unsigned long long)lim);
  return 0;
}
