/* The coordinator server: listening, the hello handshake, message handling for
 * workers, submitters and admin clients, the job manager's hooks (assignments,
 * revocations, progress events, dead workers, deadlines) and graceful stop. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "common/al.h"
#include "coord/coord_conn.h"
#include "coord/coord_server.h"
#include "coord/coord_lease.h"
#include "coord/coord_persist.h"
#include "coord/coord_commit.h"
#include "coord/coord_manifest.h"
#include "coord/coord_outdir.h"
#include "coord/coord_resume.h"

void coord_options_default(coord_options *o) {
  memset(o, 0, sizeof *o);
  o->host = "127.0.0.1";
  o->port = 8080;
  coord_jm_params_default(&o->jm);
}

static const char *conn_name(const coord_conn *c) { return c->peer_id ? c->peer_id : "(no hello)"; }

static int output_dir_refused(const coord_server *s, const char *dir, char *why, size_t cap);

/* ---------------------------------------------------------------- ownership */

static int conn_owns(const coord_conn *c, const char *job_id) {
  for (size_t i = 0; i < c->n_jobs; i++)
    if (strcmp(c->jobs[i], job_id) == 0) return 1;
  return 0;
}

/* Unsealed, unfinished jobs among those c created. */
static size_t conn_unsealed(const coord_conn *c) {
  size_t n = 0;
  for (size_t i = 0; i < c->n_jobs; i++) {
    const coord_job *j = coord_jm_job_find(c->srv->jm, c->jobs[i]);
    if (j && !j->sealed && !coord_job_status_is_final(j->status)) n++;
  }
  return n;
}

static size_t total_unsealed(coord_jm *jm) {
  size_t n = 0, k = coord_jm_job_count(jm);
  for (size_t i = 0; i < k; i++) {
    const coord_job *j = coord_jm_job_at(jm, i);
    if (!j->sealed && !coord_job_status_is_final(j->status)) n++;
  }
  return n;
}

/* ---------------------------------------------------------------- hooks */

static void hk_assign(void *ud, coord_worker *w, coord_task *t) {
  coord_conn *c = w->conn;
  if (!c) return;
  const coord_job *j = t->job;
  proto_msg m = {0};
  m.type = PROTO_MSG_ASSIGN;
  m.u.assign.task_id = t->id;
  m.u.assign.job_id = j->id;
  m.u.assign.attempt = t->attempt;
  m.u.assign.files = (const char *const *)t->files;
  m.u.assign.n_files = t->n_files;
  m.u.assign.tokenizers_dir = j->config.tokenizers_dir;
  m.u.assign.output_dir = t->output_dir;
  m.u.assign.input_dir = j->config.input_dir;
  m.u.assign.max_seq_len = (uint32_t)j->config.max_seq_len;
  m.u.assign.shard_size = (uint64_t)j->config.shard_size;
  m.u.assign.staging_dir = t->staging_dir;
  m.u.assign.long_documents = j->config.long_documents;
  m.u.assign.packing = j->config.packing;
  m.u.assign.detect_text = j->config.detect_text != 0;
  m.u.assign.jsonl_field = j->config.jsonl_field;
  coord_conn_send(c, &m);
}

static void send_cancel(coord_conn *c, const char *task_id, uint32_t attempt) {
  proto_msg m = {0};
  m.type = PROTO_MSG_CANCEL_TASK;
  m.u.cancel_task.task_id = task_id;
  m.u.cancel_task.attempt = attempt;
  coord_conn_send(c, &m);
}

static void hk_revoke(void *ud, coord_worker *w, coord_task *t, uint32_t attempt, const char *why) {
  if (w->conn) send_cancel(w->conn, t->id, attempt);
}

/* Fills a summary; strings point into j and into ts (two 48-byte slots). */
static void job_summary(const coord_job *j, proto_job_summary *s, char ts[2][48], const char **errs,
                        size_t max_errs, proto_reason_count *reasons) {
  memset(s, 0, sizeof *s);
  s->job_id = j->id;
  s->name = j->config.name;
  s->status = coord_job_status_name(j->status);
  s->created_at = al_iso_from_wall(j->created_at, ts[0], 48);
  if (j->completed_at > 0) s->completed_at = al_iso_from_wall(j->completed_at, ts[1], 48);
  s->total_tasks = j->total_tasks;
  s->completed_tasks = j->completed_tasks;
  s->failed_tasks = j->failed_tasks;
  s->retried_tasks = j->retried_tasks;
  s->samples = (uint64_t)j->samples;
  s->tokens = (uint64_t)j->tokens;
  s->bytes = (uint64_t)j->bytes_read;
  double end = j->completed_at > 0 ? j->completed_at : al_wall_s();
  s->elapsed_s = end > j->created_at ? end - j->created_at : 0;
  s->sealed = j->sealed != 0;
  s->documents = (uint64_t)j->documents;
  s->ids_encoded = (uint64_t)j->ids_encoded;
  s->ids_truncated = (uint64_t)j->ids_truncated;
  s->padding = (uint64_t)j->padding;
  s->skipped = (uint64_t)j->skipped;
  if (reasons) { /* (the job list leaves them out) */
    for (size_t i = 0; i < j->n_skip_reasons; i++)
      reasons[i] = (proto_reason_count){j->skip_reasons[i].reason, (uint64_t)j->skip_reasons[i].count};
    s->skip_reasons = reasons;
    s->n_skip_reasons = j->n_skip_reasons;
  }
  size_t n = 0;
  if (j->final_error && n < max_errs) errs[n++] = j->final_error;
  for (size_t i = 0; j->failed_tasks > 0 && i < j->total_tasks && n < max_errs; i++)
    if (j->tasks[i]->status == COORD_TASK_FAILED && j->tasks[i]->error) errs[n++] = j->tasks[i]->error;
  s->errors = errs;
  s->n_errors = n;
}

static int conn_subscribed_to(const coord_conn *c, const char *job_id) {
  for (size_t i = 0; i < c->n_subs; i++)
    if (strcmp(c->subs[i], job_id) == 0) return 1;
  return 0;
}

static void send_progress(coord_conn *c, const coord_job *j, uint64_t rid) {
  proto_msg m = {0};
  char ts[2][48];
  const char *errs[16];
  proto_reason_count reasons[COORD_MAX_SKIP_REASONS];
  m.type = PROTO_MSG_PROGRESS;
  m.request_id = rid;
  job_summary(j, &m.u.progress, ts, errs, AL_ARRAY_LEN(errs), reasons);
  coord_conn_send(c, &m);
}

static void notify_subscribers(coord_server *s, coord_job *j) {
  if (s->n_subscribers == 0) return;
  for (coord_conn *c = s->conns; c; c = c->next)
    if (c->subscribed && conn_subscribed_to(c, j->id)) send_progress(c, j, 0);
}

typedef struct final_notice {
  coord_server *s;
  char *job_id;
} final_notice;

/* The store confirmed the job's final record: now, and not before, clients hear it. */
static void on_final_stored(void *ud, const store_reply *r) {
  final_notice *n = ud;
  coord_server *s = n->s;
  if (r->status == STORE_ERROR)
    al_warn("coordinator: job %s: the store did not confirm its final status (%s); it is written again on "
            "reconnect", n->job_id, r->msg ? r->msg : "error");
  coord_job *j = coord_jm_job_find(s->jm, n->job_id);
  if (j) notify_subscribers(s, j);
  free(n->job_id);
  free(n);
  coord_server_handle_closed(s);
}

static void hk_job_changed(void *ud, coord_job *j) {
  coord_server *s = ud;
  if (!coord_job_status_is_final(j->status) || s->o.no_persist) {
    notify_subscribers(s, j);
    return;
  }
  /* A final status is announced only once the store holds it (a client that sees
   * "completed" can rely on it after any restart). */
  final_notice *n = al_xcalloc(1, sizeof *n);
  n->s = s;
  n->job_id = al_xstrdup(j->id);
  s->handles_open++;
  coord_jm_flush(s->jm);
  store_sync(s->st, on_final_stored, n);
}


/* ---- commit and finalize: file-system work on the thread pool. Each in-flight
 * request counts as an open handle, so a stopping server waits for it. */

static void on_committed(void *ud, const char *task_id, uint32_t attempt, int ok, const char *const *paths, size_t n,
                         const char *error) {
  coord_server *s = ud;
  coord_jm_task_committed(s->jm, task_id, attempt, ok, paths, n, error);
  coord_server_handle_closed(s);
}

/* A commit or finalize waiting for the keyspace lease to be confirmed (coord_lease.h):
 * named by ids, since the task or job may change meanwhile. */
typedef struct lease_wait {
  coord_server *s;
  char *task_id, *job_id;
  uint32_t attempt;
  coord_job_status st;
} lease_wait;

static void commit_now(coord_server *s, coord_task *t) {
  s->handles_open++;
  coord_commit_start(s->loop, t, t->job->verify_sha256, on_committed, s);
}

static void on_lease_for_commit(void *ud, int ok) {
  lease_wait *w = ud;
  coord_server *s = w->s;
  coord_task *t = ok ? coord_jm_task_find(s->jm, w->task_id) : NULL;
  /* Not ok: the coordinator stops; the task stays unpublished and runs again after a
   * restart, as after a crash. */
  if (t && t->attempt == w->attempt && t->place == COORD_IN_COMMITTING) commit_now(s, t);
  free(w->task_id);
  free(w);
  coord_server_handle_closed(s);
}

/* A task restored as completed after a restart: its published shards are checked on
 * the pool (nothing is moved, so no lease is needed) before it counts. */
static void hk_restore(void *ud, coord_task *t) {
  coord_server *s = ud;
  s->handles_open++;
  coord_commit_restored_start(s->loop, t, t->job->verify_sha256, on_committed, s);
}

static void hk_commit(void *ud, coord_task *t) {
  coord_server *s = ud;
  if (s->o.lease && !coord_lease_current(s->o.lease)) {
    lease_wait *w = al_xcalloc(1, sizeof *w);
    *w = (lease_wait){s, al_xstrdup(t->id), NULL, t->attempt, 0};
    s->handles_open++;
    coord_lease_when_current(s->o.lease, on_lease_for_commit, w);
    return;
  }
  commit_now(s, t);
}

static void on_finalized(void *ud, const char *job_id, int ok, const char *error) {
  coord_server *s = ud;
  coord_job *j = coord_jm_job_find(s->jm, job_id);
  if (j) coord_jm_job_finalized(s->jm, j, ok, error);
  coord_server_handle_closed(s);
}

static void on_lease_for_finalize(void *ud, int ok) {
  lease_wait *w = ud;
  coord_server *s = w->s;
  coord_job *j = ok ? coord_jm_job_find(s->jm, w->job_id) : NULL;
  if (j) { /* not ok: stopping; the job is finalized by the next coordinator */
    s->handles_open++;
    coord_finalize_start(s->loop, j, w->st, s->o.output_root, on_finalized, s);
  }
  free(w->job_id);
  free(w);
  coord_server_handle_closed(s);
}

static void hk_finalize(void *ud, coord_job *j, coord_job_status st) {
  coord_server *s = ud;
  coord_resume_free(j->resume); /* a job that ends before it was sealed */
  j->resume = NULL;
  if (s->o.lease && !coord_lease_current(s->o.lease)) {
    lease_wait *w = al_xcalloc(1, sizeof *w);
    *w = (lease_wait){s, NULL, al_xstrdup(j->id), 0, st};
    s->handles_open++;
    coord_lease_when_current(s->o.lease, on_lease_for_finalize, w);
    return;
  }
  s->handles_open++;
  coord_finalize_start(s->loop, j, st, s->o.output_root, on_finalized, s);
}

static void hk_worker_gone(void *ud, coord_worker *w) {
  coord_conn *c = w->conn;
  w->conn = NULL;
  if (!c) return;
  c->worker = NULL;
  coord_conn_send_error(c, 0, PROTO_E_BAD_STATE, "worker %s declared dead: nothing heard for %gs", w->id,
                        ((coord_server *)ud)->o.jm.heartbeat_timeout);
  coord_conn_close_after_flush(c);
}

static void on_timer(uv_timer_t *h);
static double hk_now(void *ud);

static void arm_timer(coord_server *s, double deadline) {
  if (s->stopping) return;
  if (deadline < 0) {
    uv_timer_stop(&s->timer);
    return;
  }
  double delay = deadline - hk_now(s);
  uint64_t ms = delay <= 0 ? 0 : (uint64_t)(delay * 1000.0) + 1;
  uv_timer_start(&s->timer, on_timer, ms, 0);
}

static void hk_timer(void *ud, double deadline) { arm_timer(ud, deadline); }

/* The loop's cached time (refreshed every loop turn): millisecond resolution is
 * plenty for deadlines and saves a clock read per message. */
static double hk_now(void *ud) {
  coord_server *s = ud;
  return (double)uv_now(s->loop) / 1000.0;
}

static void on_timer(uv_timer_t *h) {
  coord_server *s = h->data;
  coord_jm_on_timer(s->jm);
  /* re-arm explicitly: a timer that fired a hair early leaves the deadline unchanged */
  arm_timer(s, coord_jm_next_deadline(s->jm));
}

/* ---------------------------------------------------------------- handshake */

static void send_refuse(coord_conn *c, uint32_t code, const char *reason) {
  proto_msg m = {0};
  m.type = PROTO_MSG_REFUSE;
  m.u.refuse.code = code;
  m.u.refuse.reason = reason;
  coord_conn_send(c, &m);
  coord_conn_close_after_flush(c);
}

static void refuse(coord_conn *c, uint32_t code, const char *fmt, const char *a, unsigned x, unsigned y) {
  char reason[512];
  snprintf(reason, sizeof reason, fmt, a, x, y);
  al_warn("coordinator: refusing %s from %s: %s", conn_name(c), c->addr, reason);
  send_refuse(c, code, reason);
}

/* A refusal held back after a wrong token: the peer waits before it learns the
 * outcome, so guessing costs time per attempt (and per address, see coord_guard.c). */
typedef struct held_refusal {
  uv_timer_t timer;
  coord_conn *c;
  char reason[256];
} held_refusal;

static void on_held_closed(uv_handle_t *h) {
  held_refusal *r = h->data;
  coord_conn_unref(r->c);
  free(r);
}

static void on_held_timer(uv_timer_t *t) {
  held_refusal *r = t->data;
  if (coord_conn_is_open(r->c)) send_refuse(r->c, PROTO_E_AUTH, r->reason);
  uv_close((uv_handle_t *)&r->timer, on_held_closed);
}

static void refuse_auth(coord_conn *c, proto_role role, const char *why) {
  coord_server *s = c->srv;
  double delay = c->peer ? coord_peer_failed(&s->peers, c->peer, al_mono_s()) : 0;
  if (!c->peer) s->peers.auth_failures++;
  al_warn("coordinator: authentication failure from %s (role %s): %s; %u recent from this address, %llu in "
          "total; refusal held %.1fs",
          c->addr, proto_role_name(role), why, c->peer ? c->peer->fails : 1, s->peers.auth_failures, delay);
  if (delay <= 0) {
    send_refuse(c, PROTO_E_AUTH, why);
    return;
  }
  held_refusal *r = al_xcalloc(1, sizeof *r);
  r->c = c;
  snprintf(r->reason, sizeof r->reason, "%s", why);
  loop_conn_ref(&c->lc);
  coord_conn_hold(c);
  uv_timer_init(s->loop, &r->timer);
  r->timer.data = r;
  uv_timer_start(&r->timer, on_held_timer, (uint64_t)(delay * 1000.0), 0);
}

static void handle_hello(coord_conn *c, const proto_msg *m) {
  coord_server *s = c->srv;
  const proto_hello *h = &m->u.hello;
  if (h->version != PROTO_VERSION) {
    refuse(c, PROTO_E_VERSION, "%sprotocol version %u is not supported; expected %u", "", h->version,
           PROTO_VERSION);
    return;
  }
  if (h->role != PROTO_ROLE_WORKER && h->role != PROTO_ROLE_SUBMITTER && h->role != PROTO_ROLE_ADMIN) {
    refuse(c, PROTO_E_BAD_FIELD, "%s", "hello.role must be worker, submitter or admin", 0, 0);
    return;
  }
  const char *why;
  coord_rights rights = coord_guard_rights(&s->o, h->role, h->token, &why);
  if (rights == COORD_RIGHTS_NONE) {
    refuse_auth(c, h->role, why);
    return;
  }
  if (h->role == PROTO_ROLE_WORKER && (!h->peer_id || !*h->peer_id || strlen(h->peer_id) > 200)) {
    refuse(c, PROTO_E_BAD_FIELD, "%s", "hello.peer_id must name the worker (1 to 200 bytes)", 0, 0);
    return;
  }
  if (s->stopping) {
    refuse(c, PROTO_E_BAD_STATE, "%s", "the coordinator is shutting down", 0, 0);
    return;
  }
  coord_worker *old = h->role == PROTO_ROLE_WORKER ? coord_jm_worker_find(s->jm, h->peer_id) : NULL;
  coord_conn *live = old ? old->conn : NULL;
  if (live && coord_conn_is_open(live)) {
    /* One worker id, one process: a live worker keeps its id. A dead one's id is free
     * again once the heartbeat timeout declares it dead. */
    char reason[512];
    snprintf(reason, sizeof reason,
             "worker id '%s' is in use by a live worker connected from %s; give this process another "
             "--worker-id (a dead worker's id is free again after heartbeat_timeout)",
             h->peer_id, live->addr);
    al_warn("coordinator: refusing a second connection for worker id '%s' from %s: the id is in use by a "
            "live worker connected from %s",
            h->peer_id, c->addr, live->addr);
    send_refuse(c, PROTO_E_ID_IN_USE, reason);
    return;
  }
  c->hello_done = 1;
  c->rights = rights;
  coord_server_hello_done(c);
  loop_conn_set_max_frame(&c->lc, s->o.max_frame ? s->o.max_frame : PROTO_DEFAULT_MAX_FRAME);
  c->role = h->role;
  c->peer_id = al_xstrdup(h->peer_id && *h->peer_id ? h->peer_id : "client");
  loop_conn_set_label(&c->lc, c->peer_id);
  proto_msg w = {0};
  w.type = PROTO_MSG_WELCOME;
  w.request_id = m->request_id;
  w.u.welcome.version = PROTO_VERSION;
  w.u.welcome.peer_id = c->peer_id;
  w.u.welcome.server = "auralith " AURALITH_VERSION;
  w.u.welcome.heartbeat_ms = (uint32_t)(s->o.jm.heartbeat_interval * 1000.0);
  w.u.welcome.strategy = coord_strategy_name(coord_jm_strategy(s->jm));
  coord_conn_send(c, &w);
  if (h->role != PROTO_ROLE_WORKER) return;
  if (old && old->conn) { /* the old connection is on its way out */
    coord_conn *oc = old->conn;
    oc->worker = NULL;
    old->conn = NULL;
    coord_conn_close(oc, "replaced by a new connection of the same worker");
  }
  c->worker = coord_jm_worker_join(s->jm, c->peer_id, h->slots ? (int)h->slots : 1, c);
}

/* Connections owe a hello within hello_timeout_s. They wait in connect order, so one
 * timer armed for the oldest deadline covers them all. */
static void on_hello_timer(uv_timer_t *h);

static void hello_rearm(coord_server *s) {
  if (s->stopping || uv_is_closing((uv_handle_t *)&s->hello_timer)) return;
  if (!s->hw_head) {
    uv_timer_stop(&s->hello_timer);
    return;
  }
  double d = s->hw_head->hello_deadline - al_mono_s();
  uv_timer_start(&s->hello_timer, on_hello_timer, d <= 0 ? 0 : (uint64_t)(d * 1000.0) + 1, 0);
}

void coord_server_hello_wait(coord_conn *c) {
  coord_server *s = c->srv;
  if (c->hello_done || c->hello_waiting) return;
  c->hello_waiting = 1;
  s->n_hello_waiting++;
  c->hello_deadline = al_mono_s() + s->o.hello_timeout_s;
  c->hw_next = NULL;
  c->hw_prev = s->hw_tail;
  if (s->hw_tail) s->hw_tail->hw_next = c;
  else s->hw_head = c;
  s->hw_tail = c;
  if (s->hw_head == c) hello_rearm(s);
}

void coord_server_hello_done(coord_conn *c) {
  coord_server *s = c->srv;
  if (!c->hello_waiting) return;
  c->hello_waiting = 0;
  s->n_hello_waiting--;
  if (c->hw_prev) c->hw_prev->hw_next = c->hw_next;
  else s->hw_head = c->hw_next;
  if (c->hw_next) c->hw_next->hw_prev = c->hw_prev;
  else s->hw_tail = c->hw_prev;
  c->hw_prev = c->hw_next = NULL;
}

static void on_hello_timer(uv_timer_t *h) {
  coord_server *s = h->data;
  double now = al_mono_s();
  while (s->hw_head && s->hw_head->hello_deadline <= now) {
    coord_conn *c = s->hw_head;
    coord_server_hello_done(c);
    coord_conn_send_error(c, 0, PROTO_E_BAD_STATE, "no hello within %gs of connecting", s->o.hello_timeout_s);
    coord_conn_close_after_flush(c);
  }
  hello_rearm(s);
}

/* ---------------------------------------------------------------- worker messages */

static char *dup_or_null(const char *s) { return s ? al_xstrdup(s) : NULL; }

static void result_from_msg(coord_task_result *r, const proto_task_result *m) {
  memset(r, 0, sizeof *r);
  r->status = dup_or_null(m->status);
  r->samples_processed = (int64_t)m->samples_processed;
  r->shards_written = (int64_t)m->shards_written;
  r->tokens = (int64_t)m->tokens;
  r->skipped = (int64_t)m->skipped;
  r->bytes_read = (int64_t)m->bytes_read;
  r->permanent = m->permanent;
  r->has_counts = m->documents > 0 || m->ids_encoded > 0;
  r->documents = (int64_t)m->documents;
  r->ids_encoded = (int64_t)m->ids_encoded;
  r->ids_truncated = (int64_t)m->ids_truncated;
  r->padding = (int64_t)m->padding;
  if (m->n_shards) {
    r->shards = al_xcalloc(m->n_shards, sizeof *r->shards);
    r->n_shards = m->n_shards;
    for (size_t i = 0; i < m->n_shards; i++) {
      const proto_shard *ps = &m->shards[i];
      coord_shard_info *cs = &r->shards[i];
      cs->path = dup_or_null(ps->path);
      cs->samples = (int64_t)ps->samples;
      cs->tokens = (int64_t)ps->tokens;
      cs->bytes = (int64_t)ps->bytes;
      cs->sha256 = dup_or_null(ps->sha256);
      cs->n_files = ps->n_sources;
      cs->files = al_xcalloc(ps->n_sources ? ps->n_sources : 1, sizeof *cs->files);
      for (size_t k = 0; k < ps->n_sources; k++) cs->files[k] = al_xstrdup(ps->sources[k]);
    }
  }
  if (m->n_skipped_files) {
    r->skips = al_xcalloc(m->n_skipped_files, sizeof *r->skips);
    r->n_skips = m->n_skipped_files;
    for (size_t i = 0; i < m->n_skipped_files; i++) {
      r->skips[i].path = dup_or_null(m->skipped_files[i].path);
      r->skips[i].reason = dup_or_null(m->skipped_files[i].reason);
    }
  }
}

static void handle_worker_msg(coord_conn *c, const proto_msg *m) {
  coord_server *s = c->srv;
  coord_worker *w = c->worker;
  if (!w) return; /* declared dead; closing */
  coord_jm_worker_seen(s->jm, w);
  switch (m->type) {
  case PROTO_MSG_HEARTBEAT: {
    const proto_heartbeat *h = &m->u.heartbeat;
    coord_jm_worker_metrics(s->jm, w, h->cpu_percent, h->mem_percent, h->tasks_completed, h->tasks_failed,
                            h->samples_processed);
    w->rss_bytes = h->rss_bytes;
    w->bytes_processed = h->bytes_processed;
    w->tokens = h->tokens;
    w->uptime_s = h->uptime_s;
    for (size_t i = 0; i < h->n_running; i++)
      if (coord_jm_task_claim(s->jm, w, h->running[i].task_id, h->running[i].attempt) != COORD_OK)
        send_cancel(c, h->running[i].task_id, h->running[i].attempt);
    break;
  }
  case PROTO_MSG_TASK_STARTED:
    if (coord_jm_task_started(s->jm, w, m->u.task_started.task_id, m->u.task_started.attempt) != COORD_OK)
      send_cancel(c, m->u.task_started.task_id, m->u.task_started.attempt);
    break;
  case PROTO_MSG_TASK_RESULT: {
    const proto_task_result *r = &m->u.task_result;
    coord_task_result res;
    result_from_msg(&res, r);
    /* A refused result (stale lease, unknown task) is answered with cancel_task: the
     * worker then removes that attempt's staging directory. */
    if (coord_jm_task_result(s->jm, w, r->task_id, r->attempt, r->ok, &res, r->error) != COORD_OK)
      send_cancel(c, r->task_id, r->attempt);
    coord_task_result_free(&res);
    break;
  }
  case PROTO_MSG_DRAIN:
    /* The worker announces its own drain (SIGTERM): no new assignments, and its
     * queued, not-started tasks go back to the pending queue without a retry. */
    coord_jm_worker_drain(s->jm, w);
    break;
  default:
    coord_conn_send_error(c, m->request_id, PROTO_E_NOT_ALLOWED, "message '%s' is not allowed for a worker",
                          proto_msg_type_name(m->type));
  }
}

/* ---------------------------------------------------------------- client requests */

typedef struct submit_ack {
  coord_conn *c;
  uint64_t rid;
  proto_msg_type reply; /* JOB_ACCEPTED or OK */
  char *job_id;
} submit_ack;

/* The store holds what the request changed: acknowledge it. */
static void on_submit_synced(void *ud, const store_reply *r) {
  submit_ack *a = ud;
  coord_conn *c = a->c;
  if (coord_conn_is_open(c)) {
    if (r->status == STORE_ERROR) {
      coord_conn_send_error(c, a->rid, PROTO_E_INTERNAL, "state store did not confirm job %s: %s", a->job_id,
                            r->msg ? r->msg : "error");
    } else {
      proto_msg m = {0};
      m.type = a->reply;
      m.request_id = a->rid;
      if (a->reply == PROTO_MSG_JOB_ACCEPTED) m.u.job_accepted.job_id = a->job_id;
      coord_conn_send(c, &m);
    }
  }
  free(a->job_id);
  free(a);
  coord_conn_unref(c);
}

/* Replies once every record the request changed is confirmed by the store (records
 * written behind are flushed first), so an acknowledged submission survives a
 * coordinator restart against a durable store. */
static void ack_when_stored(coord_conn *c, uint64_t rid, proto_msg_type reply, const char *job_id) {
  coord_server *s = c->srv;
  submit_ack *a = al_xcalloc(1, sizeof *a);
  a->c = c;
  a->rid = rid;
  a->reply = reply;
  a->job_id = al_xstrdup(job_id);
  loop_conn_ref(&c->lc);
  coord_jm_flush(s->jm);
  store_sync(s->st, on_submit_synced, a);
}

static void send_ok(coord_conn *c, uint64_t rid) {
  proto_msg m = {0};
  m.type = PROTO_MSG_OK;
  m.request_id = rid;
  coord_conn_send(c, &m);
}

static coord_job *need_job(coord_conn *c, uint64_t rid, const char *id) {
  coord_job *j = coord_jm_job_find(c->srv->jm, id);
  if (!j) coord_conn_send_error(c, rid, PROTO_E_NOT_FOUND, "job '%s' not found", id);
  return j;
}

/* The job, when c may change it: its creator, or an admin. */
static coord_job *need_own_job(coord_conn *c, uint64_t rid, const char *id, const char *what) {
  coord_job *j = need_job(c, rid, id);
  if (j && c->rights != COORD_RIGHTS_ADMIN && !conn_owns(c, j->id)) {
    coord_conn_send_error(c, rid, PROTO_E_NOT_ALLOWED,
                          "%s: job '%s' was submitted by another connection; only its submitter or an admin may "
                          "change it",
                          what, j->id);
    return NULL;
  }
  return j;
}

/* Output confinement, the same rule as the workers' shards (docs/SECURITY.md): an
 * absolute, clean path that is not a file system root and, when worker_output_root is
 * set, resolves (symlinks included) under it. Returns 1 with why filled when refused. */
/* A submission whose output directory is being prepared off the loop. Owns copies of
 * the fields it needs and holds a reference on its connection. */
typedef struct submit_prep {
  uv_work_t req;
  coord_conn *c;
  uint64_t rid;
  char *job_id;
  coord_job_config cfg; /* input_dir, output_dir, tokenizers_dir, name, long_documents, packing,
                         * jsonl_field owned */
  int mode, verify_sha256;
  int failed;          /* the directory was refused: err says why */
  al_err err;
  coord_resume *resume;
  size_t bad;
  al_err resume_err;
  int done;            /* the pool has finished with it */
  struct submit_prep *next;
} submit_prep;

static int output_dir_refused(const coord_server *s, const char *dir, char *why, size_t cap) {
  if (!al_path_is_clean_abs(dir)) {
    snprintf(why, cap, "output_dir '%s' must be an absolute path without '.', '..' or empty components", dir);
    return 1;
  }
  if (al_path_is_fs_root(dir)) {
    snprintf(why, cap, "output_dir '%s' is a file system root", dir);
    return 1;
  }
  if (s->o.output_root && !al_path_resolved_under(dir, s->o.output_root)) {
    snprintf(why, cap, "output_dir '%s' is outside worker_output_root '%s' (symlinks resolved)", dir,
             s->o.output_root);
    return 1;
  }
  /* Two jobs never share an output directory: the second would remove (--overwrite) or
   * publish over the first one's shards, and both would write index.json. (A server
   * without manifests, in tests and benches, writes nothing there.) */
  for (size_t i = 0; !s->o.no_manifest && i < coord_jm_job_count(s->jm); i++) {
    const coord_job *j = coord_jm_job_at(s->jm, i);
    if (!coord_job_status_is_final(j->status) && strcmp(j->config.output_dir, dir) == 0) {
      snprintf(why, cap, "output_dir '%s' is the output of job %s, which has not finished", dir, j->id);
      return 1;
    }
  }
  for (const submit_prep *p = s->prep_head; p; p = p->next)
    if (strcmp(p->cfg.output_dir, dir) == 0) {
      snprintf(why, cap, "output_dir '%s' is the output of a job being submitted", dir);
      return 1;
    }
  return 0;
}


static void submit_prep_free(submit_prep *p) {
  free(p->job_id);
  free(p->cfg.input_dir);
  free(p->cfg.output_dir);
  free(p->cfg.tokenizers_dir);
  free(p->cfg.name);
  free(p->cfg.long_documents);
  free(p->cfg.packing);
  free(p->cfg.jsonl_field);
  coord_resume_free(p->resume);
  free(p);
}

/* On a pool thread: nothing of the coordinator is touched. */
static void submit_prep_work(uv_work_t *req) {
  submit_prep *p = req->data;
  if (coord_outdir_prepare(p->cfg.output_dir, (coord_out_mode)p->mode, &p->err) != 0) {
    p->failed = 1;
    return;
  }
  if (p->mode == COORD_OUT_RESUME)
    p->resume = coord_resume_load(p->cfg.output_dir, p->cfg.max_seq_len > 0 ? (int)p->cfg.max_seq_len : 4096,
                                  p->cfg.long_documents && strcmp(p->cfg.long_documents, "truncate")
                                      ? p->cfg.long_documents
                                      : NULL,
                                  p->cfg.packing && strcmp(p->cfg.packing, "none") ? p->cfg.packing : NULL,
                                  p->verify_sha256, &p->bad, &p->resume_err);
}

/* Creates the job of a prepared submission (on the loop) and answers it; frees p. */
static void submit_finish(submit_prep *p) {
  coord_conn *c = p->c;
  coord_server *s = c->srv;
  al_err err;
  al_err_clear(&err);
  coord_job *j = NULL;
  if (!coord_conn_is_open(c)) {
    /* the submitter went away: no job; a prepared resume is dropped */
  } else if (s->stopping) {
    coord_conn_send_error(c, p->rid, PROTO_E_BAD_STATE, "the coordinator is shutting down");
  } else if (p->failed) {
    coord_conn_send_error(c, p->rid, PROTO_E_BAD_STATE, "submit_job: %s", p->err.msg);
  } else if (!(j = coord_jm_job_create(s->jm, p->job_id, &p->cfg, &err))) {
    coord_conn_send_error(c, p->rid, (uint32_t)err.code, "submit_job: %s", err.msg);
  }
  if (j) {
    j->verify_sha256 = p->verify_sha256;
    if (p->mode == COORD_OUT_RESUME && !s->o.no_manifest) {
      j->owns_output = 1;
      j->resume = p->resume;
      p->resume = NULL;
      if (!j->resume) al_warn("job %s: %s; every task runs", j->id, p->resume_err.msg);
      else if (p->bad > 0)
        al_warn("job %s: --resume: %zu shards of the previous run do not verify; their tasks run again", j->id, p->bad);
    }
    c->jobs = al_xrealloc(c->jobs, (c->n_jobs + 1) * sizeof *c->jobs);
    c->jobs[c->n_jobs++] = al_xstrdup(j->id);
    ack_when_stored(c, p->rid, PROTO_MSG_JOB_ACCEPTED, j->id);
  }
  submit_prep_free(p);
}

/* Preparations finish in any order on the pool; jobs are created in arrival order, so
 * that pipelined submissions list (and dispatch) in the order they were sent. */
static void submit_prep_after(uv_work_t *req, int status) {
  (void)status; /* the work always runs: requests are never cancelled */
  submit_prep *p = req->data;
  coord_server *s = p->c->srv;
  p->done = 1;
  int finished = 0;
  while (s->prep_head && s->prep_head->done) {
    submit_prep *h = s->prep_head;
    s->prep_head = h->next;
    if (!s->prep_head) s->prep_tail = NULL;
    coord_conn *c = h->c;
    submit_finish(h);
    coord_conn_unref(c);
    finished++;
  }
  while (finished-- > 0) coord_server_handle_closed(s);
}

static void handle_submit_job(coord_conn *c, const proto_msg *m) {
  coord_server *s = c->srv;
  const proto_submit_job *sj = &m->u.submit_job;
  if (s->stopping) {
    coord_conn_send_error(c, m->request_id, PROTO_E_BAD_STATE, "the coordinator is shutting down");
    return;
  }
  if (c->n_jobs >= 4096) {
    coord_conn_send_error(c, m->request_id, PROTO_E_LIMIT,
                          "submit_job: this connection created 4096 jobs; open a new connection");
    return;
  }
  size_t mine = conn_unsealed(c);
  if (mine >= s->o.max_unsealed_per_conn) {
    coord_conn_send_error(c, m->request_id, PROTO_E_LIMIT,
                          "submit_job: this connection holds %zu unsealed jobs (max_unsealed_jobs_per_connection "
                          "%zu); seal or cancel one first",
                          mine, s->o.max_unsealed_per_conn);
    return;
  }
  size_t all = total_unsealed(s->jm);
  if (all >= s->o.max_unsealed) {
    al_warn("coordinator: refusing a job from %s: %zu unsealed jobs (max_unsealed_jobs)", c->addr, all);
    coord_conn_send_error(c, m->request_id, PROTO_E_LIMIT,
                          "submit_job: the coordinator holds %zu unsealed jobs (max_unsealed_jobs %zu); try later",
                          all, s->o.max_unsealed);
    return;
  }
  char why[1024];
  if (output_dir_refused(s, sj->output_dir, why, sizeof why)) {
    al_warn("coordinator: refusing a job from %s: %s", c->addr, why);
    coord_conn_send_error(c, m->request_id, PROTO_E_BAD_FIELD, "submit_job: %s", why);
    return;
  }
  if (!al_path_is_clean_abs(sj->input_dir)) {
    coord_conn_send_error(c, m->request_id, PROTO_E_BAD_FIELD,
                          "submit_job: input_dir '%s' must be an absolute path without '.', '..' or empty "
                          "components",
                          sj->input_dir);
    return;
  }
  coord_job_config cfg = {0};
  cfg.input_dir = (char *)sj->input_dir;
  cfg.output_dir = (char *)sj->output_dir;
  cfg.tokenizers_dir = (char *)sj->tokenizers_dir;
  cfg.max_seq_len = sj->max_seq_len;
  cfg.shard_size = (int64_t)sj->shard_size;
  cfg.timeout_s = sj->timeout_s;
  cfg.task_timeout_s = sj->task_timeout_s;
  cfg.name = (char *)sj->name;
  if (sj->long_documents && strcmp(sj->long_documents, "truncate") && strcmp(sj->long_documents, "split")) {
    coord_conn_send_error(c, m->request_id, PROTO_E_BAD_FIELD,
                          "submit_job: long_documents is '%.64s', expected truncate or split", sj->long_documents);
    return;
  }
  if (sj->packing && strcmp(sj->packing, "none") && strcmp(sj->packing, "greedy")) {
    coord_conn_send_error(c, m->request_id, PROTO_E_BAD_FIELD,
                          "submit_job: packing is '%.64s', expected none or greedy", sj->packing);
    return;
  }
  cfg.long_documents = (char *)sj->long_documents;
  cfg.packing = (char *)sj->packing;
  cfg.detect_text = sj->detect_text;
  cfg.jsonl_field = (char *)sj->jsonl_field;
  int verify_sha256 = 0;
  if (sj->verify_shards && *sj->verify_shards) {
    if (strcmp(sj->verify_shards, "sha256") == 0) verify_sha256 = 1;
    else if (strcmp(sj->verify_shards, "header") != 0) {
      coord_conn_send_error(c, m->request_id, PROTO_E_BAD_FIELD,
                            "submit_job: verify_shards is '%.64s'; expected header or sha256", sj->verify_shards);
      return;
    }
  }
  int mode = coord_out_mode_parse(sj->output_mode);
  if (mode < 0) {
    coord_conn_send_error(c, m->request_id, PROTO_E_BAD_FIELD,
                          "submit_job: output_mode is '%.64s'; expected new, overwrite or resume", sj->output_mode);
    return;
  }
  if (sj->job_id && *sj->job_id && coord_jm_job_find(s->jm, sj->job_id)) {
    coord_conn_send_error(c, m->request_id, PROTO_E_BAD_STATE, "submit_job: job '%s' already exists", sj->job_id);
    return;
  }
  submit_prep *p = al_xcalloc(1, sizeof *p);
  p->c = c;
  p->rid = m->request_id;
  p->job_id = sj->job_id ? al_xstrdup(sj->job_id) : NULL;
  p->cfg = cfg;
  p->cfg.input_dir = al_xstrdup(sj->input_dir);
  p->cfg.output_dir = al_xstrdup(sj->output_dir);
  p->cfg.tokenizers_dir = sj->tokenizers_dir ? al_xstrdup(sj->tokenizers_dir) : NULL;
  p->cfg.name = sj->name ? al_xstrdup(sj->name) : NULL;
  p->cfg.long_documents = sj->long_documents ? al_xstrdup(sj->long_documents) : NULL;
  p->cfg.packing = sj->packing ? al_xstrdup(sj->packing) : NULL;
  p->cfg.jsonl_field = sj->jsonl_field ? al_xstrdup(sj->jsonl_field) : NULL;
  p->mode = mode;
  p->verify_sha256 = verify_sha256;
  al_err_clear(&p->err);
  al_err_clear(&p->resume_err);
  if (s->o.no_manifest) {
    submit_finish(p);
    return;
  }
  /* The directory read, the previous run's removal (overwrite) and the verification of
   * its shards (resume, with sha256 when asked) run on the thread pool: they take as
   * long as the previous output is large, and the loop keeps serving heartbeats. */
  loop_conn_ref(&c->lc);
  if (s->prep_tail) s->prep_tail->next = p;
  else s->prep_head = p;
  s->prep_tail = p;
  s->handles_open++;
  p->req.data = p;
  if (uv_queue_work(s->loop, &p->req, submit_prep_work, submit_prep_after) != 0) {
    submit_prep_work(&p->req);
    submit_prep_after(&p->req, 0);
  }
}

static void handle_submit_tasks(coord_conn *c, const proto_msg *m) {
  const proto_submit_tasks *st = &m->u.submit_tasks;
  coord_job *j = need_own_job(c, m->request_id, st->job_id, "submit_tasks");
  if (!j) return;
  al_err err;
  al_err_clear(&err);
  for (size_t i = 0; i < st->n_tasks; i++) {
    const proto_task_spec *ts = &st->tasks[i];
    if (ts->index < j->total_tasks) continue; /* a resent batch: already have it */
    for (size_t k = 0; k < ts->n_files; k++)
      if (!al_path_lexically_inside(ts->files[k], j->config.input_dir)) {
        coord_conn_send_error(c, m->request_id, PROTO_E_BAD_FIELD,
                              "submit_tasks: tasks[%zu].files[%zu] '%s' is not inside the job's input_dir '%s'", i,
                              k, ts->files[k], j->config.input_dir);
        return;
      }
    if (ts->index > j->total_tasks) {
      coord_conn_send_error(c, m->request_id, PROTO_E_BAD_FIELD,
                            "submit_tasks: tasks[%zu].index is %llu; expected %zu (indexes are consecutive)", i,
                            (unsigned long long)ts->index, j->total_tasks);
      return;
    }
    coord_task_result prev;
    int reuse = j->resume && coord_resume_match(j->resume, ts->files, ts->n_files, &prev);
    coord_task *t = coord_jm_job_add_task_done(c->srv->jm, j, ts->files, ts->n_files, reuse ? &prev : NULL, &err);
    if (reuse) coord_task_result_free(&prev);
    if (!t) {
      coord_conn_send_error(c, m->request_id, (uint32_t)err.code, "submit_tasks: %s", err.msg);
      return;
    }
  }
  ack_when_stored(c, m->request_id, PROTO_MSG_OK, j->id);
}

static void handle_seal(coord_conn *c, const proto_msg *m) {
  coord_job *j = need_own_job(c, m->request_id, m->u.seal_job.job_id, "seal_job");
  if (!j) return;
  if (m->u.seal_job.total_tasks != j->total_tasks) {
    coord_conn_send_error(c, m->request_id, PROTO_E_BAD_STATE,
                          "seal_job: job '%s' has %zu tasks but total_tasks says %llu", j->id, j->total_tasks,
                          (unsigned long long)m->u.seal_job.total_tasks);
    return;
  }
  al_err err;
  al_err_clear(&err);
  if (j->resume) {
    size_t ignored, journaled = coord_resume_journal_lines(j->resume, &ignored);
    al_info("job %s: --resume reused %zu of %zu tasks", j->id, coord_resume_reused(j->resume), j->total_tasks);
    if (journaled || ignored)
      al_info("job %s: --resume: %zu tasks listed by the commit journal of an interrupted run (%zu lines ignored: "
              "torn, unreadable or another layout)", j->id, journaled, ignored);
    coord_resume_free(j->resume);
    j->resume = NULL;
  }
  if (coord_jm_job_seal(c->srv->jm, j, &err) != 0) {
    coord_conn_send_error(c, m->request_id, (uint32_t)err.code, "seal_job: %s", err.msg);
    return;
  }
  send_ok(c, m->request_id);
}

typedef struct stored_status {
  coord_conn *c;
  uint64_t rid;
  char *job_id;
} stored_status;

/* A job this coordinator does not hold in memory (finished before a restart): the
 * answer comes from its record in the store, for as long as the record is kept. */
static void on_stored_job(void *ud, const store_reply *r) {
  stored_status *q = ud;
  coord_conn *c = q->c;
  json_t *doc = NULL;
  if (coord_conn_is_open(c)) {
    if (r->status == STORE_OK && r->value) doc = json_loadb(r->value, r->len, 0, NULL);
    coord_archived_job e;
    if (coord_archived_job_from_record(q->job_id, doc, &e) != 0) {
      coord_conn_send_error(c, q->rid, PROTO_E_NOT_FOUND, "job '%s' not found", q->job_id);
    } else {
      proto_msg m = {0};
      const char *errs[1];
      m.type = PROTO_MSG_JOB_INFO;
      m.request_id = q->rid;
      coord_archived_job_summary(&e, &m.u.job_info, errs);
      coord_conn_send(c, &m);
      coord_archived_job_clear(&e);
    }
  }
  json_decref(doc);
  free(q->job_id);
  free(q);
  coord_conn_unref(c);
}

static void handle_job_status(coord_conn *c, const proto_msg *m) {
  coord_job *j = coord_jm_job_find(c->srv->jm, m->u.job_status.job_id);
  if (!j && !c->srv->o.no_persist) {
    stored_status *q = al_xcalloc(1, sizeof *q);
    q->c = c;
    q->rid = m->request_id;
    q->job_id = al_xstrdup(m->u.job_status.job_id);
    loop_conn_ref(&c->lc);
    char key[512];
    snprintf(key, sizeof key, "job:%s", m->u.job_status.job_id);
    store_get(c->srv->st, key, on_stored_job, q);
    return;
  }
  if (!j) j = need_job(c, m->request_id, m->u.job_status.job_id);
  if (!j) return;
  proto_msg r = {0};
  char ts[2][48];
  const char *errs[16];
  proto_reason_count reasons[COORD_MAX_SKIP_REASONS];
  r.type = PROTO_MSG_JOB_INFO;
  r.request_id = m->request_id;
  job_summary(j, &r.u.job_info, ts, errs, AL_ARRAY_LEN(errs), reasons);
  coord_conn_send(c, &r);
}

/* Jobs per list_jobs reply at most: a summary without errors is a few hundred bytes
 * (names are bounded by the submit checks), so a page stays far below any frame limit. */
#define LIST_JOBS_PAGE_MAX 1000

/* Pages run from the most recent job backwards: `after` names the last job of the
 * previous page, `limit` (0 = the page maximum) caps the page. */
/* Jobs are listed oldest first as one sequence: the finished jobs known only from the
 * store (after a restart), then the jobs in memory. */
static const char *listed_id(coord_server *s, size_t i) {
  return i < s->archive.n ? s->archive.v[i].id : coord_jm_job_at(s->jm, i - s->archive.n)->id;
}

static void handle_list_jobs(coord_conn *c, const proto_msg *m) {
  coord_server *srv = c->srv;
  coord_jm *jm = srv->jm;
  size_t na = srv->archive.n;
  size_t total = na + coord_jm_job_count(jm);
  size_t end = total; /* jobs [first, end) are listed, oldest first */
  const char *after = m->u.list_jobs.after;
  if (after && *after) {
    size_t k = total;
    while (k > 0 && strcmp(listed_id(srv, k - 1), after) != 0) k--;
    if (k == 0) {
      coord_conn_send_error(c, m->request_id, PROTO_E_NOT_FOUND, "list_jobs.after: job '%s' not found", after);
      return;
    }
    end = k - 1;
  }
  size_t n = end;
  size_t cap = m->u.list_jobs.limit && m->u.list_jobs.limit < LIST_JOBS_PAGE_MAX ? m->u.list_jobs.limit
                                                                                  : LIST_JOBS_PAGE_MAX;
  if (n > cap) n = cap;
  size_t first = end - n;
  proto_job_summary *js = al_xcalloc(n ? n : 1, sizeof *js);
  char(*ts)[2][48] = al_xcalloc(n ? n : 1, sizeof *ts);
  const char **errs = al_xcalloc(n ? n : 1, sizeof *errs);
  for (size_t i = 0; i < n; i++) {
    size_t k = first + i;
    if (k < na) coord_archived_job_summary(&srv->archive.v[k], &js[i], &errs[i]);
    else job_summary(coord_jm_job_at(jm, k - na), &js[i], ts[i], NULL, 0, NULL);
  }
  proto_msg r = {0};
  r.type = PROTO_MSG_JOBS;
  r.request_id = m->request_id;
  r.u.jobs.jobs = js;
  r.u.jobs.n_jobs = n;
  r.u.jobs.more = first > 0;
  coord_conn_send(c, &r);
  free(js);
  free(ts);
  free(errs);
}

static void handle_list_workers(coord_conn *c, const proto_msg *m) {
  coord_jm *jm = c->srv->jm;
  size_t n = coord_jm_worker_count(jm);
  proto_worker_info *wi = al_xcalloc(n ? n : 1, sizeof *wi);
  double now = hk_now(c->srv);
  for (size_t i = 0; i < n; i++) {
    coord_worker *w = coord_jm_worker_at(jm, i);
    wi[i].worker_id = w->id;
    wi[i].slots = (uint32_t)w->slots;
    wi[i].running = (uint32_t)w->running.n;
    wi[i].queued = (uint32_t)w->queued.n;
    wi[i].cpu_percent = w->cpu < 0 ? 0 : w->cpu;
    wi[i].mem_percent = w->mem < 0 ? 0 : w->mem;
    wi[i].tasks_completed = w->tasks_completed;
    wi[i].tasks_failed = w->tasks_failed;
    wi[i].last_seen_s = now - w->last_seen;
    wi[i].state = w->draining ? "draining" : w->connected ? "alive" : "disconnected";
    wi[i].rss_bytes = w->rss_bytes;
    wi[i].bytes_processed = w->bytes_processed;
    wi[i].tokens = w->tokens;
    wi[i].uptime_s = w->uptime_s;
  }
  proto_msg r = {0};
  r.type = PROTO_MSG_WORKERS;
  r.request_id = m->request_id;
  r.u.workers.workers = wi;
  r.u.workers.n_workers = n;
  coord_conn_send(c, &r);
  free(wi);
}

static void handle_get_task(coord_conn *c, const proto_msg *m) {
  coord_task *t = coord_jm_task_find(c->srv->jm, m->u.get_task.task_id);
  if (!t) {
    coord_conn_send_error(c, m->request_id, PROTO_E_NOT_FOUND, "task '%s' not found", m->u.get_task.task_id);
    return;
  }
  proto_msg r = {0};
  r.type = PROTO_MSG_TASK_INFO;
  r.request_id = m->request_id;
  r.u.task_info.task_id = t->id;
  r.u.task_info.job_id = t->job->id;
  r.u.task_info.status = coord_task_status_name(t->status);
  r.u.task_info.attempts = t->attempt;
  r.u.task_info.retries = (uint32_t)t->retries;
  r.u.task_info.worker_id = t->worker ? t->worker->id : t->last_worker_id;
  r.u.task_info.error = t->error;
  r.u.task_info.files = t->n_files;
  coord_conn_send(c, &r);
}

static void handle_set_strategy(coord_conn *c, const proto_msg *m) {
  int k = coord_strategy_parse(m->u.set_strategy.name);
  if (k < 0) {
    coord_conn_send_error(c, m->request_id, PROTO_E_BAD_FIELD,
                          "set_strategy.name '%s' is not one of round_robin, least_busy, dynamic",
                          m->u.set_strategy.name);
    return;
  }
  coord_jm_set_strategy(c->srv->jm, (coord_strategy_kind)k);
  send_ok(c, m->request_id);
}

static void handle_cancel(coord_conn *c, const proto_msg *m) {
  coord_job *j = need_own_job(c, m->request_id, m->u.cancel_job.job_id, "cancel_job");
  if (!j) return;
  if (coord_jm_job_cancel(c->srv->jm, j, "job cancelled") != 0) {
    coord_conn_send_error(c, m->request_id, PROTO_E_BAD_STATE, "job '%s' is already %s", j->id,
                          coord_job_status_name(j->status));
    return;
  }
  send_ok(c, m->request_id);
}

static void handle_drain(coord_conn *c, const proto_msg *m) {
  const char *wid = m->u.drain.worker_id;
  coord_worker *w = wid ? coord_jm_worker_find(c->srv->jm, wid) : NULL;
  if (!w) {
    coord_conn_send_error(c, m->request_id, PROTO_E_NOT_FOUND, "drain: worker '%s' not found",
                          wid ? wid : "(none given)");
    return;
  }
  if (w->conn) {
    proto_msg d = {0};
    d.type = PROTO_MSG_DRAIN;
    d.u.drain.worker_id = w->id;
    coord_conn_send(w->conn, &d);
  }
  coord_jm_worker_drain(c->srv->jm, w);
  send_ok(c, m->request_id);
}

static void handle_subscribe(coord_conn *c, const proto_msg *m) {
  coord_job *j = need_job(c, m->request_id, m->u.subscribe.job_id);
  if (!j) return;
  if (!conn_subscribed_to(c, j->id)) {
    if (c->n_subs >= 64) {
      coord_conn_send_error(c, m->request_id, PROTO_E_BAD_STATE, "subscribe: at most 64 jobs per connection");
      return;
    }
    c->subs = al_xrealloc(c->subs, (c->n_subs + 1) * sizeof *c->subs);
    c->subs[c->n_subs++] = al_xstrdup(j->id);
    if (!c->subscribed) {
      c->subscribed = 1;
      c->srv->n_subscribers++;
    }
  }
  send_progress(c, j, m->request_id); /* the current state, as the reply */
}

static void handle_client_msg(coord_conn *c, const proto_msg *m) {
  if ((m->type == PROTO_MSG_SET_STRATEGY || m->type == PROTO_MSG_DRAIN) && c->rights != COORD_RIGHTS_ADMIN) {
    coord_conn_send_error(c, m->request_id, PROTO_E_NOT_ALLOWED,
                          "message '%s' needs the admin role (connect as admin with the admin token)",
                          proto_msg_type_name(m->type));
    return;
  }
  switch (m->type) {
  case PROTO_MSG_SUBMIT_JOB: handle_submit_job(c, m); break;
  case PROTO_MSG_SUBMIT_TASKS: handle_submit_tasks(c, m); break;
  case PROTO_MSG_SEAL_JOB: handle_seal(c, m); break;
  case PROTO_MSG_JOB_STATUS: handle_job_status(c, m); break;
  case PROTO_MSG_LIST_JOBS: handle_list_jobs(c, m); break;
  case PROTO_MSG_LIST_WORKERS: handle_list_workers(c, m); break;
  case PROTO_MSG_GET_TASK: handle_get_task(c, m); break;
  case PROTO_MSG_SET_STRATEGY: handle_set_strategy(c, m); break;
  case PROTO_MSG_CANCEL_JOB: handle_cancel(c, m); break;
  case PROTO_MSG_DRAIN: handle_drain(c, m); break;
  case PROTO_MSG_SUBSCRIBE: handle_subscribe(c, m); break;
  default:
    coord_conn_send_error(c, m->request_id, PROTO_E_NOT_ALLOWED, "message '%s' is not allowed for a %s",
                          proto_msg_type_name(m->type), proto_role_name(c->role));
  }
}

void coord_server_handle_frame(coord_conn *c, const uint8_t *payload, size_t len) {
  proto_msg m;
  al_err err;
  al_err_clear(&err);
  if (proto_msg_decode(payload, len, &m, &err) != 0) {
    al_warn("coordinator: bad message from %s: %s", conn_name(c), err.msg);
    coord_conn_send_error(c, m.request_id, (uint32_t)(err.code ? err.code : PROTO_E_BAD_FRAME), "%s", err.msg);
    /* a stream that carried garbage or an unknown type cannot be trusted further */
    if (err.code != PROTO_E_BAD_FIELD || !c->hello_done) coord_conn_close_after_flush(c);
    return;
  }
  if (!c->hello_done && !c->loopback && coord_guard_protected(&c->srv->o)) {
    al_warn("coordinator: refusing %s: protected mode (no auth token configured, only loopback peers are served)",
            c->addr);
    send_refuse(c, PROTO_E_AUTH,
                "protected mode: this coordinator has no auth token configured, so it serves only loopback "
                "peers. Set coordinator.auth_token (or AURALITH_AUTH_TOKEN, or the per-role worker_token / "
                "client_token / admin_token) on the coordinator and give the same token to its peers, or "
                "connect from the coordinator's host");
  } else if (!c->hello_done) {
    if (m.type != PROTO_MSG_HELLO) {
      coord_conn_send_error(c, m.request_id, PROTO_E_BAD_STATE, "the first message must be hello, got '%s'",
                            proto_msg_type_name(m.type));
      coord_conn_close_after_flush(c);
    } else {
      handle_hello(c, &m);
    }
  } else if (m.type == PROTO_MSG_HELLO) {
    coord_conn_send_error(c, m.request_id, PROTO_E_BAD_STATE, "hello was already received");
  } else if (c->role == PROTO_ROLE_WORKER) {
    handle_worker_msg(c, &m);
  } else {
    handle_client_msg(c, &m);
  }
  proto_msg_free(&m);
}

void coord_server_conn_closed(coord_conn *c) {
  coord_server *s = c->srv;
  if (c->subscribed) s->n_subscribers--;
  if (c->peer) coord_peer_release(&s->peers, c->peer);
  c->peer = NULL;
  /* Unsealed jobs whose submitter is gone can never be sealed: they expire now
   * rather than hold their slot of max_unsealed_jobs (not on stop: a restarted
   * coordinator recovers them as any other unfinished job). */
  for (size_t i = 0; i < c->n_jobs && !s->stopping; i++) {
    coord_job *j = coord_jm_job_find(s->jm, c->jobs[i]);
    if (j && !j->sealed && !coord_job_status_is_final(j->status)) {
      al_warn("coordinator: job %s expired: its submitter (%s) disconnected before sealing it", j->id, c->addr);
      coord_jm_job_cancel(s->jm, j, "submitter disconnected before sealing the job");
    }
  }
  if (c->worker) {
    coord_worker *w = c->worker;
    c->worker = NULL;
    if (w->conn == c) coord_jm_worker_disconnected(s->jm, w);
  }
}

/* ---------------------------------------------------------------- lifecycle */

static void on_guard_timer(uv_timer_t *h);

coord_server *coord_server_new(uv_loop_t *loop, const coord_options *o, al_err *err) {
  loop_tls_ctx *tls = NULL;
  if ((o->tls_cert && *o->tls_cert) || (o->tls_key && *o->tls_key)) {
    tls = loop_tls_server_ctx(o->tls_cert, o->tls_key, o->tls_ca, o->tls_require_client_cert, err);
    if (!tls) return NULL;
  } else if (o->tls_require_client_cert) {
    al_err_set(err, AL_E_FAILED, "coordinator.tls_require_client_cert needs TLS: set coordinator.tls_cert and tls_key");
    return NULL;
  }
  coord_server *s = al_xcalloc(1, sizeof *s);
  s->tls = tls;
  s->loop = loop;
  s->o = *o;
  if (!s->o.host) s->o.host = "127.0.0.1";
  if (!s->o.out_soft_limit) s->o.out_soft_limit = (size_t)1 << 20;
  if (!s->o.out_hard_limit) s->o.out_hard_limit = (size_t)64 << 20;
  if (s->o.out_hard_limit < s->o.out_soft_limit) s->o.out_hard_limit = s->o.out_soft_limit;
  if (!s->o.max_connections) s->o.max_connections = 65536;
  if (!s->o.frames_per_wakeup) s->o.frames_per_wakeup = 64;
  if (s->o.hello_timeout_s <= 0) s->o.hello_timeout_s = 10;
  if (!s->o.max_conns_per_peer) s->o.max_conns_per_peer = 256;
  if (!s->o.max_unauth_bytes) s->o.max_unauth_bytes = (size_t)16 << 20;
  if (!s->o.max_unsealed_per_conn) s->o.max_unsealed_per_conn = 16;
  if (!s->o.max_unsealed) s->o.max_unsealed = 256;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) s->fd_limit = (size_t)rl.rlim_cur;
  s->st = o->st;
  if (!s->st) {
    s->st = store_memory_new(NULL, NULL);
    s->own_store = 1;
  }
  coord_jm_hooks h = {.ud = s, .now = hk_now, .assign = hk_assign, .revoke = hk_revoke, .job_changed = hk_job_changed,
                      .worker_gone = hk_worker_gone, .timer = hk_timer};
  if (!s->o.no_manifest) { /* protocol tests and benchmarks run without output handling */
    h.commit = hk_commit;
    h.finalize = hk_finalize;
    h.restore = hk_restore;
  }
  coord_jm_records rec;
  if (!s->o.no_persist) {
    s->persist = coord_persist_new(s->st, s->o.jm.heartbeat_timeout, s->o.jm.retention);
    coord_persist_records(s->persist, &rec);
  }
  s->jm = coord_jm_new(&s->o.jm, &h, s->persist ? &rec : NULL);
  uv_timer_init(loop, &s->timer);
  s->timer.data = s;
  loop_limits lim = {.max_frame = s->o.max_frame, .out_soft_limit = s->o.out_soft_limit,
                     .out_hard_limit = s->o.out_hard_limit, .frames_per_wakeup = s->o.frames_per_wakeup,
                     .trim_when_idle = 1};
  loop_group_init(&s->conns_grp, loop, &lim, &coord_conn_cbs);
  s->conns_grp.data = s;
  uv_timer_init(loop, &s->hello_timer);
  s->hello_timer.data = s;
  uv_timer_init(loop, &s->guard_timer);
  s->guard_timer.data = s;
  if (s->o.client_idle_timeout_s > 0) {
    double every = s->o.client_idle_timeout_s / 4;
    uint64_t ms = (uint64_t)((every < 0.05 ? 0.05 : every > 5 ? 5 : every) * 1000.0);
    uv_timer_start(&s->guard_timer, on_guard_timer, ms, ms);
  }
  s->handles_open = 4;
  (void)err;
  return s;
}

coord_jm *coord_server_jm(coord_server *s) { return s->jm; }
coord_persist *coord_server_persist(coord_server *s) { return s->persist; }
coord_archive *coord_server_archive(coord_server *s) { return &s->archive; }
size_t coord_server_conn_count(const coord_server *s) { return s->n_conns; }
int coord_server_port(const coord_server *s) { return s->port; }

/* ---------------------------------------------------------------- admission */

/* The connection to give up for room: the oldest one still owing its hello, else the
 * client/admin connection idle longest. Workers are never chosen. */
static coord_conn *eviction_victim(coord_server *s, const coord_conn *except) {
  if (s->hw_head && s->hw_head != except) return s->hw_head;
  coord_conn *best = NULL;
  for (coord_conn *c = s->conns; c; c = c->next)
    if (c != except && c->hello_done && c->role != PROTO_ROLE_WORKER && coord_conn_is_open(c) &&
        (!best || c->last_active < best->last_active))
      best = c;
  return best;
}

static void evict(coord_server *s, coord_conn *v, const char *why) {
  s->evictions++;
  double now = al_mono_s();
  if (now - s->evict_logged_at >= 5.0) { /* one counted line per 5 s under a flood */
    al_warn("coordinator: %s: closing the %s connection from %s to make room (%llu closed so far)", why,
            v->hello_done ? "idle client" : "unauthenticated", v->addr, s->evictions);
    s->evict_logged_at = now;
  }
  coord_conn_close(v, why); /* the descriptor must be free now, not after a write */
}

/* Checks a freshly accepted TCP peer. Returns 0 to serve it, -1 when it was closed. */
static int admit(coord_server *s, coord_conn *c, uv_tcp_t *tcp) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) == 0)
    coord_guard_addr(&ss, c->addr, sizeof c->addr, &c->loopback);
  else {
    snprintf(c->addr, sizeof c->addr, "unknown");
    c->loopback = 0;
  }
  coord_peer *p = coord_peer_get(&s->peers, c->addr);
  if (p->conns >= s->o.max_conns_per_peer) {
    s->peer_cap_refusals++;
    double now = al_mono_s();
    if (now - s->peer_cap_logged_at >= 5.0) { /* one counted line per 5 s, never one per refusal */
      al_warn("coordinator: %s already has %zu connections (max_connections_per_peer); refused %llu "
              "connection(s) over the cap so far",
              c->addr, p->conns, s->peer_cap_refusals);
      s->peer_cap_logged_at = now;
    }
    coord_conn_close(c, "too many connections from this address");
    return -1;
  }
  p->conns++;
  c->peer = p;
  /* Unauthenticated peers together may hold at most max_unauth_bytes of input buffer
   * (each at most one pre-hello frame): past that the oldest of them makes room. */
  size_t unauth_cap = s->o.max_unauth_bytes / (COORD_PRE_HELLO_MAX_FRAME + PROTO_HEADER_SIZE);
  if (s->n_hello_waiting >= (unauth_cap ? unauth_cap : 1) && s->hw_head)
    evict(s, s->hw_head, "too many connections owe their hello (max_unauthenticated_bytes)");
  /* Near the open-files limit: free a descriptor now, so the next worker can join. */
  if (s->fd_limit && s->n_conns + 32 >= s->fd_limit) {
    coord_conn *v = eviction_victim(s, c);
    if (v) evict(s, v, "near the open-files limit");
  }
  return 0;
}

/* Closes client/admin connections idle past client_idle_timeout. Connections that
 * follow a running job wait for its events and are not idle. */
static void on_guard_timer(uv_timer_t *h) {
  coord_server *s = h->data;
  double now = (double)uv_now(s->loop) / 1000.0;
  for (coord_conn *c = s->conns; c; c = c->next) {
    if (!c->hello_done || c->role == PROTO_ROLE_WORKER || !coord_conn_is_open(c)) continue;
    if (now - c->last_active < s->o.client_idle_timeout_s) continue;
    int following = 0;
    for (size_t i = 0; i < c->n_subs && !following; i++) {
      const coord_job *j = coord_jm_job_find(s->jm, c->subs[i]);
      following = j && !coord_job_status_is_final(j->status);
    }
    if (following) continue;
    al_info("coordinator: closing the %s connection from %s: idle for %.0fs (client_idle_timeout)",
            proto_role_name(c->role), c->addr, now - c->last_active);
    coord_conn_send_error(c, 0, PROTO_E_LIMIT, "idle for %gs (client_idle_timeout): connection closed",
                          s->o.client_idle_timeout_s);
    coord_conn_close_after_flush(c);
  }
}

static void on_connection(uv_stream_t *server, int status) {
  coord_server *s = server->data;
  if (status < 0) {
    /* Out of file descriptors, every pending connection fails at once and keeps
     * failing: one line every 5 s with a count, never a line per failure. */
    s->accept_failures++;
    double now = al_mono_s();
    if (now - s->accept_fail_logged_at >= 5.0) {
      al_warn("coordinator: accept failed %llu time(s) in the last %.0fs: %s%s", (unsigned long long)s->accept_failures,
              s->accept_fail_logged_at > 0 ? now - s->accept_fail_logged_at : 0.0, uv_strerror(status),
              status == UV_EMFILE || status == UV_ENFILE ? " (raise the open-files limit: ulimit -n)" : "");
      s->accept_fail_logged_at = now;
      s->accept_failures = 0;
    }
    return;
  }
  uv_tcp_t *tcp;
  coord_conn *c = coord_conn_new_tcp(s, &tcp);
  if (uv_accept(server, (uv_stream_t *)tcp) != 0) {
    coord_conn_close(c, "accept failed");
    return;
  }
  if (s->stopping || s->n_conns > s->o.max_connections) {
    coord_conn_close(c, s->stopping ? "shutting down" : "too many connections");
    return;
  }
  if (admit(s, c, tcp) != 0) return;
  uv_tcp_nodelay(tcp, 1);
  if (s->tls && coord_conn_start_tls(c, tcp, s->tls) != 0) return;
  coord_conn_start(c);
}

static int resolve(uv_loop_t *loop, const char *host, int port, struct sockaddr_storage *ss, al_err *err) {
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (uv_ip4_addr(host, port, a4) == 0) return 0;
  if (uv_ip6_addr(host, port, a6) == 0) return 0;
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  /* startup only: a blocking lookup before the loop serves anyone */
  int rc = uv_getaddrinfo(loop, &req, NULL, host, NULL, &hints);
  if (rc != 0) return al_err_set(err, AL_E_FAILED, "coordinator host '%s': %s", host, uv_strerror(rc));
  memcpy(ss, req.addrinfo->ai_addr, req.addrinfo->ai_addrlen);
  if (ss->ss_family == AF_INET) a4->sin_port = htons((uint16_t)port);
  else a6->sin6_port = htons((uint16_t)port);
  uv_freeaddrinfo(req.addrinfo);
  return 0;
}

int coord_server_listen(coord_server *s, al_err *err) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  if (resolve(s->loop, s->o.host, s->o.port, &ss, err) != 0) return -1;
  uv_tcp_init(s->loop, &s->listener);
  s->listener.data = s;
  s->listening = 1;
  s->handles_open++;
  int rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&ss, 0); /* "::" also takes IPv4 */
  if (rc == 0) rc = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
  if (rc != 0)
    return al_err_set(err, AL_E_FAILED, "cannot listen on %s port %d: %s", s->o.host, s->o.port, uv_strerror(rc));
  struct sockaddr_storage bound;
  int len = sizeof bound;
  uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
  s->port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                             : ((struct sockaddr_in6 *)&bound)->sin6_port);
  return 0;
}

int coord_server_attach_stream(coord_server *s, uv_stream_t *stream, al_err *err) {
  coord_conn *c = coord_conn_new_stream(s, stream);
  if (s->stopping) {
    coord_conn_close(c, "shutting down");
    return al_err_set(err, AL_E_FAILED, "coordinator is shutting down");
  }
  coord_conn_start(c);
  return 0;
}

int coord_server_attach_fd(coord_server *s, int fd, al_err *err) {
  uv_pipe_t *p = al_xcalloc(1, sizeof *p);
  uv_pipe_init(s->loop, p, 0);
  int rc = uv_pipe_open(p, fd);
  if (rc != 0) {
    al_err_set(err, AL_E_FAILED, "cannot serve fd %d: %s", fd, uv_strerror(rc));
    uv_close((uv_handle_t *)p, (uv_close_cb)free);
    return -1;
  }
  return coord_server_attach_stream(s, (uv_stream_t *)p, err);
}

static void on_server_handle_closed(uv_handle_t *h) { coord_server_handle_closed(h->data); }
static void on_conns_grp_closed(loop_group *g) { coord_server_handle_closed(g->data); }

static void maybe_close_core(coord_server *s);

void coord_server_handle_closed(coord_server *s) {
  s->handles_open--;
  if (s->stopping && s->flushed && s->n_conns == 0) maybe_close_core(s);
  if (s->stopping && s->handles_open == 0 && !s->stopped_fired) {
    s->stopped_fired = 1;
    if (s->on_stopped) s->on_stopped(s->on_stopped_ud);
  }
}

/* Closes the timer and idle handles once every connection is gone. */
static void maybe_close_core(coord_server *s) {
  if (s->n_conns > 0 || uv_is_closing((uv_handle_t *)&s->timer)) return;
  uv_timer_stop(&s->timer);
  uv_close((uv_handle_t *)&s->timer, on_server_handle_closed);
  loop_group_close(&s->conns_grp, on_conns_grp_closed);
  uv_close((uv_handle_t *)&s->hello_timer, on_server_handle_closed);
  uv_close((uv_handle_t *)&s->guard_timer, on_server_handle_closed);
}

static void on_force_close(uv_timer_t *h) {
  coord_server *s = h->data;
  for (coord_conn *c = s->conns; c; c = c->next) coord_conn_close(c, "shutdown grace period over");
  uv_timer_start(&s->timer, on_force_close, 50, 0);
  maybe_close_core(s);
}

static void on_store_flushed(void *ud, const store_reply *r) {
  coord_server *s = ud;
  s->flushed = 1;
  for (coord_conn *c = s->conns; c; c = c->next) coord_conn_close_after_flush(c);
  if (s->n_conns == 0) {
    maybe_close_core(s);
    return;
  }
  /* peers that do not read their last frames get two seconds */
  uv_timer_start(&s->timer, on_force_close, 2000, 0);
}

void coord_server_stop(coord_server *s, void (*on_stopped)(void *ud), void *ud) {
  if (s->stopping) return;
  s->stopping = 1;
  s->on_stopped = on_stopped;
  s->on_stopped_ud = ud;
  al_info("coordinator: stopping");
  if (s->o.lease) coord_lease_stop_waiting(s->o.lease); /* nothing waits for a lease confirmation now */
  uv_timer_stop(&s->timer);
  uv_timer_stop(&s->hello_timer);
  uv_timer_stop(&s->guard_timer);
  if (s->listening) {
    s->listening = 0;
    uv_close((uv_handle_t *)&s->listener, on_server_handle_closed);
  }
  for (coord_conn *c = s->conns; s->o.drain_workers_on_stop && c; c = c->next)
    if (c->worker && coord_conn_is_open(c)) {
      proto_msg d = {0};
      d.type = PROTO_MSG_DRAIN;
      d.u.drain.worker_id = c->worker->id;
      coord_conn_send(c, &d);
    }
  coord_jm_flush(s->jm); /* records written behind go out before the barrier */
  store_sync(s->st, on_store_flushed, s);
}

void coord_server_free(coord_server *s) {
  if (!s) return;
  for (size_t i = 0; i < coord_jm_job_count(s->jm); i++) { /* jobs never sealed */
    coord_job *j = coord_jm_job_at(s->jm, i);
    coord_resume_free(j->resume);
    j->resume = NULL;
  }
  coord_jm_free(s->jm);
  coord_persist_free(s->persist);
  coord_archive_free(&s->archive);

  coord_peer_table_free(&s->peers);
  if (s->own_store) store_destroy(s->st);
  loop_tls_ctx_free(s->tls);
  free(s);
}
