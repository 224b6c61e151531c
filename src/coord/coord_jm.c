/* Job manager core: dispatch on capacity, leases, retries with backoff, dead-worker
 * reclamation, work stealing, task and job timeouts, cancellation and completion.
 * Single-threaded; see coord_jm.h for the contract and the task state machine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "shard/source.h"
#include "coord/coord_heap.h"
#include "coord/coord_jm.h"
#include "coord/coord_map.h"
#include "coord/coord_reason.h"
#include "coord/coord_strategy.h"

enum { TK_WORKER = 1, TK_TASK, TK_JOB, TK_STEAL, TK_FLUSH, TK_RETAIN };

/* Job counter updates are written to the store at most this often (write-behind);
 * creation and final states are written at once. */
#define JOB_FLUSH_DELAY 0.05

#define CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct coord_jm {
  coord_jm_params p;
  coord_jm_hooks h;
  coord_jm_records rec;
  coord_heap heap;
  double reported_deadline;
  coord_map jobs_by_id;
  coord_job **jobs;
  size_t n_jobs, cap_jobs;
  coord_worker **workers; /* in join order (round robin order) */
  size_t n_workers, cap_workers;
  coord_worker **cand;    /* scratch for dispatch */
  size_t cap_cand;
  coord_task_list pending;
  coord_timer steal_timer; /* when the oldest not-yet-stealable queued task becomes stealable */
  coord_timer flush_timer; /* write-behind: the flush record hook is due */
  size_t n_backoff;
  size_t rr_index;
  uint64_t stale;
  uint64_t attempts_failed[COORD_REASON_COUNT_]; /* by coord_reason, for /metrics */
  int dispatching;
  char instance[9];        /* random per manager: staging names never repeat across restarts */
};

/* ---------------------------------------------------------------- small helpers */

static double jm_now(coord_jm *jm) { return jm->h.now ? jm->h.now(jm->h.ud) : al_mono_s(); }
static double jm_wall(coord_jm *jm) { return jm->h.wall ? jm->h.wall(jm->h.ud) : al_wall_s(); }

static void list_push_tail(coord_task_list *l, coord_task *t) {
  t->next = NULL;
  t->prev = l->tail;
  if (l->tail) l->tail->next = t;
  else l->head = t;
  l->tail = t;
  l->n++;
}

static void list_push_head(coord_task_list *l, coord_task *t) {
  t->prev = NULL;
  t->next = l->head;
  if (l->head) l->head->prev = t;
  else l->tail = t;
  l->head = t;
  l->n++;
}

static void list_remove(coord_task_list *l, coord_task *t) {
  if (t->prev) t->prev->next = t->next;
  else l->head = t->next;
  if (t->next) t->next->prev = t->prev;
  else l->tail = t->prev;
  t->prev = t->next = NULL;
  l->n--;
}

static void report_deadline(coord_jm *jm) {
  double d = coord_jm_next_deadline(jm);
  if (d == jm->reported_deadline) return;
  jm->reported_deadline = d;
  if (jm->h.timer) jm->h.timer(jm->h.ud, d);
}

/* src may be *dst itself (copied before the old value is freed). */
static void set_str(char **dst, const char *src) {
  char *copy = src ? al_xstrdup(src) : NULL;
  free(*dst);
  *dst = copy;
}

/* ---------------------------------------------------------------- records */

/* What changed is reported through the record hooks (coord_persist writes the store);
 * the manager only keeps the write-behind deadline in its heap. */

static void arm_flush(coord_jm *jm) {
  if (!coord_timer_armed(&jm->flush_timer)) coord_heap_arm(&jm->heap, &jm->flush_timer, jm_now(jm) + JOB_FLUSH_DELAY);
}

/* The task changed: its record (and its list membership) is written behind. */
static void persist_task(coord_jm *jm, coord_task *t) {
  if (!jm->rec.task_changed) return;
  jm->rec.task_changed(jm->rec.ud, t);
  arm_flush(jm);
}

/* Counters changed: the record is rewritten within JOB_FLUSH_DELAY. */
static void persist_job_soon(coord_jm *jm, coord_job *j) {
  if (!jm->rec.job_changed) return;
  jm->rec.job_changed(jm->rec.ud, j);
  arm_flush(jm);
}

static void flush_records(coord_jm *jm) {
  if (jm->rec.flush) jm->rec.flush(jm->rec.ud);
}

/* ---------------------------------------------------------------- parameters */

void coord_jm_params_default(coord_jm_params *p) {
  memset(p, 0, sizeof *p);
  p->heartbeat_interval = 10;
  p->heartbeat_timeout = 30;
  p->max_retries = 3;
  p->retry_backoff = 5;
  p->retry_backoff_multiplier = 2;
  p->max_retry_backoff = 300;
  p->task_timeout = 3600;
  p->prefetch = 2;
  p->strategy = COORD_STRATEGY_ROUND_ROBIN;
  p->work_stealing = 1;
  p->steal_after = 1;
}

coord_jm *coord_jm_new(const coord_jm_params *p, const coord_jm_hooks *h, const coord_jm_records *rec) {
  coord_jm *jm = al_xcalloc(1, sizeof *jm);
  jm->p = *p;
  if (jm->p.prefetch < 0) jm->p.prefetch = 0;
  if (h) jm->h = *h;
  if (rec) jm->rec = *rec;
  jm->reported_deadline = -1;
  coord_timer_init(&jm->steal_timer, TK_STEAL);
  coord_timer_init(&jm->flush_timer, TK_FLUSH);
  coord_map_init(&jm->jobs_by_id);
  unsigned char r[4] = {0};
  FILE *f = fopen("/dev/urandom", "rb");
  if (!f || fread(r, 1, sizeof r, f) != sizeof r) {
    uint64_t x = al_mono_ns() ^ (uint64_t)(uintptr_t)jm;
    memcpy(r, &x, sizeof r);
  }
  if (f) fclose(f);
  snprintf(jm->instance, sizeof jm->instance, "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
  return jm;
}

const coord_jm_params *coord_jm_params_get(const coord_jm *jm) { return &jm->p; }
void coord_jm_set_strategy(coord_jm *jm, coord_strategy_kind k) {
  if (jm->p.strategy != k)
    al_info("coordinator: strategy %s -> %s", coord_strategy_name(jm->p.strategy),
            coord_strategy_name(k));
  jm->p.strategy = k;
}
coord_strategy_kind coord_jm_strategy(const coord_jm *jm) { return jm->p.strategy; }
size_t coord_jm_pending_count(const coord_jm *jm) { return jm->pending.n; }
size_t coord_jm_backoff_count(const coord_jm *jm) { return jm->n_backoff; }
uint64_t coord_jm_stale_count(const coord_jm *jm) { return jm->stale; }
uint64_t coord_jm_attempts_failed(const coord_jm *jm, int reason) {
  return reason >= 0 && reason < COORD_REASON_COUNT_ ? jm->attempts_failed[reason] : 0;
}
size_t coord_jm_worker_count(const coord_jm *jm) { return jm->n_workers; }
coord_worker *coord_jm_worker_at(const coord_jm *jm, size_t i) {
  return i < jm->n_workers ? jm->workers[i] : NULL;
}
size_t coord_jm_job_count(const coord_jm *jm) { return jm->n_jobs; }
coord_job *coord_jm_job_at(const coord_jm *jm, size_t i) { return i < jm->n_jobs ? jm->jobs[i] : NULL; }

double coord_jm_next_deadline(const coord_jm *jm) {
  coord_timer *t = coord_heap_top(&jm->heap);
  return t ? t->deadline : -1;
}

/* ---------------------------------------------------------------- task placement */

static void task_free(coord_task *t) {
  free(t->id);
  for (size_t i = 0; i < t->n_files; i++) free(t->files[i]);
  free(t->files);
  free(t->output_dir);
  free(t->staging_dir);
  free(t->last_worker_id);
  coord_task_result_free(&t->result);
  free(t->error);
  free(t->queue_item);
  free(t->listed_key);
  free(t);
}

/* Removes t from wherever it sits (queue, worker list, backoff, timers). */
static void task_detach(coord_jm *jm, coord_task *t) {
  switch (t->place) {
  case COORD_IN_PENDING:
    list_remove(&jm->pending, t);
    break;
  case COORD_IN_BACKOFF:
    coord_heap_cancel(&jm->heap, &t->timer);
    jm->n_backoff--;
    break;
  case COORD_IN_QUEUED:
    list_remove(&t->worker->queued, t);
    break;
  case COORD_IN_RUNNING:
    list_remove(&t->worker->running, t);
    coord_heap_cancel(&jm->heap, &t->timer);
    break;
  case COORD_IN_COMMITTING:
    t->job->committing--;
    break;
  case COORD_IN_NONE:
    break;
  }
  t->place = COORD_IN_NONE;
  t->worker = NULL;
}

static void to_pending(coord_jm *jm, coord_task *t, int at_head) {
  t->status = COORD_TASK_PENDING;
  t->place = COORD_IN_PENDING;
  t->worker = NULL;
  if (at_head) list_push_head(&jm->pending, t);
  else list_push_tail(&jm->pending, t);
  persist_task(jm, t);
}

static double backoff_for(const coord_jm *jm, int retries) {
  double d = jm->p.retry_backoff * pow(jm->p.retry_backoff_multiplier > 0 ? jm->p.retry_backoff_multiplier : 1,
                                       retries - 1);
  if (jm->p.max_retry_backoff > 0 && d > jm->p.max_retry_backoff) d = jm->p.max_retry_backoff;
  return d < 0 ? 0 : d;
}

static void job_check_done(coord_jm *jm, coord_job *j);

static double task_timeout_of(const coord_jm *jm, const coord_task *t) {
  return t->job->config.task_timeout_s > 0 ? t->job->config.task_timeout_s : jm->p.task_timeout;
}

/* A failed attempt (worker error, timeout, dead worker): retry after backoff, or fail
 * the task for good past max_retries. t must already be detached. */
static void task_attempt_failed(coord_jm *jm, coord_task *t, const char *worker_id, const char *error) {
  coord_job *j = t->job;
  set_str(&t->error, error);
  set_str(&t->last_worker_id, worker_id);
  jm->attempts_failed[coord_reason_of(error)]++;
  t->retries++;
  if (t->retries > jm->p.max_retries) {
    t->status = COORD_TASK_FAILED;
    t->place = COORD_IN_NONE;
    t->failed_at = jm_wall(jm);
    j->failed_tasks++;
    al_warn("coordinator: task %s failed after %d retries: %s", t->id, t->retries - 1, error);
    persist_task(jm, t);
    persist_job_soon(jm, j);
    if (jm->h.job_changed) jm->h.job_changed(jm->h.ud, j);
    job_check_done(jm, j);
    return;
  }
  j->retried_tasks++;
  double delay = backoff_for(jm, t->retries);
  al_info("coordinator: task %s attempt %u failed (%s); retry %d in %.3gs", t->id, t->attempt,
          error, t->retries, delay);
  if (delay <= 0) {
    to_pending(jm, t, 0);
    return;
  }
  t->status = COORD_TASK_PENDING;
  t->place = COORD_IN_BACKOFF;
  jm->n_backoff++;
  coord_heap_arm(&jm->heap, &t->timer, jm_now(jm) + delay);
  persist_task(jm, t);
}

static void task_assign(coord_jm *jm, coord_task *t, coord_worker *w) {
  task_detach(jm, t);
  t->attempt++;
  free(t->staging_dir);
  {
    const char *od = t->job->config.output_dir;
    size_t odl = strlen(od);
    t->staging_dir = al_xasprintf("%s%s.staging/task_%s.a%u.%s", od, odl && od[odl - 1] == '/' ? "" : "/", t->id,
                                  t->attempt, jm->instance);
  }
  t->worker = w;
  t->status = COORD_TASK_ASSIGNED;
  t->place = COORD_IN_QUEUED;
  t->assigned_at = jm_wall(jm);
  t->queued_mono = jm_now(jm);
  t->started_at = 0;
  list_push_tail(&w->queued, t);
  persist_task(jm, t);
  if (jm->h.assign) jm->h.assign(jm->h.ud, w, t);
}

/* Takes t back from its worker without counting a failure (stealing, draining). */
static void task_revoke_requeue(coord_jm *jm, coord_task *t, const char *why, int at_head) {
  coord_worker *w = t->worker;
  uint32_t attempt = t->attempt;
  task_detach(jm, t);
  if (w && jm->h.revoke) jm->h.revoke(jm->h.ud, w, t, attempt, why);
  to_pending(jm, t, at_head);
}

/* ---------------------------------------------------------------- dispatch */

static int worker_has_capacity(const coord_jm *jm, const coord_worker *w) {
  return w->connected && !w->draining &&
         coord_worker_load(w) < (size_t)w->slots + (size_t)jm->p.prefetch;
}

static size_t collect_candidates(coord_jm *jm) {
  if (jm->cap_cand < jm->n_workers) {
    jm->cap_cand = jm->n_workers * 2;
    jm->cand = al_xrealloc(jm->cand, jm->cap_cand * sizeof *jm->cand);
  }
  size_t n = 0;
  for (size_t i = 0; i < jm->n_workers; i++)
    if (worker_has_capacity(jm, jm->workers[i])) jm->cand[n++] = jm->workers[i];
  return n;
}

/* A thief with an idle slot takes one not-started task from the most loaded worker
 * whose queue holds tasks that cannot start yet. Only tasks queued for steal_after
 * seconds are taken (a younger one's task_started may be on the wire); when the best
 * victim's oldest task is too young, the steal timer is armed for the moment it is
 * not. Returns 1 when a task moved. */
static int steal_one(coord_jm *jm) {
  /* one pass for a thief, one for the victim: O(workers) per dispatch */
  coord_worker *thief = NULL;
  for (size_t i = 0; i < jm->n_workers && !thief; i++) {
    coord_worker *w = jm->workers[i];
    if (w->connected && !w->draining && w->queued.n == 0 && w->running.n < (size_t)w->slots) thief = w;
  }
  if (!thief) return 0;
  coord_worker *victim = NULL;
  for (size_t k = 0; k < jm->n_workers; k++) {
    coord_worker *v = jm->workers[k];
    if (v == thief || v->queued.n == 0 || coord_worker_load(v) <= (size_t)v->slots) continue;
    if (!victim || coord_worker_load(v) > coord_worker_load(victim)) victim = v;
  }
  if (!victim) return 0;
  coord_task *t = victim->queued.head; /* the oldest: it has waited longest */
  double ready = t->queued_mono + jm->p.steal_after;
  if (jm_now(jm) < ready) {
    if (!coord_timer_armed(&jm->steal_timer) || jm->steal_timer.deadline > ready)
      coord_heap_arm(&jm->heap, &jm->steal_timer, ready);
    return 0;
  }
  t = victim->queued.tail; /* take from the back: the victim starts its head next */
  al_info("coordinator: worker %s steals task %s from %s", thief->id, t->id, victim->id);
  task_revoke_requeue(jm, t, "stolen by an idle worker", 1);
  task_assign(jm, t, thief);
  return 1;
}

/* Round robin over every worker in join order, skipping those without capacity: the
 * cursor walks the full list, so a full worker does not shift everyone's turn. A retry
 * skips the worker it failed on when another candidate exists (n > 1). */
static coord_worker *rr_next(coord_jm *jm, const coord_task *t, size_t n) {
  coord_worker *fallback = NULL;
  for (size_t k = 0; k < jm->n_workers; k++) {
    size_t i = (jm->rr_index + k) % jm->n_workers;
    coord_worker *w = jm->workers[i];
    if (!worker_has_capacity(jm, w)) continue;
    if (n > 1 && t->last_worker_id && strcmp(w->id, t->last_worker_id) == 0) {
      if (!fallback) fallback = w;
      continue;
    }
    jm->rr_index = i + 1;
    return w;
  }
  return fallback;
}

static void dispatch(coord_jm *jm) {
  if (jm->dispatching) return; /* re-entered from a completion inside dispatch */
  if (jm->rec.writable && !jm->rec.writable(jm->rec.ud)) { /* state could not be kept: hold */
    report_deadline(jm);
    return;
  }
  jm->dispatching = 1;
  while (jm->pending.n > 0) {
    size_t n = collect_candidates(jm);
    if (n == 0) break;
    coord_task *t = jm->pending.head;
    if (jm->p.strategy == COORD_STRATEGY_ROUND_ROBIN) {
      task_assign(jm, t, rr_next(jm, t, n));
      continue;
    }
    if (t->last_worker_id && n > 1) {
      /* a retry prefers another worker than the one it failed on */
      size_t k = 0;
      for (size_t i = 0; i < n; i++)
        if (strcmp(jm->cand[i]->id, t->last_worker_id) != 0) jm->cand[k++] = jm->cand[i];
      if (k > 0) n = k;
    }
    size_t pick = coord_strategy_pick(jm->p.strategy, jm->cand, n, &jm->rr_index);
    task_assign(jm, t, jm->cand[pick]);
  }
  if (jm->p.work_stealing && jm->pending.n == 0)
    while (steal_one(jm)) {
    }
  jm->dispatching = 0;
  report_deadline(jm);
}

/* ---------------------------------------------------------------- workers */

coord_worker *coord_jm_worker_find(coord_jm *jm, const char *id) {
  for (size_t i = 0; i < jm->n_workers; i++)
    if (strcmp(jm->workers[i]->id, id) == 0) return jm->workers[i];
  return NULL;
}

static void worker_arm_liveness(coord_jm *jm, coord_worker *w) {
  coord_heap_arm(&jm->heap, &w->timer, w->last_seen + jm->p.heartbeat_timeout);
}

coord_worker *coord_jm_worker_join(coord_jm *jm, const char *id, int slots, void *conn) {
  coord_worker *w = coord_jm_worker_find(jm, id);
  int known = w != NULL;
  if (slots < 1) slots = 1;
  if (w) {
    al_info("coordinator: worker %s heartbeat resumed: rejoined with %zu queued, %zu running", id, w->queued.n,
            w->running.n);
  } else {
    w = al_xcalloc(1, sizeof *w);
    w->id = al_xstrdup(id);
    w->cpu = w->mem = -1;
    coord_timer_init(&w->timer, TK_WORKER);
    if (jm->n_workers == jm->cap_workers) {
      jm->cap_workers = jm->cap_workers ? jm->cap_workers * 2 : 16;
      jm->workers = al_xrealloc(jm->workers, jm->cap_workers * sizeof *jm->workers);
    }
    jm->workers[jm->n_workers++] = w;
    al_info("coordinator: worker %s heartbeat registered: joined with %d slots", id, slots);
  }
  int rejoined = known && (w->running.n + w->queued.n) > 0;
  w->slots = slots;
  w->connected = 1;
  w->draining = 0;
  w->conn = conn;
  w->last_seen = jm_now(jm);
  worker_arm_liveness(jm, w);
  if (rejoined && jm->h.assign) {
    /* Assignments sent on the old connection may have been lost with it: send every
     * lease it holds again, same attempt. A worker ignores a lease it already has. */
    coord_task_list *lists[2] = {&w->running, &w->queued};
    for (int l = 0; l < 2; l++)
      for (coord_task *t = lists[l]->head; t; t = t->next) jm->h.assign(jm->h.ud, w, t);
  }
  dispatch(jm);
  return w;
}

void coord_jm_worker_seen(coord_jm *jm, coord_worker *w) { w->last_seen = jm_now(jm); }

void coord_jm_worker_metrics(coord_jm *jm, coord_worker *w, double cpu, double mem,
                             uint64_t tasks_completed, uint64_t tasks_failed, uint64_t samples) {
  w->last_seen = jm_now(jm);
  w->cpu = cpu;
  w->mem = mem;
  (void)tasks_completed;
  (void)tasks_failed;
  if (samples > w->samples_processed) w->samples_processed = samples;
  if (jm->rec.heartbeat) jm->rec.heartbeat(jm->rec.ud, w, jm_wall(jm));
}

void coord_jm_worker_disconnected(coord_jm *jm, coord_worker *w) {
  w->connected = 0;
  w->conn = NULL;
  w->last_seen = jm_now(jm); /* the grace period runs from the disconnect */
  worker_arm_liveness(jm, w);
  al_info("coordinator: worker %s disconnected; dead unless back within %gs", w->id,
          jm->p.heartbeat_timeout);
  report_deadline(jm);
}

void coord_jm_worker_drain(coord_jm *jm, coord_worker *w) {
  w->draining = 1;
  while (w->queued.n > 0) task_revoke_requeue(jm, w->queued.tail, "worker draining", 1);
  dispatch(jm);
}

void coord_jm_worker_dead(coord_jm *jm, coord_worker *w, const char *why) {
  char err[512];
  snprintf(err, sizeof err, "worker %s lost: %s", w->id, why);
  al_warn("coordinator: heartbeat lost: %s; requeueing %zu queued and %zu running tasks", err, w->queued.n,
          w->running.n);
  size_t i;
  for (i = 0; i < jm->n_workers && jm->workers[i] != w; i++) {
  }
  if (i < jm->n_workers) {
    memmove(&jm->workers[i], &jm->workers[i + 1], (jm->n_workers - i - 1) * sizeof *jm->workers);
    jm->n_workers--;
  }
  coord_heap_cancel(&jm->heap, &w->timer);
  /* requeue oldest first so they keep their order */
  coord_task_list *lists[2] = {&w->running, &w->queued};
  for (int l = 0; l < 2; l++)
    while (lists[l]->n > 0) {
      coord_task *t = lists[l]->head;
      task_detach(jm, t);
      task_attempt_failed(jm, t, w->id, err);
    }
  if (jm->rec.worker_gone) jm->rec.worker_gone(jm->rec.ud, w);
  if (jm->h.worker_gone) jm->h.worker_gone(jm->h.ud, w);
  free(w->id);
  free(w);
  dispatch(jm);
}

/* ---------------------------------------------------------------- jobs */

static void job_free(coord_job *j) {
  for (size_t i = 0; i < j->total_tasks; i++) task_free(j->tasks[i]);
  free(j->tasks);
  free(j->id);
  free(j->config.input_dir);
  free(j->config.output_dir);
  free(j->config.tokenizers_dir);
  free(j->config.name);
  free(j->config.long_documents);
  for (size_t i = 0; i < j->n_skip_reasons; i++) free(j->skip_reasons[i].reason);
  free(j->config.packing);
  free(j->config.jsonl_field);
  free(j->final_error);
  free(j);
}

static void make_uuid4(char out[37]) {
  unsigned char r[16];
  FILE *f = fopen("/dev/urandom", "rb");
  size_t got = f ? fread(r, 1, sizeof r, f) : 0;
  if (f) fclose(f);
  for (size_t i = got; i < sizeof r; i++) r[i] = (unsigned char)(rand() ^ (int)(al_mono_ns() >> (i % 8)));
  r[6] = (unsigned char)((r[6] & 0x0F) | 0x40);
  r[8] = (unsigned char)((r[8] & 0x3F) | 0x80);
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
           r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
           r[15]);
}

coord_job *coord_jm_job_find(coord_jm *jm, const char *id) {
  return coord_map_get(&jm->jobs_by_id, id, strlen(id));
}

coord_job *coord_jm_job_create(coord_jm *jm, const char *id, const coord_job_config *cfg, al_err *err) {
  char fresh[37];
  if (!id || !*id) {
    make_uuid4(fresh);
    id = fresh;
  }
  /* The id names files (task_<id>-NNNNNN) and store keys: letters, digits, '.', '_'
   * and '-' only, not starting with '.', so no id can climb out of the output dir. */
  size_t idlen = strlen(id);
  int id_ok = idlen > 0 && idlen <= 200 && id[0] != '.';
  for (size_t i = 0; id_ok && i < idlen; i++) {
    char ch = id[i];
    id_ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
            ch == '_' || ch == '-';
  }
  if (!id_ok) {
    al_err_set(err, AL_E_BAD_FIELD, "job id '%.64s' is invalid (1 to 200 of A-Z a-z 0-9 . _ -, not starting with '.')",
               id);
    return NULL;
  }
  if (coord_jm_job_find(jm, id)) {
    al_err_set(err, AL_E_BAD_STATE, "job '%s' already exists", id);
    return NULL;
  }
  coord_job *j = al_xcalloc(1, sizeof *j);
  j->id = al_xstrdup(id);
  j->status = COORD_JOB_PENDING;
  j->created_at = jm_wall(jm);
  j->config.input_dir = al_xstrdup(cfg->input_dir ? cfg->input_dir : "");
  j->config.output_dir = al_xstrdup(cfg->output_dir ? cfg->output_dir : "");
  j->config.tokenizers_dir = al_xstrdup(cfg->tokenizers_dir ? cfg->tokenizers_dir : "");
  j->config.max_seq_len = cfg->max_seq_len > 0 ? cfg->max_seq_len : 4096;
  j->config.shard_size = cfg->shard_size > 0 ? cfg->shard_size : 10000;
  j->config.timeout_s = cfg->timeout_s;
  j->config.task_timeout_s = cfg->task_timeout_s;
  j->config.name = cfg->name ? al_xstrdup(cfg->name) : NULL;
  /* defaults are stored as NULL so that default jobs keep the original's records */
  j->config.long_documents =
      cfg->long_documents && strcmp(cfg->long_documents, "truncate") ? al_xstrdup(cfg->long_documents) : NULL;
  j->config.packing = cfg->packing && strcmp(cfg->packing, "none") ? al_xstrdup(cfg->packing) : NULL;
  j->config.detect_text = cfg->detect_text;
  j->config.jsonl_field = cfg->jsonl_field && strcmp(cfg->jsonl_field, "text") ? al_xstrdup(cfg->jsonl_field) : NULL;
  coord_timer_init(&j->timer, TK_JOB);
  if (cfg->timeout_s > 0) coord_heap_arm(&jm->heap, &j->timer, jm_now(jm) + cfg->timeout_s);
  coord_map_put(&jm->jobs_by_id, j->id, j);
  if (jm->n_jobs == jm->cap_jobs) {
    jm->cap_jobs = jm->cap_jobs ? jm->cap_jobs * 2 : 16;
    jm->jobs = al_xrealloc(jm->jobs, jm->cap_jobs * sizeof *jm->jobs);
  }
  jm->jobs[jm->n_jobs++] = j;
  if (jm->rec.job_created) jm->rec.job_created(jm->rec.ud, j);
  report_deadline(jm);
  return j;
}

static void task_complete(coord_jm *jm, coord_task *t);

coord_task *coord_jm_job_add_task(coord_jm *jm, coord_job *j, const char *const *files,
                                  size_t n_files, al_err *err) {
  return coord_jm_job_add_task_done(jm, j, files, n_files, NULL, err);
}

coord_task *coord_jm_job_add_task_done(coord_jm *jm, coord_job *j, const char *const *files, size_t n_files,
                                       coord_task_result *done, al_err *err) {
  if (coord_job_status_is_final(j->status)) {
    al_err_set(err, AL_E_BAD_STATE, "job '%s' is %s; no tasks can be added", j->id, coord_job_status_name(j->status));
    return NULL;
  }
  if (j->sealed) {
    al_err_set(err, AL_E_BAD_STATE, "job '%s' is sealed; no tasks can be added", j->id);
    return NULL;
  }
  if (j->total_tasks >= COORD_MAX_TASKS_PER_JOB) {
    al_err_set(err, AL_E_LIMIT, "job '%s' has the maximum of %zu tasks", j->id, COORD_MAX_TASKS_PER_JOB);
    return NULL;
  }
  coord_task *t = al_xcalloc(1, sizeof *t);
  t->job = j;
  t->index = j->total_tasks;
  t->id = al_xasprintf("%s-%06zu", j->id, t->index);
  const char *od = j->config.output_dir;
  size_t odl = strlen(od);
  t->output_dir = al_xasprintf("%s%stask_%s", od, odl && od[odl - 1] == '/' ? "" : odl ? "/" : "",
                               t->id);
  t->files = al_xcalloc(n_files ? n_files : 1, sizeof *t->files);
  for (size_t i = 0; i < n_files; i++) t->files[i] = al_xstrdup(files[i]);
  t->n_files = n_files;
  coord_timer_init(&t->timer, TK_TASK);
  if (j->total_tasks == j->cap_tasks) {
    j->cap_tasks = j->cap_tasks ? j->cap_tasks * 2 : 64;
    j->tasks = al_xrealloc(j->tasks, j->cap_tasks * sizeof *j->tasks);
  }
  j->tasks[j->total_tasks++] = t;
  if (j->status == COORD_JOB_PENDING) j->status = COORD_JOB_RUNNING;
  if (done) { /* a previous run's verified output (--resume): never dispatched */
    coord_task_result_move(&t->result, done);
    task_complete(jm, t);
    return t;
  }
  to_pending(jm, t, 0);
  persist_job_soon(jm, j);
  dispatch(jm);
  return t;
}

static coord_job_status final_status(const coord_job *j) {
  if (j->failed_tasks == 0) return COORD_JOB_COMPLETED;
  if (j->completed_tasks == 0) return COORD_JOB_FAILED;
  return COORD_JOB_COMPLETED_WITH_ERRORS;
}

/* The job's final status is set, written to the store, and announced. */
static void job_finish_now(coord_jm *jm, coord_job *j, coord_job_status st) {
  j->status = st;
  j->finalizing = 0;
  j->completed_at = jm_wall(jm);
  coord_heap_cancel(&jm->heap, &j->timer);
  if (jm->p.retention > 0) { /* the job timer now counts down its retention */
    j->timer.kind = TK_RETAIN;
    coord_heap_arm(&jm->heap, &j->timer, jm_now(jm) + jm->p.retention);
  }
  al_info("coordinator: job %s %s (%zu completed, %zu failed of %zu)%s%s", j->id,
          coord_job_status_name(st), j->completed_tasks, j->failed_tasks, j->total_tasks,
          j->final_error ? ": " : "", j->final_error ? j->final_error : "");
  if (jm->rec.job_final) jm->rec.job_final(jm->rec.ud, j); /* at once, with its tasks */
  if (jm->h.job_changed) jm->h.job_changed(jm->h.ud, j);
  if (jm->h.job_finished) jm->h.job_finished(jm->h.ud, j);
}

/* Every task has ended. A job whose results are still being committed waits for them
 * (pending_final); then the finalize hook writes the manifest before the status is
 * final, so "completed" is never announced without a durable index.json. */
static void job_finish(coord_jm *jm, coord_job *j, coord_job_status st) {
  if (coord_job_status_is_final(j->status) || j->finalizing) return;
  if (j->committing > 0) {
    j->pending_final = st;
    j->has_pending_final = 1;
    coord_heap_cancel(&jm->heap, &j->timer);
    return;
  }
  j->has_pending_final = 0;
  if (!jm->h.finalize) {
    job_finish_now(jm, j, st);
    return;
  }
  j->finalizing = 1;
  j->pending_final = st;
  coord_heap_cancel(&jm->heap, &j->timer);
  jm->h.finalize(jm->h.ud, j, st);
}

void coord_jm_job_finalized(coord_jm *jm, coord_job *j, int ok, const char *error) {
  if (!j->finalizing) return;
  coord_job_status st = j->pending_final;
  if (!ok) {
    char *why = al_xasprintf("%s", error && *error ? error : "cannot write the job manifest");
    set_str(&j->final_error, why);
    free(why);
    st = COORD_JOB_FAILED;
  }
  job_finish_now(jm, j, st);
  report_deadline(jm);
}

static void job_check_done(coord_jm *jm, coord_job *j) {
  if (coord_job_status_is_final(j->status) || j->finalizing) return;
  if (j->has_pending_final) { /* an abort waits for its in-flight commits */
    if (j->committing == 0) job_finish(jm, j, j->pending_final);
    return;
  }
  if (!j->sealed) return;
  if (j->completed_tasks + j->failed_tasks < j->total_tasks) return;
  job_finish(jm, j, final_status(j));
}

int coord_jm_job_seal(coord_jm *jm, coord_job *j, al_err *err) {
  if (coord_job_status_is_final(j->status)) {
    al_err_set(err, AL_E_BAD_STATE, "job '%s' is already %s", j->id, coord_job_status_name(j->status));
    return -1;
  }
  j->sealed = 1;
  if (jm->rec.job_sealed) jm->rec.job_sealed(jm->rec.ud, j); /* recovery needs to know */
  job_check_done(jm, j);
  report_deadline(jm);
  return 0;
}

/* Ends a job early (cancel or timeout): every unfinished task is withdrawn, revoked on
 * its worker, and marked failed with why (not counted as a task failure). */
static void job_abort(coord_jm *jm, coord_job *j, coord_job_status st, const char *why) {
  for (size_t i = 0; i < j->total_tasks; i++) {
    coord_task *t = j->tasks[i];
    if (t->status == COORD_TASK_COMPLETED || t->status == COORD_TASK_FAILED) continue;
    if (t->place == COORD_IN_COMMITTING) continue; /* its output is being published: the job waits */
    coord_worker *w = t->worker;
    uint32_t attempt = t->attempt;
    task_detach(jm, t);
    if (w && jm->h.revoke) jm->h.revoke(jm->h.ud, w, t, attempt, why);
    t->status = COORD_TASK_FAILED;
    t->failed_at = jm_wall(jm);
    set_str(&t->error, why);
    persist_task(jm, t);
  }
  set_str(&j->final_error, why);
  job_finish(jm, j, st);
  dispatch(jm);
}

int coord_jm_job_cancel(coord_jm *jm, coord_job *j, const char *why) {
  if (coord_job_status_is_final(j->status) || j->finalizing || j->has_pending_final) return -1;
  job_abort(jm, j, COORD_JOB_CANCELLED, why ? why : "job cancelled");
  return 0;
}

coord_task *coord_jm_task_find(coord_jm *jm, const char *task_id) {
  const char *dash = strrchr(task_id, '-');
  if (!dash || dash == task_id || !dash[1]) return NULL;
  char *end;
  unsigned long idx = strtoul(dash + 1, &end, 10);
  if (*end) return NULL;
  coord_job *j = coord_map_get(&jm->jobs_by_id, task_id, (size_t)(dash - task_id));
  if (!j || idx >= j->total_tasks) return NULL;
  coord_task *t = j->tasks[idx];
  return strcmp(t->id, task_id) == 0 ? t : NULL;
}

/* ---------------------------------------------------------------- task lifecycle */

/* Validates a worker's claim on (task_id, attempt): the task must exist, be held by w
 * under that lease, and be in flight. */
static coord_task *lease_check(coord_jm *jm, coord_worker *w, const char *what, const char *task_id,
                               uint32_t attempt, int *rc) {
  coord_task *t = coord_jm_task_find(jm, task_id);
  if (!t) {
    *rc = COORD_UNKNOWN;
    jm->stale++;
    al_warn("coordinator: %s from worker %s for unknown task %s rejected", what, w->id, task_id);
    return NULL;
  }
  if (t->worker != w || t->attempt != attempt ||
      (t->place != COORD_IN_QUEUED && t->place != COORD_IN_RUNNING)) {
    *rc = COORD_STALE;
    jm->stale++;
    al_warn("coordinator: stale %s from worker %s for task %s attempt %u rejected (current attempt "
            "%u on %s, %s)",
            what, w->id, task_id, attempt, t->attempt, t->worker ? t->worker->id : "no worker",
            coord_task_status_name(t->status));
    return NULL;
  }
  *rc = COORD_OK;
  return t;
}

int coord_jm_task_started(coord_jm *jm, coord_worker *w, const char *task_id, uint32_t attempt) {
  int rc;
  w->last_seen = jm_now(jm);
  coord_task *t = lease_check(jm, w, "task_started", task_id, attempt, &rc);
  if (!t) return rc;
  if (t->place == COORD_IN_RUNNING) return COORD_OK; /* duplicate */
  list_remove(&w->queued, t);
  list_push_tail(&w->running, t);
  t->place = COORD_IN_RUNNING;
  t->status = COORD_TASK_RUNNING;
  t->started_at = jm_wall(jm);
  double tt = task_timeout_of(jm, t);
  if (tt > 0) coord_heap_arm(&jm->heap, &t->timer, jm_now(jm) + tt);
  persist_task(jm, t);
  report_deadline(jm);
  return COORD_OK;
}

int coord_jm_task_claim(coord_jm *jm, coord_worker *w, const char *task_id, uint32_t attempt) {
  int rc;
  coord_task *t = lease_check(jm, w, "claim", task_id, attempt, &rc);
  return t ? COORD_OK : rc;
}

static void count_skip_reason(coord_job *j, const char *reason, uint64_t entries) {
  const char *cut = reason ? strstr(reason, ": ") : NULL;
  size_t n = reason ? (cut ? (size_t)(cut - reason) : strlen(reason)) : 0;
  size_t i = 0;
  for (; i < j->n_skip_reasons; i++)
    if (strlen(j->skip_reasons[i].reason) == n && strncmp(j->skip_reasons[i].reason, reason, n) == 0) break;
  if (i == j->n_skip_reasons) {
    if (i == COORD_MAX_SKIP_REASONS) {
      i--; /* the last slot becomes "other" */
      if (strcmp(j->skip_reasons[i].reason, "other") != 0) {
        free(j->skip_reasons[i].reason);
        j->skip_reasons[i].reason = al_xstrdup("other");
      }
    } else {
      j->skip_reasons[i].reason = al_xstrndup(reason ? reason : "", n);
      j->skip_reasons[i].count = 0;
      j->n_skip_reasons++;
    }
  }
  j->skip_reasons[i].count += entries;
}


static void accumulate(coord_job *j, const coord_task_result *r) {
  j->samples += r->samples_processed;
  j->tokens += r->tokens;
  j->bytes_read += r->bytes_read;
  j->shards_written += r->shards_written;
  j->skipped += r->skipped;
  /* a worker that reports no counts: one document per row, nothing truncated */
  j->documents += r->has_counts ? r->documents : r->samples_processed;
  j->ids_encoded += r->has_counts ? r->ids_encoded : r->tokens;
  j->ids_truncated += r->has_counts ? r->ids_truncated : 0;
  j->padding += r->padding;
  for (size_t i = 0; i < r->n_skips; i++) count_skip_reason(j, r->skips[i].reason, shard_source_entries(r->skips[i].path));
}

/* The task's result is accepted: it is completed, counted and announced. */
static void task_complete(coord_jm *jm, coord_task *t) {
  coord_job *j = t->job;
  t->status = COORD_TASK_COMPLETED;
  t->place = COORD_IN_NONE;
  if (t->completed_at <= 0) t->completed_at = jm_wall(jm); /* a restored task keeps its time */
  t->worker = NULL;
  t->has_result = 1;
  j->completed_tasks++;
  accumulate(j, &t->result);
  persist_task(jm, t);
  persist_job_soon(jm, j);
  if (jm->h.job_changed) jm->h.job_changed(jm->h.ud, j);
  job_check_done(jm, j);
}

int coord_jm_task_result(coord_jm *jm, coord_worker *w, const char *task_id, uint32_t attempt,
                         int ok, coord_task_result *res, const char *error) {
  int rc;
  w->last_seen = jm_now(jm);
  coord_task *dup = coord_jm_task_find(jm, task_id);
  if (dup && dup->place == COORD_IN_COMMITTING && dup->attempt == attempt && dup->last_worker_id &&
      strcmp(dup->last_worker_id, w->id) == 0)
    return COORD_OK; /* the same result again (resent after a reconnect): already committing */
  coord_task *t = lease_check(jm, w, ok ? "task_result" : "task_failure", task_id, attempt, &rc);
  if (!t) return rc;
  task_detach(jm, t);
  if (ok) {
    set_str(&t->last_worker_id, w->id); /* worker_id of the task record */
    coord_task_result_free(&t->result);
    if (res) coord_task_result_move(&t->result, res);
    w->tasks_completed++;
    w->samples_processed += (uint64_t)(t->result.samples_processed > 0 ? t->result.samples_processed : 0);
    if (jm->h.commit) {
      /* Verification and publication happen off the loop; the lease stays frozen
       * until coord_jm_task_committed. */
      set_str(&t->last_worker_id, w->id);
      t->place = COORD_IN_COMMITTING;
      t->job->committing++;
      jm->h.commit(jm->h.ud, t);
    } else {
      task_complete(jm, t);
    }
  } else if (res && res->permanent) {
    /* Every retry would fail the same way (e.g. the tokenizers cannot be loaded):
     * end the job now with that reason instead of after max_retries backoffs. */
    coord_job *j = t->job;
    const char *why = error && *error ? error : "task failed on worker";
    w->tasks_failed++;
    set_str(&t->error, why);
    set_str(&t->last_worker_id, w->id);
    t->status = COORD_TASK_FAILED;
    t->failed_at = jm_wall(jm);
    j->failed_tasks++;
    al_error("coordinator: job %s fails: task %s cannot succeed on any retry: %s", j->id, t->id, why);
    persist_task(jm, t);
    job_abort(jm, j, COORD_JOB_FAILED, why);
  } else {
    w->tasks_failed++;
    task_attempt_failed(jm, t, w->id, error && *error ? error : "task failed on worker");
  }
  dispatch(jm);
  return COORD_OK;
}

int coord_jm_restore_task(coord_jm *jm, coord_task *t, const coord_task_restore *r, al_err *err) {
  coord_job *j = t->job;
  if (t->place != COORD_IN_PENDING || t->worker || t->has_result || coord_job_status_is_final(j->status))
    return al_err_set(err, AL_E_BAD_STATE, "task %s cannot be restored: it is not a new pending task", t->id);
  t->retries = r->retries > 0 ? r->retries : 0;
  t->attempt = r->attempt;
  set_str(&t->last_worker_id, r->worker_id);
  t->assigned_at = r->assigned_at;
  t->started_at = r->status == COORD_TASK_COMPLETED || r->status == COORD_TASK_FAILED ? r->started_at : 0;
  t->completed_at = r->status == COORD_TASK_COMPLETED ? r->completed_at : 0;
  if (r->status == COORD_TASK_COMPLETED) {
    task_detach(jm, t);
    coord_task_result_free(&t->result);
    memset(&t->result, 0, sizeof t->result);
    if (r->result) coord_task_result_move(&t->result, r->result);
    if (jm->h.restore) {
      /* the record keeps saying completed, with its result, while the check runs: a
       * crash meanwhile loses nothing */
      t->status = COORD_TASK_COMPLETED;
      t->has_result = 1;
      t->place = COORD_IN_COMMITTING;
      t->restoring = 1;
      j->committing++;
      persist_task(jm, t);
      jm->h.restore(jm->h.ud, t);
    } else {
      task_complete(jm, t);
    }
  } else if (r->status == COORD_TASK_FAILED) {
    task_detach(jm, t);
    t->status = COORD_TASK_FAILED;
    t->failed_at = r->failed_at > 0 ? r->failed_at : jm_wall(jm);
    set_str(&t->error, r->error ? r->error : "failed before a coordinator restart");
    j->failed_tasks++;
    persist_task(jm, t);
    persist_job_soon(jm, j);
    if (jm->h.job_changed) jm->h.job_changed(jm->h.ud, j);
    job_check_done(jm, j);
  } else {
    persist_task(jm, t);
  }
  report_deadline(jm);
  return 0;
}

void coord_jm_task_committed(coord_jm *jm, const char *task_id, uint32_t attempt, int ok,
                             const char *const *paths, size_t n, const char *error) {
  coord_task *t = coord_jm_task_find(jm, task_id);
  if (!t || t->place != COORD_IN_COMMITTING || t->attempt != attempt) return;
  coord_job *j = t->job;
  j->committing--;
  t->place = COORD_IN_NONE;
  if (t->restoring) {
    t->restoring = 0;
    if (ok) {
      task_complete(jm, t);
    } else {
      /* the previous instance's output is gone or changed since: the task runs again
       * (no retry counted: no attempt of this instance failed) unless the job ended */
      al_warn("coordinator: task %s restored as completed, but its output does not verify (%s); %s", t->id,
              error && *error ? error : "verification failed", j->has_pending_final ? "the job has ended" : "it runs again");
      coord_task_result_free(&t->result);
      memset(&t->result, 0, sizeof t->result);
      t->has_result = 0;
      t->completed_at = 0;
      if (j->has_pending_final) {
        t->status = COORD_TASK_FAILED;
        t->failed_at = jm_wall(jm);
        set_str(&t->error, j->final_error ? j->final_error : "job ended");
        persist_task(jm, t);
        job_check_done(jm, j);
      } else {
        to_pending(jm, t, 0);
      }
    }
    dispatch(jm);
    report_deadline(jm);
    return;
  }
  if (ok) {
    for (size_t i = 0; paths && i < n && i < t->result.n_shards; i++) set_str(&t->result.shards[i].path, paths[i]);
    task_complete(jm, t);
  } else {
    char *why = al_xasprintf("result rejected: %s", error && *error ? error : "verification failed");
    coord_task_result_free(&t->result);
    memset(&t->result, 0, sizeof t->result);
    if (j->has_pending_final) { /* the job was aborted meanwhile: no retry */
      t->status = COORD_TASK_FAILED;
      t->failed_at = jm_wall(jm);
      set_str(&t->error, why);
      persist_task(jm, t);
      job_check_done(jm, j);
    } else {
      al_warn("coordinator: task %s attempt %u: %s", t->id, attempt, why);
      coord_worker *w = t->last_worker_id ? coord_jm_worker_find(jm, t->last_worker_id) : NULL;
      if (w && w->tasks_completed > 0) {
        w->tasks_completed--;
        w->tasks_failed++;
      }
      task_attempt_failed(jm, t, t->last_worker_id, why);
    }
    free(why);
  }
  dispatch(jm);
  report_deadline(jm);
}

/* ---------------------------------------------------------------- time */

static void on_worker_deadline(coord_jm *jm, coord_worker *w, double now) {
  double expiry = w->last_seen + jm->p.heartbeat_timeout;
  if (now < expiry) {
    coord_heap_arm(&jm->heap, &w->timer, expiry); /* heard from it since: look again later */
    return;
  }
  char why[128];
  snprintf(why, sizeof why, w->connected ? "no heartbeat for %.3gs" : "disconnected, no heartbeat within %.3gs",
           now - w->last_seen);
  coord_jm_worker_dead(jm, w, why);
}

static void on_task_deadline(coord_jm *jm, coord_task *t) {
  if (t->place == COORD_IN_BACKOFF) {
    jm->n_backoff--;
    t->place = COORD_IN_NONE;
    to_pending(jm, t, 0);
    return;
  }
  if (t->place != COORD_IN_RUNNING) return;
  coord_worker *w = t->worker;
  uint32_t attempt = t->attempt;
  char err[512];
  snprintf(err, sizeof err, "task timed out after %gs on worker %s", task_timeout_of(jm, t), w->id);
  task_detach(jm, t);
  if (jm->h.revoke) jm->h.revoke(jm->h.ud, w, t, attempt, "task_timeout");
  task_attempt_failed(jm, t, w->id, err);
}

/* Retention over: drop the finished job from memory and its records from the store. */
static void job_forget(coord_jm *jm, coord_job *j) {
  al_info("coordinator: forgetting job %s (%s %gs ago)", j->id, coord_job_status_name(j->status), jm->p.retention);
  if (jm->h.job_forgotten) jm->h.job_forgotten(jm->h.ud, j);
  if (jm->rec.job_forgotten) jm->rec.job_forgotten(jm->rec.ud, j);
  size_t i;
  for (i = 0; i < jm->n_jobs && jm->jobs[i] != j; i++) {
  }
  if (i < jm->n_jobs) {
    memmove(&jm->jobs[i], &jm->jobs[i + 1], (jm->n_jobs - i - 1) * sizeof *jm->jobs);
    jm->n_jobs--;
  }
  coord_map_del(&jm->jobs_by_id, j->id);
  job_free(j);
}

void coord_jm_on_timer(coord_jm *jm) {
  double now = jm_now(jm);
  jm->dispatching++; /* one dispatch pass after all expiries */
  for (;;) {
    coord_timer *tm = coord_heap_top(&jm->heap);
    if (!tm || tm->deadline > now) break;
    coord_heap_cancel(&jm->heap, tm);
    switch (tm->kind) {
    case TK_WORKER:
      on_worker_deadline(jm, CONTAINER(tm, coord_worker, timer), now);
      break;
    case TK_TASK:
      on_task_deadline(jm, CONTAINER(tm, coord_task, timer));
      break;
    case TK_STEAL:
      break; /* the dispatch below looks for thieves again */
    case TK_FLUSH:
      flush_records(jm);
      break;
    case TK_RETAIN:
      job_forget(jm, CONTAINER(tm, coord_job, timer));
      break;
    case TK_JOB: {
      coord_job *j = CONTAINER(tm, coord_job, timer);
      char why[128];
      snprintf(why, sizeof why, "job timed out after %gs", j->config.timeout_s);
      if (!coord_job_status_is_final(j->status) && !j->finalizing && !j->has_pending_final)
        job_abort(jm, j, COORD_JOB_TIMEOUT, why);
      break;
    }
    }
  }
  jm->dispatching--;
  dispatch(jm);
  report_deadline(jm);
}

void coord_jm_flush(coord_jm *jm) {
  flush_records(jm);
  coord_heap_cancel(&jm->heap, &jm->flush_timer);
  report_deadline(jm);
}

void coord_jm_free(coord_jm *jm) {
  if (!jm) return;
  coord_heap_free(&jm->heap);
  for (size_t i = 0; i < jm->n_workers; i++) {
    free(jm->workers[i]->id);
    free(jm->workers[i]);
  }
  free(jm->workers);
  for (size_t i = 0; i < jm->n_jobs; i++) job_free(jm->jobs[i]);
  free(jm->jobs);
  coord_map_free(&jm->jobs_by_id);
  free(jm->cand);
  free(jm);
}
