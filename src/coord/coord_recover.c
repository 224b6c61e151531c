/* Crash recovery and the index of unfinished jobs (see coord_recover.h).
 *
 * Reading: SMEMBERS jobs:active, then GET job:<id> for each member, then GET
 * task:<id>-NNNNNN for each task of each unfinished job, all issued at once
 * (pipelined). A counter of outstanding reads, taken before an operation is issued and
 * given back at the end of its callback, makes this work the same whether the store
 * answers later (Redis) or inside the call (memory).
 *
 * Applying uses only the job manager's public API, so that every invariant (queues,
 * counters, leases, persistence) stays the manager's: the job is created, its tasks are
 * added in index order, and each is given its recorded state with
 * coord_jm_restore_task (completed with its result, failed with its error, or pending
 * with its retries and lease). A task restored as completed counts only once the
 * server has checked that its shards are still published as recorded (the manager's
 * restore hook); otherwise it runs again. Finally the restored records are written
 * back over the intermediate ones. */
#include "coord/coord_recover.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/al.h"

/* ---------------------------------------------------------------- time */

double coord_recover_parse_iso(const char *s) {
  if (!s) return 0;
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  int consumed = 0;
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
             &tm.tm_sec, &consumed) != 6 ||
      consumed != 19)
    return 0;
  double frac = 0;
  if (s[19] == '.') {
    double scale = 0.1;
    for (const char *p = s + 20; *p >= '0' && *p <= '9'; p++, scale /= 10) frac += (*p - '0') * scale;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1; /* the original writes local naive time */
  time_t t = mktime(&tm);
  if (t == (time_t)-1) return 0;
  return (double)t + frac;
}

/* ---------------------------------------------------------------- JSON access */

static const char *jstr(const json_t *o, const char *k) {
  const json_t *v = json_object_get(o, k);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t jint(const json_t *o, const char *k, int64_t def) {
  const json_t *v = json_object_get(o, k);
  if (json_is_integer(v)) return (int64_t)json_integer_value(v);
  if (json_is_real(v)) return (int64_t)json_real_value(v);
  return def;
}

static double jnum(const json_t *o, const char *k, double def) {
  const json_t *v = json_object_get(o, k);
  return json_is_number(v) ? json_number_value(v) : def;
}

/* A task whose record is missing (written behind and lost in the crash) cannot run
 * again: its files are unknown. It is settled as failed, so that the job ends with an
 * honest completed_with_errors instead of silently missing files. */
#define LOST_RECORD_ERROR "task record lost in a coordinator crash (its files are unknown)"

/* ---------------------------------------------------------------- state */

typedef struct rjob {
  char *id;
  json_t *rec;    /* job record, NULL until read / when skipped */
  json_t **tasks; /* task records by index (NULL = missing) */
  size_t n_tasks;
  coord_job *job; /* once applied */
} rjob;

typedef struct recov {
  coord_jm *jm;
  coord_persist *ps; /* every write goes through it */
  store *st;         /* reads */
  coord_recover_cb cb;
  void *ud;
  rjob *jobs;
  size_t n_jobs;
  size_t outstanding;
  int failed;
  char msg[AL_ERR_MSG_MAX];
  coord_recover_report rep;
} recov;

typedef struct rget {
  recov *r;
  size_t job;
  size_t task; /* SIZE_MAX: the job record */
} rget;

static void finish_reads(recov *r);

static void release(recov *r) {
  if (--r->outstanding == 0) finish_reads(r);
}

static void fail(recov *r, const char *fmt, const char *key, const char *why) {
  if (r->failed) return;
  r->failed = 1;
  snprintf(r->msg, sizeof r->msg, fmt, key, why ? why : "unknown error");
}

static void recov_free(recov *r) {
  for (size_t i = 0; i < r->n_jobs; i++) {
    rjob *j = &r->jobs[i];
    free(j->id);
    if (j->rec) json_decref(j->rec);
    for (size_t k = 0; k < j->n_tasks; k++)
      if (j->tasks[k]) json_decref(j->tasks[k]);
    free(j->tasks);
  }
  free(r->jobs);
  free(r);
}

static json_t *parse_record(const store_reply *rep, const char *key) {
  json_error_t e;
  json_t *v = json_loadb(rep->value, rep->len, 0, &e);
  if (!v || !json_is_object(v)) {
    al_error("recovery: %s is not a JSON object (%s at line %d column %d); skipped", key,
             v ? "wrong type" : e.text, e.line, e.column);
    if (v) json_decref(v);
    return NULL;
  }
  return v;
}

/* ---------------------------------------------------------------- reading */

static void on_task(void *ud, const store_reply *rep) {
  rget *g = ud;
  recov *r = g->r;
  rjob *j = &r->jobs[g->job];
  char key[512];
  snprintf(key, sizeof key, "task:%s-%06zu", j->id, g->task);
  if (rep->status == STORE_ERROR) {
    fail(r, "recovery: cannot read %s: %s", key, rep->msg);
  } else if (rep->status == STORE_OK && j->rec) {
    j->tasks[g->task] = parse_record(rep, key);
  }
  free(g);
  release(r);
}

static void on_job(void *ud, const store_reply *rep) {
  rget *g = ud;
  recov *r = g->r;
  rjob *j = &r->jobs[g->job];
  free(g);
  char key[512];
  snprintf(key, sizeof key, "job:%s", j->id);
  if (rep->status == STORE_ERROR) {
    fail(r, "recovery: cannot read %s: %s", key, rep->msg);
    release(r);
    return;
  }
  if (rep->status == STORE_NOT_FOUND) {
    al_warn("recovery: %s listed in %s has no record; removed from the index", key, COORD_ACTIVE_JOBS_KEY);
    coord_persist_unindex(r->ps, j->id);
    r->rep.skipped++;
    release(r);
    return;
  }
  json_t *rec = parse_record(rep, key);
  const char *status = rec ? jstr(rec, "status") : NULL;
  if (!rec || !status) {
    if (rec && !status) al_error("recovery: %s has no status; skipped", key);
    if (rec) json_decref(rec);
    r->rep.skipped++;
    release(r);
    return;
  }
  if (strcmp(status, "pending") != 0 && strcmp(status, "running") != 0) {
    /* final, but still indexed: finish the bookkeeping the crash interrupted */
    int64_t total = jint(rec, "total_tasks", 0);
    if (total < 0) total = 0;
    if (total > (int64_t)COORD_MAX_TASKS_PER_JOB) total = (int64_t)COORD_MAX_TASKS_PER_JOB;
    coord_persist_retire(r->ps, j->id, (size_t)total);
    json_decref(rec);
    r->rep.skipped++;
    release(r);
    return;
  }
  int64_t total = jint(rec, "total_tasks", 0);
  if (total < 0 || total > (int64_t)COORD_MAX_TASKS_PER_JOB) {
    al_error("recovery: %s has total_tasks %lld; skipped", key, (long long)total);
    json_decref(rec);
    r->rep.skipped++;
    release(r);
    return;
  }
  j->rec = rec;
  j->n_tasks = (size_t)total;
  j->tasks = al_xcalloc(j->n_tasks ? j->n_tasks : 1, sizeof *j->tasks);
  for (size_t i = 0; i < j->n_tasks; i++) {
    rget *tg = al_xcalloc(1, sizeof *tg);
    tg->r = r;
    tg->job = (size_t)(j - r->jobs);
    tg->task = i;
    snprintf(key, sizeof key, "task:%s-%06zu", j->id, i);
    r->outstanding++;
    store_get(r->st, key, on_task, tg);
  }
  release(r);
}

static void on_members(void *ud, const store_reply *rep) {
  recov *r = ud;
  if (rep->status != STORE_OK) {
    fail(r, "recovery: cannot read %s: %s", COORD_ACTIVE_JOBS_KEY, rep->msg);
    release(r);
    return;
  }
  r->n_jobs = rep->n_values;
  r->jobs = al_xcalloc(r->n_jobs ? r->n_jobs : 1, sizeof *r->jobs);
  for (size_t i = 0; i < r->n_jobs; i++) r->jobs[i].id = al_xstrndup(rep->values[i], rep->lens[i]);
  char key[512];
  for (size_t i = 0; i < r->n_jobs; i++) {
    rget *g = al_xcalloc(1, sizeof *g);
    g->r = r;
    g->job = i;
    g->task = SIZE_MAX;
    snprintf(key, sizeof key, "job:%s", r->jobs[i].id);
    r->outstanding++;
    store_get(r->st, key, on_job, g);
  }
  release(r);
}

/* ---------------------------------------------------------------- applying */

static int by_created(const void *a, const void *b) {
  const rjob *x = a, *y = b;
  const char *cx = x->rec ? jstr(x->rec, "created_at") : NULL;
  const char *cy = y->rec ? jstr(y->rec, "created_at") : NULL;
  int c = strcmp(cx ? cx : "", cy ? cy : "");
  return c ? c : strcmp(x->id, y->id);
}

static char *dup_or_null(const char *s) { return s ? al_xstrdup(s) : NULL; }

/* The stored result of a completed task. Besides the original's fields
 * (samples_processed, shards_written, skipped, status) it reads the manifest data
 * when the record carries it (tokens, shards, skips). */
static void result_from_json(const json_t *res, coord_task_result *out) {
  memset(out, 0, sizeof *out);
  out->status = al_xstrdup(jstr(res, "status") ? jstr(res, "status") : "success");
  out->samples_processed = jint(res, "samples_processed", 0);
  out->shards_written = jint(res, "shards_written", 0);
  out->skipped = jint(res, "skipped", 0);
  out->tokens = jint(res, "tokens", 0);
  out->has_counts = json_object_get(res, "ids_encoded") != NULL;
  out->documents = jint(res, "documents", 0);
  out->ids_encoded = jint(res, "ids_encoded", 0);
  out->ids_truncated = jint(res, "ids_truncated", 0);
  out->padding = jint(res, "padding", 0);
  out->bytes_read = jint(res, "bytes_read", 0);
  const json_t *shards = json_object_get(res, "shards");
  if (json_is_array(shards) && json_array_size(shards) > 0) {
    out->n_shards = json_array_size(shards);
    out->shards = al_xcalloc(out->n_shards, sizeof *out->shards);
    for (size_t i = 0; i < out->n_shards; i++) {
      const json_t *s = json_array_get(shards, i);
      coord_shard_info *si = &out->shards[i];
      si->path = al_xstrdup(jstr(s, "path") ? jstr(s, "path") : "");
      si->samples = jint(s, "samples", 0);
      si->tokens = jint(s, "tokens", 0);
      si->bytes = jint(s, "bytes", 0);
      si->sha256 = dup_or_null(jstr(s, "sha256"));
      const json_t *files = json_object_get(s, "files");
      size_t nf = json_is_array(files) ? json_array_size(files) : 0;
      si->files = al_xcalloc(nf ? nf : 1, sizeof *si->files);
      for (size_t k = 0; k < nf; k++) {
        const char *f = json_string_value(json_array_get(files, k));
        si->files[si->n_files++] = al_xstrdup(f ? f : "");
      }
    }
  }
  const json_t *skips = json_object_get(res, "skips");
  if (json_is_array(skips) && json_array_size(skips) > 0) {
    out->n_skips = json_array_size(skips);
    out->skips = al_xcalloc(out->n_skips, sizeof *out->skips);
    for (size_t i = 0; i < out->n_skips; i++) {
      const json_t *s = json_array_get(skips, i);
      out->skips[i].path = al_xstrdup(jstr(s, "path") ? jstr(s, "path") : "");
      out->skips[i].reason = al_xstrdup(jstr(s, "reason") ? jstr(s, "reason") : "");
    }
  }
}

static int stored_status_is(const json_t *tr, const char *st) {
  const char *s = jstr(tr, "status");
  return s && strcmp(s, st) == 0;
}

/* Gives t what its record says through the job manager's restore call: completed
 * with its result (counted once the server has checked its shards are still
 * published), failed with its error, or back to pending with its retries and lease. */
static void restore_task(recov *r, coord_task *t, const json_t *tr) {
  coord_task_restore rs;
  memset(&rs, 0, sizeof rs);
  coord_task_result res;
  memset(&res, 0, sizeof res);
  if (!tr) {
    al_error("recovery: task:%s has no record; it is marked failed (%s)", t->id, LOST_RECORD_ERROR);
    rs.status = COORD_TASK_FAILED;
    rs.error = LOST_RECORD_ERROR;
  } else {
    int64_t attempt = jint(tr, "attempt", 0);
    rs.retries = (int)jint(tr, "retries", 0);
    rs.attempt = attempt > 0 && attempt < UINT32_MAX ? (uint32_t)attempt : 0;
    rs.worker_id = jstr(tr, "worker_id");
    rs.assigned_at = coord_recover_parse_iso(jstr(tr, "assigned_at"));
    rs.started_at = coord_recover_parse_iso(jstr(tr, "started_at"));
    rs.completed_at = coord_recover_parse_iso(jstr(tr, "completed_at"));
    rs.failed_at = coord_recover_parse_iso(jstr(tr, "failed_at"));
    if (stored_status_is(tr, "completed")) {
      const json_t *rsj = json_object_get(tr, "result");
      result_from_json(json_is_object(rsj) ? rsj : tr, &res);
      rs.status = COORD_TASK_COMPLETED;
      rs.result = &res;
    } else if (stored_status_is(tr, "failed")) {
      rs.status = COORD_TASK_FAILED;
      rs.error = jstr(tr, "error") ? jstr(tr, "error") : "failed before a coordinator restart";
    } else {
      rs.status = COORD_TASK_PENDING;
    }
  }
  al_err err;
  al_err_clear(&err);
  if (coord_jm_restore_task(r->jm, t, &rs, &err) != 0) {
    al_error("recovery: %s", err.msg);
  } else if (rs.status == COORD_TASK_COMPLETED) {
    r->rep.completed++;
  } else if (rs.status == COORD_TASK_FAILED) {
    r->rep.failed++;
  } else {
    r->rep.requeued++;
  }
  coord_task_result_free(&res);
}

/* Creates the job and adds its tasks (all pending for now). */
static void apply_job(recov *r, rjob *rj) {
  const json_t *rec = rj->rec;
  const json_t *cfgj = json_object_get(rec, "config");
  coord_job_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.input_dir = (char *)jstr(cfgj, "input_dir");
  cfg.output_dir = (char *)jstr(cfgj, "output_dir");
  cfg.tokenizers_dir = (char *)jstr(cfgj, "tokenizers_dir");
  cfg.max_seq_len = jint(cfgj, "max_seq_len", 0);
  cfg.shard_size = jint(cfgj, "shard_size", 0);
  cfg.long_documents = (char *)jstr(cfgj, "long_documents");
  cfg.packing = (char *)jstr(cfgj, "packing");
  cfg.detect_text = json_is_true(json_object_get(cfgj, "detect_text"));
  cfg.jsonl_field = (char *)jstr(cfgj, "jsonl_field");
  cfg.name = (char *)(jstr(rec, "name") ? jstr(rec, "name") : jstr(cfgj, "name"));
  cfg.task_timeout_s = jnum(rec, "task_timeout", jnum(cfgj, "task_timeout", 0));
  double created = coord_recover_parse_iso(jstr(rec, "created_at"));
  double timeout = jnum(rec, "timeout", jnum(cfgj, "timeout", 0));
  if (timeout > 0) {
    /* the job keeps its original deadline: only what is left of it */
    double left = created > 0 ? timeout - (al_wall_s() - created) : timeout;
    cfg.timeout_s = left > 0.001 ? left : 0.001;
  }
  al_err err;
  al_err_clear(&err);
  coord_job *j = coord_jm_job_create(r->jm, rj->id, &cfg, &err);
  if (!j) {
    al_error("recovery: job %s not restored: %s", rj->id, err.msg);
    r->rep.skipped++;
    return;
  }
  if (created > 0) j->created_at = created;
  rj->job = j;
  r->rep.jobs++;
  for (size_t i = 0; i < rj->n_tasks; i++) {
    const json_t *tr = rj->tasks[i];
    const json_t *files = tr ? json_object_get(tr, "files") : NULL;
    size_t nf = json_is_array(files) ? json_array_size(files) : 0;
    const char **fv = al_xcalloc(nf ? nf : 1, sizeof *fv);
    for (size_t k = 0; k < nf; k++) {
      const char *f = json_string_value(json_array_get(files, k));
      fv[k] = f ? f : "";
    }
    coord_task *t = coord_jm_job_add_task(r->jm, j, fv, nf, &err);
    free(fv);
    if (!t) {
      al_error("recovery: task %zu of job %s not restored: %s", i, rj->id, err.msg);
      continue;
    }
    r->rep.tasks++;
    const char *sid = tr ? jstr(tr, "id") : NULL;
    if (sid && strcmp(sid, t->id) != 0)
      al_warn("recovery: task record %s-%06zu holds id %s; using %s", rj->id, i, sid, t->id);
    restore_task(r, t, tr);
  }
}

static void apply_all(recov *r) {
  qsort(r->jobs, r->n_jobs, sizeof *r->jobs, by_created);
  /* the queues are rebuilt from the manager's state: drop the old lists first (the
   * store completes operations in order, so these land before the new pushes) */
  coord_persist_drop_queue(r->ps, NULL);
  for (size_t i = 0; i < r->n_jobs; i++)
    for (size_t k = 0; r->jobs[i].rec && k < r->jobs[i].n_tasks; k++) {
      const char *wid = r->jobs[i].tasks[k] ? jstr(r->jobs[i].tasks[k], "worker_id") : NULL;
      if (wid) coord_persist_drop_queue(r->ps, wid);
    }
  for (size_t i = 0; i < r->n_jobs; i++)
    if (r->jobs[i].rec) apply_job(r, &r->jobs[i]);
  for (size_t i = 0; i < r->n_jobs; i++) {
    rjob *rj = &r->jobs[i];
    if (!rj->job) continue;
    /* samples and tokens are not taken from the job record: the restored tasks'
     * results sum them, and a record written ahead of its tasks' records counts tasks
     * that run again after the restart (counted twice) */
    int64_t retried = jint(rj->rec, "retried_tasks", 0);
    if (retried > 0 && (size_t)retried > rj->job->retried_tasks) rj->job->retried_tasks = (size_t)retried;
    const json_t *sealed = json_object_get(rj->rec, "sealed");
    int seal = json_is_boolean(sealed) ? json_is_true(sealed) : rj->n_tasks > 0;
    if (seal && !coord_job_status_is_final(rj->job->status)) coord_jm_job_seal(r->jm, rj->job, NULL);
    coord_persist_rewrite_job(r->ps, rj->job); /* the restored timestamps and counters */
  }
  al_info("recovery: %zu unfinished jobs reloaded (%zu tasks: %zu completed, %zu failed, %zu back to pending); "
          "%zu index entries skipped",
          r->rep.jobs, r->rep.tasks, r->rep.completed, r->rep.failed, r->rep.requeued, r->rep.skipped);
}

static void on_synced(void *ud, const store_reply *rep) {
  recov *r = ud;
  if (rep->status != STORE_OK && !r->failed)
    fail(r, "recovery: the state store did not confirm the rebuilt records%s: %s", "", rep->msg);
  r->cb(r->ud, !r->failed, &r->rep, r->failed ? r->msg : NULL);
  recov_free(r);
}

static void finish_reads(recov *r) {
  if (!r->failed) {
    apply_all(r);
    /* the manager writes records behind; push them out so that the barrier below
     * also covers the rebuilt queues */
    coord_jm_flush(r->jm);
  }
  r->outstanding = 1; /* the barrier below */
  store_sync(r->st, on_synced, r);
}

/* ---------------------------------------------------------------- entry points */

void coord_recover_start(coord_jm *jm, coord_persist *ps, coord_recover_cb cb, void *ud) {
  if (coord_jm_worker_count(jm) > 0) {
    coord_recover_report rep;
    memset(&rep, 0, sizeof rep);
    cb(ud, 0, &rep, "recovery must run before any worker connects (call it before the server listens)");
    return;
  }
  recov *r = al_xcalloc(1, sizeof *r);
  r->jm = jm;
  r->ps = ps;
  r->st = coord_persist_store(ps);
  r->cb = cb;
  r->ud = ud;
  r->outstanding = 1;
  store_smembers(r->st, COORD_ACTIVE_JOBS_KEY, on_members, r);
}

typedef struct run_wait {
  int done, ok;
  coord_recover_report rep;
  char msg[AL_ERR_MSG_MAX];
} run_wait;

static void on_run_done(void *ud, int ok, const coord_recover_report *rep, const char *msg) {
  run_wait *w = ud;
  w->done = 1;
  w->ok = ok;
  w->rep = *rep;
  snprintf(w->msg, sizeof w->msg, "%s", msg ? msg : "");
}

int coord_recover_run(uv_loop_t *loop, coord_jm *jm, coord_persist *ps, coord_recover_report *rep, al_err *err) {
  run_wait w;
  memset(&w, 0, sizeof w);
  coord_recover_start(jm, ps, on_run_done, &w);
  while (!w.done)
    if (uv_run(loop, UV_RUN_ONCE) == 0 && !w.done)
      return al_err_set(err, AL_E_FAILED, "recovery: the event loop stopped before the state store answered");
  if (rep) *rep = w.rep;
  if (!w.ok) return al_err_set(err, AL_E_FAILED, "%s", w.msg);
  return 0;
}
