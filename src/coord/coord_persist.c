/* The coordinator's writes to its state store (see coord_persist.h). */
#include "coord/coord_persist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct coord_persist {
  store *st;
  double heartbeat_ttl, retention;
  coord_job *dirty_jobs;                /* LIFO; order does not matter for job records */
  coord_task *dirty_tasks, *dirty_tail; /* FIFO, so that store lists keep dispatch order
                                         * and LREM finds items near the head */
  al_buf scratch;
};

coord_persist *coord_persist_new(store *st, double heartbeat_ttl, double retention) {
  coord_persist *p = al_xcalloc(1, sizeof *p);
  p->st = st;
  p->heartbeat_ttl = heartbeat_ttl;
  p->retention = retention;
  return p;
}

void coord_persist_free(coord_persist *p) {
  if (!p) return;
  al_buf_free(&p->scratch);
  free(p);
}

store *coord_persist_store(const coord_persist *p) { return p->st; }
double coord_persist_retention(const coord_persist *p) { return p->retention; }
int coord_persist_writable(const coord_persist *p) { return store_writable(p->st); }

/* prefix + id into key (cap bytes), truncating; faster than snprintf on hot paths */
static void make_key(char *key, size_t cap, const char *prefix, const char *id) {
  size_t n = strlen(prefix), m = strlen(id);
  if (n + m + 1 > cap) m = cap - n - 1;
  memcpy(key, prefix, n);
  memcpy(key + n, id, m);
  key[n + m] = 0;
}

/* Stores the JSON in p->scratch as prefix + id (ttl seconds, 0 = none). */
static void put_scratch(coord_persist *p, const char *prefix, const char *id, double ttl) {
  char key[512];
  make_key(key, sizeof key, prefix, id);
  store_set(p->st, key, p->scratch.data, p->scratch.len, ttl, NULL, NULL);
}

/* ---------------------------------------------------------------- records */

static void write_job(coord_persist *p, coord_job *j) {
  al_buf *b = &p->scratch;
  b->len = 0;
  coord_job_to_json(j, b);
  put_scratch(p, "job:", j->id, 0);
  j->dirty = 0; /* stays on the dirty list until the flush skips it */
}

/* Writes task:<id>, and moves the task between store lists when its place changed:
 * pending_tasks while it waits for capacity, tasks:<wid> while assigned and not
 * started, no list otherwise. The exact JSON pushed is kept for the LREM. */
static void write_task(coord_persist *p, coord_task *t) {
  al_buf *b = &p->scratch;
  b->len = 0;
  coord_task_to_json(t, b);
  put_scratch(p, "task:", t->id, 0);
  char want[512];
  want[0] = 0;
  if (t->place == COORD_IN_PENDING) make_key(want, sizeof want, "pending_tasks", "");
  else if (t->place == COORD_IN_QUEUED) make_key(want, sizeof want, "tasks:", t->worker->id);
  if (t->listed_key && strcmp(t->listed_key, want) == 0) return; /* still where the store has it */
  if (t->listed_key) {
    store_lrem(p->st, t->listed_key, t->queue_item, strlen(t->queue_item), NULL, NULL);
    free(t->listed_key);
    free(t->queue_item);
    t->listed_key = t->queue_item = NULL;
  }
  if (want[0]) {
    t->listed_key = al_xstrdup(want);
    t->queue_item = al_xstrndup(b->data, b->len);
    store_rpush(p->st, want, t->queue_item, b->len, NULL, NULL);
  }
}

void coord_persist_task_changed(coord_persist *p, coord_task *t) {
  if (t->dirty) return;
  t->dirty = 1;
  t->dirty_next = NULL;
  if (p->dirty_tail) p->dirty_tail->dirty_next = t;
  else p->dirty_tasks = t;
  p->dirty_tail = t;
}

void coord_persist_job_changed(coord_persist *p, coord_job *j) {
  if (j->dirty) return;
  j->dirty = 1;
  j->dirty_next = p->dirty_jobs;
  p->dirty_jobs = j;
}

void coord_persist_flush(coord_persist *p) {
  coord_task *t = p->dirty_tasks;
  p->dirty_tasks = p->dirty_tail = NULL;
  while (t) {
    coord_task *next = t->dirty_next;
    t->dirty_next = NULL;
    t->dirty = 0;
    write_task(p, t);
    t = next;
  }
  coord_job *j = p->dirty_jobs;
  p->dirty_jobs = NULL;
  while (j) {
    coord_job *next = j->dirty_next;
    j->dirty_next = NULL;
    if (j->dirty) write_job(p, j);
    j = next;
  }
}

/* ---------------------------------------------------------------- job life cycle */

void coord_persist_job_created(coord_persist *p, coord_job *j) {
  write_job(p, j);
  /* indexed before the submission's acknowledging store_sync, which thus covers it */
  store_sadd(p->st, COORD_ACTIVE_JOBS_KEY, j->id, NULL, NULL);
}

void coord_persist_job_sealed(coord_persist *p, coord_job *j) {
  write_job(p, j); /* the record says it is sealed (recovery needs to know) */
}

/* Retention of a final job's records (a SET clears a TTL, so this follows every write
 * of them) and its move out of the active index. */
static void final_bookkeeping(coord_persist *p, const char *job_id, coord_task *const *tasks, size_t n_tasks) {
  char key[512];
  if (p->retention > 0) {
    for (size_t i = 0; i < n_tasks; i++) {
      if (tasks) make_key(key, sizeof key, "task:", tasks[i]->id);
      else snprintf(key, sizeof key, "task:%s-%06zu", job_id, i);
      store_expire(p->st, key, p->retention, NULL, NULL);
    }
    make_key(key, sizeof key, "job:", job_id);
    store_expire(p->st, key, p->retention, NULL, NULL);
  }
  store_srem(p->st, COORD_ACTIVE_JOBS_KEY, job_id, NULL, NULL);
}

void coord_persist_job_final(coord_persist *p, coord_job *j) {
  coord_persist_flush(p); /* a final state is written at once, with its tasks */
  write_job(p, j);
  final_bookkeeping(p, j->id, j->tasks, j->total_tasks);
  store_sadd(p->st, COORD_FINISHED_JOBS_KEY, j->id, NULL, NULL); /* listed after a restart (coord_archive.h) */
}

void coord_persist_job_forgotten(coord_persist *p, coord_job *j) {
  coord_persist_flush(p); /* no dirty list may point into j afterwards */
  char key[512];
  make_key(key, sizeof key, "job:", j->id);
  store_del(p->st, key, NULL, NULL);
  for (size_t i = 0; i < j->total_tasks; i++) {
    coord_task *t = j->tasks[i];
    make_key(key, sizeof key, "task:", t->id);
    store_del(p->st, key, NULL, NULL);
    if (t->listed_key) store_lrem(p->st, t->listed_key, t->queue_item, strlen(t->queue_item), NULL, NULL);
  }
}

/* ---------------------------------------------------------------- workers */

void coord_persist_heartbeat(coord_persist *p, const coord_worker *w, double wall) {
  al_buf *b = &p->scratch;
  b->len = 0;
  coord_heartbeat_to_json(w, wall, b);
  if (b->len) put_scratch(p, "heartbeat:", w->id, p->heartbeat_ttl);
  b->len = 0;
  coord_metrics_to_json(w, b);
  put_scratch(p, "metrics:", w->id, 0);
}

void coord_persist_worker_gone(coord_persist *p, const coord_worker *w) {
  char key[512];
  make_key(key, sizeof key, "heartbeat:", w->id);
  store_del(p->st, key, NULL, NULL);
}

/* ---------------------------------------------------------------- recovery, archive */

void coord_persist_rewrite_job(coord_persist *p, coord_job *j) {
  al_buf *b = &p->scratch;
  for (size_t k = 0; k < j->total_tasks; k++) {
    b->len = 0;
    coord_task_to_json(j->tasks[k], b);
    put_scratch(p, "task:", j->tasks[k]->id, 0);
  }
  write_job(p, j);
  if (coord_job_status_is_final(j->status)) {
    final_bookkeeping(p, j->id, j->tasks, j->total_tasks);
    store_sadd(p->st, COORD_FINISHED_JOBS_KEY, j->id, NULL, NULL);
  } else {
    store_sadd(p->st, COORD_ACTIVE_JOBS_KEY, j->id, NULL, NULL);
  }
}

void coord_persist_unindex(coord_persist *p, const char *job_id) {
  store_srem(p->st, COORD_ACTIVE_JOBS_KEY, job_id, NULL, NULL);
}

void coord_persist_retire(coord_persist *p, const char *job_id, size_t total_tasks) {
  final_bookkeeping(p, job_id, NULL, total_tasks);
}

void coord_persist_drop_queue(coord_persist *p, const char *worker_id) {
  char key[512];
  if (worker_id) make_key(key, sizeof key, "tasks:", worker_id);
  else make_key(key, sizeof key, "pending_tasks", "");
  store_del(p->st, key, NULL, NULL);
}

void coord_persist_unlist_finished(coord_persist *p, const char *job_id) {
  store_srem(p->st, COORD_FINISHED_JOBS_KEY, job_id, NULL, NULL);
}

/* ---------------------------------------------------------------- hooks */

static void hk_task_changed(void *ud, coord_task *t) { coord_persist_task_changed(ud, t); }
static void hk_job_changed(void *ud, coord_job *j) { coord_persist_job_changed(ud, j); }
static void hk_job_created(void *ud, coord_job *j) { coord_persist_job_created(ud, j); }
static void hk_job_sealed(void *ud, coord_job *j) { coord_persist_job_sealed(ud, j); }
static void hk_job_final(void *ud, coord_job *j) { coord_persist_job_final(ud, j); }
static void hk_job_forgotten(void *ud, coord_job *j) { coord_persist_job_forgotten(ud, j); }
static void hk_flush(void *ud) { coord_persist_flush(ud); }
static void hk_heartbeat(void *ud, const coord_worker *w, double wall) { coord_persist_heartbeat(ud, w, wall); }
static void hk_worker_gone(void *ud, const coord_worker *w) { coord_persist_worker_gone(ud, w); }
static int hk_writable(void *ud) { return coord_persist_writable(ud); }

void coord_persist_records(coord_persist *p, coord_jm_records *out) {
  *out = (coord_jm_records){.ud = p,
                            .task_changed = hk_task_changed,
                            .job_changed = hk_job_changed,
                            .job_created = hk_job_created,
                            .job_sealed = hk_job_sealed,
                            .job_final = hk_job_final,
                            .job_forgotten = hk_job_forgotten,
                            .flush = hk_flush,
                            .heartbeat = hk_heartbeat,
                            .worker_gone = hk_worker_gone,
                            .writable = hk_writable};
}
