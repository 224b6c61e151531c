/* Shared by the coordinator integration tests: a coordinator in a forked child process
 * (a real process with its own loop, stopped with SIGTERM), and scripted blocking
 * clients that speak src/proto over loopback TCP. */
#ifndef AL_TEST_COORD_CLIENT_H
#define AL_TEST_COORD_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/app.h"
#include "common/al.h"
#include "coord/coord_server.h"
#include "harness.h"
#include "proto/messages.h"
#include "proto/proto.h"
#include "support.h"

/* ---- the coordinator process ---- */
typedef struct tcoord {
  pid_t pid;
  int port;
} tcoord;

static inline coord_options tc_options(void) {
  coord_options o;
  coord_options_default(&o);
  o.port = 0;
  o.no_manifest = 1;
  o.jm.heartbeat_interval = 0.25;
  o.jm.heartbeat_timeout = 1.0;
  o.jm.retry_backoff = 0.05;
  o.jm.retry_backoff_multiplier = 2;
  o.jm.max_retry_backoff = 0.2;
  o.jm.task_timeout = 0;
  o.jm.prefetch = 0;
  o.jm.work_stealing = 0;
  return o;
}

static inline int tc_start(tcoord *c, coord_options o) {
  c->port = ts_free_port();
  o.port = c->port;
  fflush(stdout);
  fflush(stderr);
  c->pid = fork();
  if (c->pid < 0) return -1;
  if (c->pid == 0) {
    al_log_set_level(getenv("AL_TEST_VERBOSE") ? AL_LOG_DEBUG : AL_LOG_ERROR);
    /* the coordinator's one entry point, with the test's options */
    cfg_config cfg;
    ts_coord_cfg(&cfg, c->port);
    app_coord_opts ao = {.adjust = ts_coord_adjust, .ud = &o};
    int rc = app_coord_run(&cfg, &ao, NULL);
    cfg_free(&cfg);
    /* exit, not _exit: under ASan the leak checker then inspects the coordinator */
    exit(rc);
  }
  return ts_wait_port(c->port, 5.0);
}

/* SIGTERM; returns the exit status (0 for a graceful stop). */
static inline int tc_stop(tcoord *c) {
  kill(c->pid, SIGTERM);
  int rc = ts_wait(c->pid, 5.0);
  if (rc < 0) ts_stop(c->pid, 0.1);
  return rc;
}

/* ---- a scripted peer ---- */
typedef struct tpeer {
  int fd;
  proto_decoder dec;
  uint64_t next_rid;
  char id[64];
} tpeer;

/* rcvbuf > 0: a small receive buffer set before connecting (a peer slow to read). */
static inline int tp_connect_rcvbuf(tpeer *p, int port, int rcvbuf) {
  memset(p, 0, sizeof *p);
  p->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (rcvbuf > 0) setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(p->fd, (struct sockaddr *)&a, sizeof a) != 0) return -1;
  int one = 1;
  setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  proto_decoder_init(&p->dec, 0);
  p->next_rid = 1;
  return 0;
}

static inline int tp_connect(tpeer *p, int port) { return tp_connect_rcvbuf(p, port, 0); }

static inline void tp_close(tpeer *p) {
  if (p->fd >= 0) close(p->fd);
  p->fd = -1;
  proto_decoder_free(&p->dec);
}

static inline int tp_write(tpeer *p, const void *data, size_t n) {
  const char *s = data;
  while (n > 0) {
    ssize_t w = send(p->fd, s, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

static inline int tp_send(tpeer *p, proto_msg *m) {
  al_buf b = {0};
  proto_msg_encode(m, &b);
  int rc = tp_write(p, b.data, b.len);
  al_buf_free(&b);
  return rc;
}

/* Receives one message. 0 = got one (caller frees with proto_msg_free), -1 = timeout,
 * -2 = connection closed, -3 = protocol error. */
static inline int tp_recv(tpeer *p, proto_msg *m, double timeout_s) {
  double end = al_mono_s() + timeout_s;
  for (;;) {
    const uint8_t *pl;
    size_t len;
    proto_status st = proto_decoder_next(&p->dec, &pl, &len);
    if (st == PROTO_FRAME) {
      al_err e;
      return proto_msg_decode(pl, len, m, &e) == 0 ? 0 : -3;
    }
    if (st == PROTO_ERROR) return -3;
    double left = end - al_mono_s();
    if (left <= 0) return -1;
    struct pollfd pf = {p->fd, POLLIN, 0};
    int pr = poll(&pf, 1, (int)(left * 1000) + 1);
    if (pr == 0) return -1;
    char *ptr;
    size_t room;
    proto_decoder_prepare(&p->dec, &ptr, &room);
    ssize_t n = recv(p->fd, ptr, room, 0);
    if (n <= 0) return -2;
    proto_decoder_commit(&p->dec, (size_t)n);
  }
}

/* Receives until a message of type t arrives (others are dropped). */
static inline int tp_expect(tpeer *p, proto_msg_type t, proto_msg *m, double timeout_s) {
  double end = al_mono_s() + timeout_s;
  for (;;) {
    double left = end - al_mono_s();
    int rc = tp_recv(p, m, left > 0 ? left : 0);
    if (rc != 0) return rc;
    if (m->type == t) return 0;
    proto_msg_free(m);
  }
}

static inline int tp_hello(tpeer *p, int port, proto_role role, const char *id, uint32_t slots) {
  if (tp_connect(p, port) != 0) return -1;
  snprintf(p->id, sizeof p->id, "%s", id);
  proto_msg m = {0};
  m.type = PROTO_MSG_HELLO;
  m.u.hello.version = PROTO_VERSION;
  m.u.hello.role = role;
  m.u.hello.peer_id = id;
  m.u.hello.slots = slots;
  tp_send(p, &m);
  proto_msg r;
  if (tp_recv(p, &r, 5) != 0) return -1;
  int ok = r.type == PROTO_MSG_WELCOME;
  proto_msg_free(&r);
  return ok ? 0 : -1;
}

/* Sends a request and waits for the reply with the same request id. */
static inline int tp_request(tpeer *p, proto_msg *req, proto_msg *reply) {
  req->request_id = p->next_rid++;
  if (tp_send(p, req) != 0) return -2;
  for (;;) {
    int rc = tp_recv(p, reply, 5);
    if (rc != 0) return rc;
    if (reply->request_id == req->request_id) return 0;
    proto_msg_free(reply);
  }
}

/* Submits a sealed job with n tasks of one file each. Returns 0 when accepted. */
static inline int tp_submit(tpeer *p, const char *job_id, size_t n, double timeout_s, double task_timeout_s) {
  proto_msg m = {0}, r;
  m.type = PROTO_MSG_SUBMIT_JOB;
  m.u.submit_job.job_id = job_id;
  m.u.submit_job.input_dir = "/in";
  m.u.submit_job.output_dir = "/nonexistent/out";
  m.u.submit_job.tokenizers_dir = "/tok";
  m.u.submit_job.max_seq_len = 64;
  m.u.submit_job.shard_size = 10;
  m.u.submit_job.timeout_s = timeout_s;
  m.u.submit_job.task_timeout_s = task_timeout_s;
  if (tp_request(p, &m, &r) != 0) return -1;
  int ok = r.type == PROTO_MSG_JOB_ACCEPTED;
  proto_msg_free(&r);
  if (!ok) return -1;
  proto_task_spec *specs = al_xcalloc(n ? n : 1, sizeof *specs);
  char(*names)[32] = al_xcalloc(n ? n : 1, sizeof *names);
  const char **files = al_xcalloc(n ? n : 1, sizeof *files);
  for (size_t i = 0; i < n; i++) {
    snprintf(names[i], 32, "/in/f%05zu.txt", i);
    files[i] = names[i];
    specs[i].index = i;
    specs[i].files = &files[i];
    specs[i].n_files = 1;
  }
  memset(&m, 0, sizeof m);
  m.type = PROTO_MSG_SUBMIT_TASKS;
  m.u.submit_tasks.job_id = job_id;
  m.u.submit_tasks.tasks = specs;
  m.u.submit_tasks.n_tasks = n;
  int rc = tp_request(p, &m, &r);
  ok = rc == 0 && r.type == PROTO_MSG_OK;
  if (rc == 0) proto_msg_free(&r);
  free(specs);
  free(names);
  free(files);
  if (!ok) return -1;
  memset(&m, 0, sizeof m);
  m.type = PROTO_MSG_SEAL_JOB;
  m.u.seal_job.job_id = job_id;
  m.u.seal_job.total_tasks = n;
  if (tp_request(p, &m, &r) != 0) return -1;
  ok = r.type == PROTO_MSG_OK;
  proto_msg_free(&r);
  return ok ? 0 : -1;
}

/* Job status string and counters via job_status. */
typedef struct tjob {
  char status[32];
  uint64_t total, completed, failed, retried;
  char error[256];
} tjob;

static inline int tp_job(tpeer *p, const char *job_id, tjob *out) {
  proto_msg m = {0}, r;
  memset(out, 0, sizeof *out);
  m.type = PROTO_MSG_JOB_STATUS;
  m.u.job_status.job_id = job_id;
  if (tp_request(p, &m, &r) != 0) return -1;
  if (r.type != PROTO_MSG_JOB_INFO) {
    if (r.type == PROTO_MSG_ERROR) snprintf(out->error, sizeof out->error, "%s", r.u.error.message);
    proto_msg_free(&r);
    return -1;
  }
  snprintf(out->status, sizeof out->status, "%s", r.u.job_info.status);
  out->total = r.u.job_info.total_tasks;
  out->completed = r.u.job_info.completed_tasks;
  out->failed = r.u.job_info.failed_tasks;
  out->retried = r.u.job_info.retried_tasks;
  if (r.u.job_info.n_errors) snprintf(out->error, sizeof out->error, "%s", r.u.job_info.errors[0]);
  proto_msg_free(&r);
  return 0;
}

/* Polls job_status until the job has the given status. */
static inline int tp_wait_job(tpeer *p, const char *job_id, const char *status, double timeout_s, tjob *out) {
  double end = al_mono_s() + timeout_s;
  while (al_mono_s() < end) {
    if (tp_job(p, job_id, out) == 0 && strcmp(out->status, status) == 0) return 0;
    usleep(20000);
  }
  return -1;
}

static inline void tw_heartbeat(tpeer *w, double cpu, double mem) {
  proto_msg m = {0};
  m.type = PROTO_MSG_HEARTBEAT;
  m.u.heartbeat.cpu_percent = cpu;
  m.u.heartbeat.mem_percent = mem;
  tp_send(w, &m);
}

static inline void tw_started(tpeer *w, const char *task_id, uint32_t attempt) {
  proto_msg m = {0};
  m.type = PROTO_MSG_TASK_STARTED;
  m.u.task_started.task_id = task_id;
  m.u.task_started.attempt = attempt;
  tp_send(w, &m);
}

static inline void tw_result(tpeer *w, const char *task_id, uint32_t attempt, int ok, const char *error) {
  proto_msg m = {0};
  m.type = PROTO_MSG_TASK_RESULT;
  m.u.task_result.task_id = task_id;
  m.u.task_result.attempt = attempt;
  m.u.task_result.ok = ok;
  m.u.task_result.status = ok ? "success" : NULL;
  m.u.task_result.samples_processed = ok ? 1 : 0;
  m.u.task_result.error = error;
  tp_send(w, &m);
}

/* An assignment as received. */
typedef struct tassign {
  char task_id[128];
  uint32_t attempt;
  char file[512];    /* its first input file ("" when none) */
  char staging[512]; /* the attempt's staging_dir ("" when absent) */
} tassign;

/* Waits for the next assign (heartbeating meanwhile so the worker stays alive). */
static inline int tw_next_assign(tpeer *w, tassign *a, double timeout_s) {
  double end = al_mono_s() + timeout_s;
  while (al_mono_s() < end) {
    proto_msg m;
    int rc = tp_recv(w, &m, 0.2);
    if (rc == -1) {
      tw_heartbeat(w, -1, -1);
      continue;
    }
    if (rc != 0) return rc;
    if (m.type == PROTO_MSG_ASSIGN) {
      snprintf(a->task_id, sizeof a->task_id, "%s", m.u.assign.task_id);
      a->attempt = m.u.assign.attempt;
      snprintf(a->file, sizeof a->file, "%s", m.u.assign.n_files ? m.u.assign.files[0] : "");
      snprintf(a->staging, sizeof a->staging, "%s", m.u.assign.staging_dir ? m.u.assign.staging_dir : "");
      proto_msg_free(&m);
      return 0;
    }
    proto_msg_free(&m);
  }
  return -1;
}

#endif
