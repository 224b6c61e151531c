/* Worker runtime, loop side (see worker.h). */
#include "worker/worker.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop/loop_conn.h"
#include "loop/loop_pool.h"
#include "loop/loop_tls_filter.h"
#include "proto/messages.h"
#include "proto/proto.h"
#include "worker/sysmetrics.h"
#include "worker/task_exec.h"

/* Finished results kept for resending after a reconnect (the coordinator ignores
 * duplicates); older reported ones are dropped beyond this. */
#define WORKER_KEEP_RESULTS 256
#define WORKER_READ_CHUNK 65536
/* Output queued for the coordinator: reading pauses above the soft limit, the
 * connection is dropped (and results resent after the reconnect) above the hard one.
 * The hard limit leaves room for a full result frame on top of the soft limit. */
#define WORKER_OUT_SOFT ((size_t)4 << 20)

typedef enum { TASK_QUEUED, TASK_RUNNING, TASK_DONE } task_state;

typedef struct wtask {
  worker_task_spec spec;
  worker_task_outcome out;
  atomic_int cancel;
  task_state state;
  int reported;              /* result written to a connection at least once */
  loop_pool_job job;         /* runs worker_task_execute on the worker's pool */
  struct worker *w;
  struct wtask *next;
} wtask;

typedef enum { CONN_NONE, CONN_CONNECTING, CONN_HELLO, CONN_READY, CONN_CLOSING } conn_state;

typedef struct conn {
  loop_conn lc;              /* the framed connection (src/loop); embedded */
  uv_connect_t connect_req;
  struct worker *w;
} conn;

struct worker {
  uv_loop_t *loop;
  loop_pool pool;            /* opt.slots threads running the tasks */
  worker_options opt;
  worker_tokcache *cache;
  worker_stopped_cb on_stopped;
  void *ud;

  conn *c;                   /* current connection or NULL */
  conn *flushing;            /* a dropped connection still writing its last output */
  loop_group grp;            /* the connection's limits and frame budget */
  loop_tls_ctx *tls;         /* NULL = plaintext to the coordinator */
  char tls_name[256];        /* name the coordinator's certificate must carry */
  conn_state state;
  uv_timer_t hb_timer;
  uv_timer_t reconnect_timer;
  uv_getaddrinfo_t gai;
  int gai_busy;
  double backoff_s;
  double hb_interval_s;
  worker_cpu_sampler cpu;
  double started;            /* al_mono_s() at worker_new, for uptime */

  wtask *queue_head, *queue_tail; /* assigned, not started */
  wtask *running;                 /* on the thread pool */
  wtask *done;                    /* finished, newest first */
  size_t n_done;
  worker_stats st;

  int draining;
  int stopping;              /* no reconnects; stop when the pool work is done */
  int stopped;               /* on_stopped fired */
  int stop_status;
  char stop_msg[512];
  int open_handles;          /* timers + connection handles not yet closed */
  uint64_t next_rid;
};

static void start_tasks(worker *w);
static void conn_close(worker *w);
static void maybe_finish_stop(worker *w);

/* ---- Sending ------------------------------------------------------------------------- */
/* Queues one message on the current connection. -1 when there is none (or it is
 * closing); a write that fails later closes the connection and results are resent. */
static int send_msg(worker *w, const proto_msg *m) {
  if (!w->c || (w->state != CONN_READY && w->state != CONN_HELLO)) return -1;
  return loop_conn_send(&w->c->lc, m);
}

static void send_heartbeat(worker *w) {
  proto_msg m = {.type = PROTO_MSG_HEARTBEAT};
  proto_heartbeat *hb = &m.u.heartbeat;
  hb->cpu_percent = worker_cpu_percent(&w->cpu);
  hb->mem_percent = worker_mem_percent();
  hb->rss_bytes = worker_rss_bytes();
  hb->tasks_completed = w->st.tasks_completed;
  hb->tasks_failed = w->st.tasks_failed;
  hb->samples_processed = w->st.samples_processed;
  hb->bytes_processed = w->st.bytes_processed;
  hb->tokens = w->st.tokens;
  hb->uptime_s = al_mono_s() - w->started;
  size_t n = w->st.running + w->st.queued;
  proto_task_ref *refs = al_xcalloc(n ? n : 1, sizeof *refs);
  size_t k = 0;
  for (wtask *t = w->running; t && k < n; t = t->next) refs[k++] = (proto_task_ref){t->spec.task_id, t->spec.attempt};
  for (wtask *t = w->queue_head; t && k < n; t = t->next) refs[k++] = (proto_task_ref){t->spec.task_id, t->spec.attempt};
  hb->running = refs;
  hb->n_running = k;
  send_msg(w, &m);
  free(refs);
}

static void send_result(worker *w, wtask *t) {
  proto_msg m = {.type = PROTO_MSG_TASK_RESULT};
  proto_task_result *r = &m.u.task_result;
  worker_task_outcome *o = &t->out;
  r->task_id = t->spec.task_id;
  r->job_id = t->spec.job_id;
  r->attempt = t->spec.attempt;
  r->ok = o->ok != 0;
  r->documents = o->counts.documents;
  r->ids_encoded = o->counts.ids_encoded;
  r->ids_truncated = o->counts.ids_truncated;
  r->padding = o->counts.pad_ids;
  r->status = o->ok ? o->status : NULL;
  r->samples_processed = o->samples;
  r->shards_written = o->n_shards;
  r->tokens = o->tokens;
  r->skipped = o->skipped;
  r->error = o->ok ? NULL : o->error;
  r->duration_s = o->duration_s;
  r->permanent = !o->ok && o->permanent;
  r->bytes_read = o->bytes_read;
  proto_skipped_file *sk = al_xcalloc(o->n_skips ? o->n_skips : 1, sizeof *sk);
  for (size_t i = 0; i < o->n_skips; i++) sk[i] = (proto_skipped_file){o->skips[i].path, o->skips[i].reason};
  r->skipped_files = sk;
  r->n_skipped_files = o->n_skips;
  proto_shard *sh = al_xcalloc(o->n_shards ? o->n_shards : 1, sizeof *sh);
  for (size_t i = 0; i < o->n_shards; i++) {
    shard_info *si = &o->shards[i];
    sh[i] = (proto_shard){.path = si->path, .samples = si->samples, .tokens = si->tokens, .bytes = si->bytes,
                          .sha256 = si->sha256, .sources = (const char **)si->sources, .n_sources = si->nsources};
  }
  r->shards = sh;
  r->n_shards = o->n_shards;
  int sent = send_msg(w, &m) == 0;
  free(sk);
  free(sh);
  if (sent) {
    t->reported = 1;
  } else if (o->ok && w->c && loop_conn_is_open(&w->c->lc)) {
    /* The connection is up, so the result did not fit in a frame (more sources or skips
     * than max_frame holds). It would not fit on any retry either: the attempt fails
     * for good, loudly, and its shards go. */
    size_t lim = w->c->lc.grp->lim.max_frame ? w->c->lc.grp->lim.max_frame : PROTO_DEFAULT_MAX_FRAME;
    char *why = al_xasprintf("the task's result (%zu shards, %zu skipped entries) is larger than the %zu-byte frame "
                             "limit; lower files_per_task",
                             o->n_shards, o->n_skips, lim);
    al_error("worker %s: task %s: %s", w->opt.worker_id, t->spec.task_id, why);
    worker_task_outcome_clear(o);
    o->ok = 0;
    o->permanent = 1;
    o->error = why;
    char *stage = worker_task_staging_dir(&t->spec);
    worker_task_remove_staging(stage);
    free(stage);
    send_result(w, t);
  }
}

/* ---- Tasks ----------------------------------------------------------------------------- */
static void task_free(wtask *t) {
  worker_task_spec_clear(&t->spec);
  worker_task_outcome_clear(&t->out);
  free(t);
}

static void trim_done(worker *w) {
  if (w->n_done <= WORKER_KEEP_RESULTS) return;
  /* Drop the oldest reported results (the list is newest first). */
  wtask **link = &w->done;
  size_t i = 0;
  while (*link) {
    wtask *t = *link;
    if (i >= WORKER_KEEP_RESULTS && t->reported) {
      *link = t->next;
      task_free(t);
      w->n_done--;
      continue;
    }
    link = &t->next;
    i++;
  }
}

static void work_cb(loop_pool_job *j) {
  wtask *t = j->data;
  worker_exec_env env = {.tokenizers = t->w->cache, .output_root = t->w->opt.output_root, .input_roots = t->w->opt.input_roots, .cancel = &t->cancel};
  worker_task_execute(&t->spec, &env, &t->out);
}

static void unlink_task(wtask **head, wtask *t) {
  for (wtask **l = head; *l; l = &(*l)->next) {
    if (*l == t) {
      *l = t->next;
      t->next = NULL;
      return;
    }
  }
}

static void after_work_cb(loop_pool_job *j) {
  wtask *t = j->data;
  worker *w = t->w;
  unlink_task(&w->running, t);
  w->st.running--;
  t->state = TASK_DONE;
  if (t->out.ok) {
    w->st.tasks_completed++;
    w->st.samples_processed += t->out.samples;
    w->st.tokens += t->out.tokens;
    w->st.bytes_processed += t->out.bytes_read;
  } else {
    w->st.tasks_failed++;
  }
  al_info("worker %s: task %s attempt %u %s: %llu samples, %zu shards, %llu skipped in %.3fs%s%s", w->opt.worker_id,
          t->spec.task_id, t->spec.attempt, t->out.ok ? t->out.status : "failed",
          (unsigned long long)t->out.samples, t->out.n_shards, (unsigned long long)t->out.skipped, t->out.duration_s,
          t->out.ok ? "" : ": ", t->out.ok ? "" : (t->out.error ? t->out.error : ""));
  if (w->state == CONN_READY) send_result(w, t);
  t->next = w->done;
  w->done = t;
  w->n_done++;
  trim_done(w);
  if (!w->stopping) start_tasks(w);
  maybe_finish_stop(w);
}

static void start_tasks(worker *w) {
  while (w->st.running < w->opt.slots && w->queue_head && !w->stopping) {
    wtask *t = w->queue_head;
    w->queue_head = t->next;
    if (!w->queue_head) w->queue_tail = NULL;
    t->next = w->running;
    w->running = t;
    w->st.queued--;
    w->st.running++;
    t->state = TASK_RUNNING;
    t->job = (loop_pool_job){.work = work_cb, .done = after_work_cb, .data = t};
    proto_msg m = {.type = PROTO_MSG_TASK_STARTED};
    m.u.task_started = (proto_task_ack){t->spec.task_id, t->spec.attempt};
    send_msg(w, &m);
    loop_pool_submit(&w->pool, &t->job);
  }
}

static wtask *find_task(wtask *head, const char *task_id) {
  for (wtask *t = head; t; t = t->next)
    if (strcmp(t->spec.task_id, task_id) == 0) return t;
  return NULL;
}

static void on_assign(worker *w, const proto_assign *a) {
  if (w->draining || w->stopping) return; /* the coordinator requeues what we do not run */
  wtask *dup = find_task(w->running, a->task_id);
  if (!dup) dup = find_task(w->queue_head, a->task_id);
  if (dup && dup->spec.attempt == a->attempt) return;
  wtask *t = al_xcalloc(1, sizeof *t);
  t->w = w;
  t->spec.task_id = al_xstrdup(a->task_id);
  t->spec.job_id = al_xstrdup(a->job_id);
  t->spec.attempt = a->attempt;
  t->spec.files = al_xcalloc(a->n_files ? a->n_files : 1, sizeof(char *));
  for (size_t i = 0; i < a->n_files; i++) t->spec.files[i] = al_xstrdup(a->files[i]);
  t->spec.n_files = a->n_files;
  t->spec.tokenizers_dir = al_xstrdup(a->tokenizers_dir);
  t->spec.input_dir = a->input_dir ? al_xstrdup(a->input_dir) : NULL;
  t->spec.output_dir = al_xstrdup(a->output_dir);
  t->spec.staging_dir = a->staging_dir ? al_xstrdup(a->staging_dir) : NULL;
  t->spec.max_seq_len = a->max_seq_len;
  t->spec.shard_size = a->shard_size ? a->shard_size : 10000;
  t->spec.detect_text = a->detect_text;
  t->spec.jsonl_field = a->jsonl_field ? al_xstrdup(a->jsonl_field) : NULL;
  if (shard_long_mode_parse(a->long_documents, &t->spec.long_documents) != 0)
    t->spec.bad_option = al_xasprintf("unknown long_documents '%.64s' (expected truncate or split)", a->long_documents);
  else if (shard_pack_mode_parse(a->packing, &t->spec.packing) != 0)
    t->spec.bad_option = al_xasprintf("unknown packing '%.64s' (expected none or greedy)", a->packing);
  atomic_init(&t->cancel, 0);
  t->state = TASK_QUEUED;
  if (w->queue_tail)
    w->queue_tail->next = t;
  else
    w->queue_head = t;
  w->queue_tail = t;
  w->st.queued++;
  start_tasks(w);
}

static void on_cancel_task(worker *w, const proto_task_ack *c) {
  for (wtask **l = &w->queue_head, *prev = NULL; *l; prev = *l, l = &(*l)->next) {
    wtask *t = *l;
    if (strcmp(t->spec.task_id, c->task_id) == 0 && (c->attempt == 0 || c->attempt == t->spec.attempt)) {
      *l = t->next;
      if (w->queue_tail == t) w->queue_tail = prev;
      w->st.queued--;
      task_free(t);
      return;
    }
  }
  wtask *t = find_task(w->running, c->task_id);
  if (t && (c->attempt == 0 || c->attempt == t->spec.attempt)) {
    atomic_store(&t->cancel, 1);
    return;
  }
  /* A finished attempt whose result the coordinator refused (stale lease, job over):
   * its staging directory will never be published, so this attempt removes it. */
  for (wtask **l = &w->done; *l; l = &(*l)->next) {
    wtask *d = *l;
    if (strcmp(d->spec.task_id, c->task_id) != 0 || (c->attempt != 0 && c->attempt != d->spec.attempt)) continue;
    if (d->out.ok) {
      char *stage = worker_task_staging_dir(&d->spec);
      al_info("worker %s: result of task %s attempt %u refused; removing its staging directory %s", w->opt.worker_id,
              d->spec.task_id, d->spec.attempt, stage);
      worker_task_remove_staging(stage);
      free(stage);
    }
    *l = d->next;
    task_free(d);
    w->n_done--;
    return;
  }
}

static void on_cancel_job(worker *w, const char *job_id) {
  for (wtask **l = &w->queue_head; *l;) {
    wtask *t = *l;
    if (strcmp(t->spec.job_id, job_id) == 0) {
      *l = t->next;
      w->st.queued--;
      task_free(t);
      continue;
    }
    l = &t->next;
  }
  w->queue_tail = NULL;
  for (wtask *t = w->queue_head; t; t = t->next) w->queue_tail = t;
  for (wtask *t = w->running; t; t = t->next)
    if (strcmp(t->spec.job_id, job_id) == 0) atomic_store(&t->cancel, 1);
}

static void drop_queued(worker *w) {
  while (w->queue_head) {
    wtask *t = w->queue_head;
    w->queue_head = t->next;
    task_free(t);
  }
  w->queue_tail = NULL;
  w->st.queued = 0;
}

/* ---- Connection ------------------------------------------------------------------------ */
static void hb_timer_cb(uv_timer_t *t) { send_heartbeat(t->data); }

static void on_ready(worker *w, const proto_welcome *wel) {
  w->state = CONN_READY;
  w->backoff_s = 0;
  w->st.connects++;
  if (wel->heartbeat_ms) w->hb_interval_s = wel->heartbeat_ms / 1000.0;
  al_info("worker %s: connected to coordinator (%s%s)", w->opt.worker_id, wel->server ? wel->server : "?",
          w->tls ? ", TLS" : "");
  send_heartbeat(w); /* tells the coordinator which leases we still hold */
  for (wtask *t = w->done; t; t = t->next) send_result(w, t); /* it ignores duplicates */
  if (w->draining) {
    proto_msg m = {.type = PROTO_MSG_DRAIN};
    m.u.drain.worker_id = w->opt.worker_id;
    send_msg(w, &m);
  }
  uint64_t ms = (uint64_t)(w->hb_interval_s * 1000);
  if (ms == 0) ms = 1;
  uv_timer_start(&w->hb_timer, hb_timer_cb, ms, ms);
}

static void stop_with(worker *w, int status, const char *msg) {
  if (!w->stop_status && status) {
    w->stop_status = status;
    snprintf(w->stop_msg, sizeof w->stop_msg, "%s", msg);
  }
  w->stopping = 1;
  drop_queued(w);
  conn_close(w);
  maybe_finish_stop(w);
}

static void handle_msg(worker *w, proto_msg *m) {
  switch (m->type) {
    case PROTO_MSG_WELCOME:
      if (w->state == CONN_HELLO) on_ready(w, &m->u.welcome);
      break;
    case PROTO_MSG_REFUSE: {
      if (m->u.refuse.code == PROTO_E_ID_IN_USE && w->st.connects > 0 && w->opt.reconnect) {
        /* This process held the id before: the coordinator still sees our previous
         * connection alive (a half-open socket) until it times out. Keep retrying. */
        al_warn("worker %s: coordinator still holds the previous connection of this worker: %s; retrying",
                w->opt.worker_id, m->u.refuse.reason);
        conn_close(w);
        break;
      }
      char msg[512];
      snprintf(msg, sizeof msg, "coordinator refused worker %s: %s (%s)", w->opt.worker_id, m->u.refuse.reason,
               proto_errcode_name(m->u.refuse.code));
      al_error("%s", msg);
      stop_with(w, 1, msg);
      break;
    }
    case PROTO_MSG_ASSIGN: on_assign(w, &m->u.assign); break;
    case PROTO_MSG_CANCEL_TASK: on_cancel_task(w, &m->u.cancel_task); break;
    case PROTO_MSG_CANCEL_JOB: on_cancel_job(w, m->u.cancel_job.job_id); break;
    case PROTO_MSG_DRAIN: worker_drain(w); break;
    case PROTO_MSG_ERROR:
      al_warn("worker %s: coordinator error %s: %s", w->opt.worker_id, proto_errcode_name(m->u.error.code),
              m->u.error.message);
      break;
    case PROTO_MSG_OK: break;
    default:
      al_warn("worker %s: ignoring unexpected message '%s' from the coordinator", w->opt.worker_id,
              proto_msg_type_name(m->type));
      break;
  }
}

static void on_frame(loop_conn *lc, const uint8_t *payload, size_t len) {
  conn *c = lc->data;
  worker *w = c->w;
  if (w->c != c) return; /* replaced; its remaining frames are stale */
  proto_msg m;
  al_err err;
  if (proto_msg_decode(payload, len, &m, &err) != 0) {
    al_warn("worker %s: bad message from coordinator: %s", w->opt.worker_id, err.msg);
    return; /* an unknown type from a newer coordinator is not fatal */
  }
  handle_msg(w, &m);
  proto_msg_free(&m);
}

static void on_bad_stream(loop_conn *lc, const al_err *e) {
  conn *c = lc->data;
  al_error("worker %s: protocol error from coordinator: %s", c->w->opt.worker_id, e->msg);
}

static void send_hello(worker *w) {
  w->state = CONN_HELLO;
  proto_msg m = {.type = PROTO_MSG_HELLO};
  m.u.hello = (proto_hello){.version = PROTO_VERSION, .role = PROTO_ROLE_WORKER, .peer_id = w->opt.worker_id,
                            .token = w->opt.auth_token, .slots = w->opt.slots, .software = "auralith " AURALITH_VERSION};
  send_msg(w, &m);
  loop_conn_start(&w->c->lc);
}

static void reconnect_timer_cb(uv_timer_t *t);

static void schedule_reconnect(worker *w) {
  if (w->stopping) return;
  if (!w->opt.reconnect) {
    stop_with(w, 1, "lost the connection to the coordinator");
    return;
  }
  double base = w->backoff_s ? w->backoff_s * 2 : w->opt.reconnect_min_s;
  if (base > w->opt.reconnect_max_s) base = w->opt.reconnect_max_s;
  w->backoff_s = base;
  /* Full jitter in [base/2, base]: a fleet that lost its coordinator does not come back
   * in lockstep. */
  double delay = base / 2 + (base / 2) * ((double)rand() / RAND_MAX);
  al_info("worker %s: reconnecting in %.2fs", w->opt.worker_id, delay);
  uv_timer_start(&w->reconnect_timer, reconnect_timer_cb, (uint64_t)(delay * 1000), 0);
}

static void on_closed(loop_conn *lc, const char *why) {
  conn *c = lc->data;
  worker *w = c->w;
  if (w->c == c) { /* closed by the loop (peer, error, limit), not by conn_close */
    w->c = NULL;
    w->state = CONN_NONE;
    uv_timer_stop(&w->hb_timer);
    if (strcmp(why, "peer closed") == 0) al_info("worker %s: coordinator closed the connection", w->opt.worker_id);
    else al_warn("worker %s: connection error: %s", w->opt.worker_id, why);
  }
  if (w->flushing == c) w->flushing = NULL;
  w->open_handles--;
  if (w->stopping)
    maybe_finish_stop(w);
  else
    schedule_reconnect(w);
}

static void on_release(loop_conn *lc) { free(lc->data); }

static const loop_conn_cbs worker_conn_cbs = {on_frame, on_bad_stream, on_closed, on_release};

/* Drops the current connection: at once, or (flush) once the queued output, e.g. the
 * last results of a drain, is written. worker_abandon cuts a flushing one short. */
static void conn_close_ex(worker *w, int flush) {
  conn *c = w->c;
  if (!c) return;
  w->c = NULL;
  w->state = CONN_NONE;
  uv_timer_stop(&w->hb_timer);
  if (flush) {
    w->flushing = c;
    loop_conn_close_after_flush(&c->lc);
  } else {
    loop_conn_close(&c->lc, NULL);
  }
}

static void conn_close(worker *w) { conn_close_ex(w, 0); }

static conn *conn_new(worker *w) {
  conn *c = al_xcalloc(1, sizeof *c);
  c->w = w;
  return c;
}

static void on_connect(uv_connect_t *req, int status) {
  conn *c = req->data;
  worker *w = c->w;
  if (status != 0) {
    al_warn("worker %s: cannot connect to %s:%d: %s", w->opt.worker_id, w->opt.host, w->opt.port, uv_strerror(status));
    conn_close(w);
    return;
  }
  if (w->stopping) {
    conn_close(w);
    return;
  }
  send_hello(w);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  worker *w = req->data;
  w->gai_busy = 0;
  w->open_handles--;
  if (w->stopping) {
    if (res) uv_freeaddrinfo(res);
    maybe_finish_stop(w);
    return;
  }
  if (status != 0 || !res) {
    al_warn("worker %s: cannot resolve %s: %s", w->opt.worker_id, w->opt.host, uv_strerror(status));
    if (res) uv_freeaddrinfo(res);
    schedule_reconnect(w);
    return;
  }
  conn *c = conn_new(w);
  uv_tcp_t *tcp = loop_conn_init_tcp(&c->lc, &w->grp, c);
  c->connect_req.data = c;
  if (w->tls) { /* the hello (and its token) is encoded only after the handshake */
    char peer[320];
    al_err e;
    snprintf(peer, sizeof peer, "coordinator %s:%d", w->opt.host, w->opt.port);
    loop_tls *t = loop_tls_new(w->tls, w->tls_name, peer, &e);
    if (!t) { /* never plaintext instead */
      al_warn("worker %s: %s", w->opt.worker_id, e.msg);
      uv_freeaddrinfo(res);
      w->c = c;
      w->state = CONN_CONNECTING;
      w->open_handles++;
      conn_close(w);
      return;
    }
    loop_conn_set_filter(&c->lc, &loop_tls_filter, t);
  }
  uv_tcp_nodelay(tcp, 1);
  w->c = c;
  w->state = CONN_CONNECTING;
  w->open_handles++;
  int rc = uv_tcp_connect(&c->connect_req, tcp, res->ai_addr, on_connect);
  uv_freeaddrinfo(res);
  if (rc != 0) {
    al_warn("worker %s: connect: %s", w->opt.worker_id, uv_strerror(rc));
    conn_close(w);
  }
}

static void start_connect(worker *w) {
  char port[16];
  snprintf(port, sizeof port, "%d", w->opt.port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  w->gai.data = w;
  w->gai_busy = 1;
  w->open_handles++; /* the request keeps the worker alive like a handle */
  int rc = uv_getaddrinfo(w->loop, &w->gai, on_resolved, w->opt.host, port, &hints);
  if (rc != 0) {
    w->gai_busy = 0;
    w->open_handles--;
    al_warn("worker %s: cannot resolve %s: %s", w->opt.worker_id, w->opt.host, uv_strerror(rc));
    schedule_reconnect(w);
  }
}

static void reconnect_timer_cb(uv_timer_t *t) {
  worker *w = t->data;
  if (!w->stopping && !w->c) start_connect(w);
}

/* ---- Public API ------------------------------------------------------------------------- */
worker *worker_new(uv_loop_t *loop, const worker_options *opt, worker_tokcache *cache, worker_stopped_cb on_stopped,
                   void *ud, al_err *err) {
  worker *w = al_xcalloc(1, sizeof *w);
  /* one thread per slot, first: nothing else to undo when threads cannot be started */
  if (loop_pool_init(&w->pool, loop, opt->slots ? opt->slots : 1, err) != 0) {
    al_err_prefix(err, "worker %s", opt->worker_id);
    free(w);
    return NULL;
  }
  w->pool.data = w;
  w->loop = loop;
  w->opt = *opt;
  w->opt.worker_id = al_xstrdup(opt->worker_id);
  w->opt.host = opt->host ? al_xstrdup(opt->host) : NULL;
  w->opt.auth_token = opt->auth_token ? al_xstrdup(opt->auth_token) : NULL;
  w->opt.output_root = opt->output_root ? al_xstrdup(opt->output_root) : NULL;
  w->opt.input_roots = opt->input_roots ? al_xstrdup(opt->input_roots) : NULL;
  if (w->opt.slots == 0) w->opt.slots = 1;
  if (w->opt.heartbeat_interval_s <= 0) w->opt.heartbeat_interval_s = 10;
  if (w->opt.reconnect_min_s <= 0) w->opt.reconnect_min_s = 0.2;
  if (w->opt.reconnect_max_s <= 0) w->opt.reconnect_max_s = 10;
  w->hb_interval_s = w->opt.heartbeat_interval_s;
  w->started = al_mono_s();
  w->cache = cache;
  w->on_stopped = on_stopped;
  w->ud = ud;
  uv_timer_init(loop, &w->hb_timer);
  uv_timer_init(loop, &w->reconnect_timer);
  w->hb_timer.data = w->reconnect_timer.data = w;
  loop_limits lim = {.max_frame = w->opt.max_frame, .out_soft_limit = WORKER_OUT_SOFT,
                     .out_hard_limit = WORKER_OUT_SOFT + (w->opt.max_frame ? w->opt.max_frame : PROTO_DEFAULT_MAX_FRAME),
                     .read_chunk = WORKER_READ_CHUNK};
  loop_group_init(&w->grp, loop, &lim, &worker_conn_cbs);
  w->grp.data = w;
  w->open_handles = 4; /* two timers, the group's idle handle, the pool's async handle */
  worker_cpu_percent(&w->cpu);
  return w;
}

int worker_connect_tcp(worker *w, al_err *err) {
  if (!w->opt.host || w->opt.port <= 0 || w->opt.port > 65535)
    return al_err_set(err, AL_E_FAILED, "worker %s: coordinator address is not set", w->opt.worker_id);
  if (w->opt.tls_ca && *w->opt.tls_ca && !w->tls) {
    w->tls = loop_tls_client_ctx(w->opt.tls_ca, w->opt.tls_cert, w->opt.tls_key, err);
    if (!w->tls) return -1;
    const char *name = w->opt.tls_server_name && *w->opt.tls_server_name ? w->opt.tls_server_name : w->opt.host;
    snprintf(w->tls_name, sizeof w->tls_name, "%s", name);
  }
  w->opt.tls_ca = w->opt.tls_server_name = w->opt.tls_cert = w->opt.tls_key = NULL; /* borrowed: read */
  start_connect(w);
  return 0;
}

int worker_attach_stream(worker *w, uv_stream_t *stream, al_err *err) {
  if (w->c) return al_err_set(err, AL_E_FAILED, "worker %s: already connected", w->opt.worker_id);
  conn *c = conn_new(w);
  loop_conn_init_stream(&c->lc, &w->grp, c, stream);
  w->c = c;
  w->open_handles++;
  send_hello(w);
  return 0;
}

void worker_drain(worker *w) {
  if (w->draining || w->stopping) return;
  w->draining = 1;
  al_info("worker %s: draining: finishing %u running task(s), returning %u queued", w->opt.worker_id, w->st.running,
          w->st.queued);
  drop_queued(w);
  if (w->state == CONN_READY) {
    proto_msg m = {.type = PROTO_MSG_DRAIN};
    m.u.drain.worker_id = w->opt.worker_id;
    send_msg(w, &m);
  }
  maybe_finish_stop(w);
}

void worker_abandon(worker *w) {
  al_warn("worker %s: abandoning %u running task(s)", w->opt.worker_id, w->st.running);
  for (wtask *t = w->running; t; t = t->next) atomic_store(&t->cancel, 1);
  if (w->flushing) loop_conn_close(&w->flushing->lc, "abandoned");
  stop_with(w, 0, "");
}

static void timer_closed_cb(uv_handle_t *h) {
  worker *w = h->data;
  w->open_handles--;
  maybe_finish_stop(w);
}

static void pool_closed_cb(loop_pool *p) {
  worker *w = p->data;
  w->open_handles--;
  maybe_finish_stop(w);
}

static void grp_closed_cb(loop_group *g) {
  worker *w = g->data;
  w->open_handles--;
  maybe_finish_stop(w);
}

/* Stops once draining finished (nothing running) or a stop was requested and every
 * piece of pool work and every handle is gone; fires on_stopped exactly once. */
static void maybe_finish_stop(worker *w) {
  if (w->stopped) return;
  if (w->draining && !w->stopping && w->st.running == 0) {
    w->stopping = 1;
    conn_close_ex(w, 1); /* the last results go out before the handle closes */
  }
  if (!w->stopping) return;
  uv_timer_stop(&w->reconnect_timer);
  if (w->c) conn_close(w);
  if (w->st.running > 0) return;
  if (!uv_is_closing((uv_handle_t *)&w->hb_timer)) {
    uv_close((uv_handle_t *)&w->hb_timer, timer_closed_cb);
    uv_close((uv_handle_t *)&w->reconnect_timer, timer_closed_cb);
    loop_pool_close(&w->pool, pool_closed_cb); /* nothing running: the threads are idle */
  }
  if (!w->c && w->open_handles == 1 && !w->grp.closed) loop_group_close(&w->grp, grp_closed_cb);
  if (w->gai_busy) uv_cancel((uv_req_t *)&w->gai);
  if (w->open_handles > 0) return;
  w->stopped = 1;
  if (w->on_stopped) w->on_stopped(w, w->stop_status, w->stop_msg, w->ud);
}

void worker_get_stats(const worker *w, worker_stats *out) {
  static const char *const STATE[] = {"disconnected", "connecting", "handshake", "connected", "closing"};
  *out = w->st;
  out->slots = w->opt.slots;
  out->uptime_s = al_mono_s() - w->started;
  out->conn_state = STATE[w->state];
  out->net_bytes_in = w->grp.bytes_in;
  out->net_bytes_out = w->grp.bytes_out;
}

void worker_free(worker *w) {
  if (!w) return;
  drop_queued(w);
  while (w->done) {
    wtask *t = w->done;
    w->done = t->next;
    task_free(t);
  }
  free((char *)w->opt.worker_id);
  free((char *)w->opt.host);
  free((char *)w->opt.auth_token);
  free((char *)w->opt.output_root);
  loop_tls_ctx_free(w->tls);
  free((char *)w->opt.input_roots);
  free(w);
}
