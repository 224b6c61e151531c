/* Job manager unit tests: pure state driven with a fake clock, hooks recorded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/al.h"
#include "coord/coord_jm.h"
#include "coord/coord_persist.h"
#include "coord/coord_reason.h"
#include "coord/coord_strategy.h"
#include "harness.h"
#include "store/store.h"

typedef struct ev {
  char kind;     /* 'A' assign, 'R' revoke, 'F' job finished, 'G' worker gone */
  char who[64];  /* worker id or job id */
  char what[128];/* task id */
  uint32_t attempt;
} ev;

typedef struct env {
  double now;
  ev evs[4096];
  size_t n;
  double deadline;
  store *st;
  coord_persist *ps;
  coord_jm *jm;
} env;

static double env_now(void *ud) { return ((env *)ud)->now; }
static double env_wall(void *ud) { return 1700000000.0 + ((env *)ud)->now; }

static void push_ev(env *e, char k, const char *who, const char *what, uint32_t att) {
  if (e->n >= AL_ARRAY_LEN(e->evs)) return;
  ev *v = &e->evs[e->n++];
  v->kind = k;
  snprintf(v->who, sizeof v->who, "%s", who);
  snprintf(v->what, sizeof v->what, "%s", what ? what : "");
  v->attempt = att;
}
static void h_assign(void *ud, coord_worker *w, coord_task *t) { push_ev(ud, 'A', w->id, t->id, t->attempt); }
static void h_revoke(void *ud, coord_worker *w, coord_task *t, uint32_t a, const char *why) {
  push_ev(ud, 'R', w->id, t->id, a);
}
static void h_finished(void *ud, coord_job *j) { push_ev(ud, 'F', j->id, coord_job_status_name(j->status), 0); }
static void h_gone(void *ud, coord_worker *w) { push_ev(ud, 'G', w->id, NULL, 0); }
static void h_timer(void *ud, double d) { ((env *)ud)->deadline = d; }

static int g_with_restore; /* env_init wires the restore hook ('V' events) */
static void h_restore(void *ud, coord_task *t) { push_ev(ud, 'V', t->job->id, t->id, t->attempt); }

static void env_init(env *e, coord_jm_params *p) {
  memset(e, 0, sizeof *e);
  e->now = 100;
  e->deadline = -1;
  e->st = store_memory_new(env_now, e);
  coord_jm_hooks h = {.ud = e, .now = env_now, .wall = env_wall, .assign = h_assign, .revoke = h_revoke,
                      .job_finished = h_finished, .worker_gone = h_gone, .timer = h_timer,
                      .restore = g_with_restore ? h_restore : NULL};
  e->ps = coord_persist_new(e->st, p->heartbeat_timeout, p->retention);
  coord_jm_records rec;
  coord_persist_records(e->ps, &rec);
  e->jm = coord_jm_new(p, &h, &rec);
}
static void env_free(env *e) {
  coord_jm_free(e->jm);
  coord_persist_free(e->ps);
  store_destroy(e->st);
}
/* Advances the fake clock, firing the timer whenever a deadline passes. */
static void env_advance(env *e, double dt) {
  double end = e->now + dt;
  while (e->deadline >= 0 && e->deadline <= end) {
    e->now = e->deadline > e->now ? e->deadline : e->now;
    coord_jm_on_timer(e->jm);
  }
  e->now = end;
}
static size_t count_ev(env *e, char k, const char *who) {
  size_t n = 0;
  for (size_t i = 0; i < e->n; i++)
    if (e->evs[i].kind == k && (!who || strcmp(e->evs[i].who, who) == 0)) n++;
  return n;
}
static const ev *last_ev(env *e, char k, const char *what) {
  for (size_t i = e->n; i-- > 0;)
    if (e->evs[i].kind == k && (!what || strcmp(e->evs[i].what, what) == 0)) return &e->evs[i];
  return NULL;
}

static coord_job *mkjob(env *e, const char *id, size_t ntasks, int seal) {
  coord_job_config cfg = {"/in", "/out", "/tok", 128, 10, 0, 0, NULL, NULL, NULL, 0, NULL};
  al_err err;
  coord_job *j = coord_jm_job_create(e->jm, id, &cfg, &err);
  CHECK(j != NULL);
  for (size_t i = 0; i < ntasks; i++) {
    char f[32];
    snprintf(f, sizeof f, "/in/f%zu.txt", i);
    const char *files[1] = {f};
    CHECK(coord_jm_job_add_task(e->jm, j, files, 1, &err) != NULL);
  }
  if (seal) CHECK_EQ_INT(coord_jm_job_seal(e->jm, j, &err), 0);
  return j;
}

static coord_jm_params params(void) {
  coord_jm_params p;
  coord_jm_params_default(&p);
  p.heartbeat_timeout = 1;
  p.heartbeat_interval = 0.25;
  p.retry_backoff = 0.5;
  p.retry_backoff_multiplier = 2;
  p.max_retry_backoff = 1.5;
  p.task_timeout = 0;
  p.prefetch = 0;
  p.work_stealing = 0;
  return p;
}

/* completes task under its current lease on its worker */
static int finish(env *e, const char *task_id, int ok) {
  coord_task *t = coord_jm_task_find(e->jm, task_id);
  if (!t || !t->worker) return -1;
  coord_task_result r = {0};
  r.samples_processed = 2;
  r.tokens = 20;
  r.shards_written = 1;
  return coord_jm_task_result(e->jm, t->worker, task_id, t->attempt, ok, &r, ok ? NULL : "boom");
}

static void test_round_robin_order(void) {
  coord_jm_params p = params();
  p.prefetch = 10;
  env e;
  env_init(&e, &p);
  coord_jm_worker_join(e.jm, "a", 1, NULL);
  coord_jm_worker_join(e.jm, "b", 1, NULL);
  coord_jm_worker_join(e.jm, "c", 1, NULL);
  mkjob(&e, "j1", 6, 1);
  const char *want[] = {"a", "b", "c", "a", "b", "c"};
  CHECK_EQ_INT(count_ev(&e, 'A', NULL), 6);
  for (size_t i = 0; i < 6; i++) CHECK_EQ_STR(e.evs[i].who, want[i]);
  CHECK_EQ_STR(e.evs[0].what, "j1-000000");
  CHECK_EQ_INT(e.evs[0].attempt, 1);
  coord_task *t = coord_jm_task_find(e.jm, "j1-000004");
  CHECK(t != NULL);
  CHECK_EQ_STR(t->output_dir, "/out/task_j1-000004");
  CHECK_EQ_INT(t->status, COORD_TASK_ASSIGNED);
  env_free(&e);
}

static void test_strategy_cases(void) {
  coord_worker a = {0}, b = {0}, c = {0};
  a.id = "a"; b.id = "b"; c.id = "c";
  a.cpu = a.mem = b.cpu = b.mem = c.cpu = c.mem = -1;
  coord_task ts[5];
  memset(ts, 0, sizeof ts);
  /* least busy: a has 3 queued, b 1, c 2 */
  a.queued.n = 3; b.queued.n = 1; c.queued.n = 2;
  coord_worker *cand[3] = {&a, &b, &c};
  size_t rr = 0;
  CHECK_EQ_INT(coord_strategy_pick(COORD_STRATEGY_LEAST_BUSY, cand, 3, &rr), 1);
  /* ties go to the first */
  b.queued.n = 3; c.queued.n = 3;
  CHECK_EQ_INT(coord_strategy_pick(COORD_STRATEGY_LEAST_BUSY, cand, 3, &rr), 0);
  /* dynamic prefers 10/20 over 90/80 */
  coord_worker *two[2] = {&a, &b};
  a.queued.n = b.queued.n = 0;
  a.cpu = 90; a.mem = 80; b.cpu = 10; b.mem = 20;
  CHECK_EQ_INT(coord_strategy_pick(COORD_STRATEGY_DYNAMIC, two, 2, &rr), 1);
  /* missing metrics count as 50: 50/50 (score 30) beats 90/80 (51) */
  b.cpu = b.mem = -1;
  CHECK_EQ_INT(coord_strategy_pick(COORD_STRATEGY_DYNAMIC, two, 2, &rr), 1);
  CHECK(coord_dynamic_score(&b) > 29.99 && coord_dynamic_score(&b) < 30.01);
  /* round robin cursor persists */
  rr = 0;
  size_t got[6];
  for (int i = 0; i < 6; i++) got[i] = coord_strategy_pick(COORD_STRATEGY_ROUND_ROBIN, cand, 3, &rr);
  CHECK(got[0] == 0 && got[1] == 1 && got[2] == 2 && got[3] == 0 && got[4] == 1 && got[5] == 2);
  CHECK_EQ_INT(coord_strategy_parse("dynamic"), COORD_STRATEGY_DYNAMIC);
  CHECK_EQ_INT(coord_strategy_parse("random"), -1);
}

static void test_least_busy_dispatch(void) {
  coord_jm_params p = params();
  p.strategy = COORD_STRATEGY_LEAST_BUSY;
  p.prefetch = 10;
  env e;
  env_init(&e, &p);
  coord_worker *a = coord_jm_worker_join(e.jm, "a", 1, NULL);
  mkjob(&e, "j1", 3, 0); /* all on a */
  coord_worker *b = coord_jm_worker_join(e.jm, "b", 1, NULL);
  coord_job *j = coord_jm_job_find(e.jm, "j1");
  al_err err;
  const char *f[1] = {"x"};
  coord_jm_job_add_task(e.jm, j, f, 1, &err);
  coord_jm_job_add_task(e.jm, j, f, 1, &err);
  CHECK_EQ_INT(a->queued.n, 3);
  CHECK_EQ_INT(b->queued.n, 2);
  coord_jm_set_strategy(e.jm, COORD_STRATEGY_ROUND_ROBIN);
  CHECK_EQ_INT(coord_jm_strategy(e.jm), COORD_STRATEGY_ROUND_ROBIN);
  env_free(&e);
}

static void test_capacity_dispatch_and_completion(void) {
  coord_jm_params p = params();
  p.prefetch = 1;
  env e;
  env_init(&e, &p);
  coord_job *j = mkjob(&e, "job", 10, 1);
  CHECK_EQ_INT(j->status, COORD_JOB_RUNNING);
  CHECK_EQ_INT(coord_jm_pending_count(e.jm), 10);
  /* records are written behind: within the flush delay, or at once on coord_jm_flush */
  CHECK_EQ_INT(store_memory_list_len(e.st, "pending_tasks"), 0);
  env_advance(&e, 0.06);
  CHECK_EQ_INT(store_memory_list_len(e.st, "pending_tasks"), 10);
  coord_worker *w = coord_jm_worker_join(e.jm, "w1", 2, NULL);
  CHECK_EQ_INT(w->queued.n, 3); /* slots + prefetch */
  CHECK_EQ_INT(coord_jm_pending_count(e.jm), 7);
  coord_jm_flush(e.jm);
  CHECK_EQ_INT(store_memory_list_len(e.st, "tasks:w1"), 3);
  CHECK_EQ_INT(store_memory_list_len(e.st, "pending_tasks"), 7);
  CHECK_EQ_INT(coord_jm_task_started(e.jm, w, "job-000000", 1), COORD_OK);
  coord_jm_flush(e.jm);
  CHECK_EQ_INT(store_memory_list_len(e.st, "tasks:w1"), 2);
  CHECK_EQ_INT(coord_jm_task_find(e.jm, "job-000000")->status, COORD_TASK_RUNNING);
  /* a result frees capacity and the next task is assigned at once */
  CHECK_EQ_INT(finish(&e, "job-000000", 1), COORD_OK);
  CHECK_EQ_INT(count_ev(&e, 'A', NULL), 4);
  CHECK_EQ_INT(j->completed_tasks, 1);
  for (int i = 1; i < 10; i++) {
    char id[32];
    snprintf(id, sizeof id, "job-%06d", i);
    CHECK_EQ_INT(finish(&e, id, 1), COORD_OK);
  }
  CHECK_EQ_INT(j->status, COORD_JOB_COMPLETED);
  CHECK_EQ_INT(j->samples, 20);
  CHECK_EQ_INT(j->tokens, 200);
  CHECK(j->completed_at > 0);
  const ev *f = last_ev(&e, 'F', NULL);
  CHECK(f && strcmp(f->what, "completed") == 0);
  CHECK_EQ_INT(store_memory_list_len(e.st, "pending_tasks"), 0);
  CHECK_EQ_INT(store_memory_list_len(e.st, "tasks:w1"), 0);
  env_free(&e);
}

static void get_cb(void *ud, const store_reply *r) {
  char **out = ud;
  *out = r->status == STORE_OK && r->value ? al_xstrndup(r->value, r->len) : NULL;
}

static void test_records_in_store(void) {
  coord_jm_params p = params();
  env e;
  env_init(&e, &p);
  coord_worker *w = coord_jm_worker_join(e.jm, "w1", 1, NULL);
  mkjob(&e, "jr", 1, 1);
  coord_jm_flush(e.jm);
  char *v = NULL;
  store_get(e.st, "task:jr-000000", get_cb, &v);
  CHECK_CONTAINS(v, "\"status\": \"assigned\"");
  CHECK_CONTAINS(v, "\"worker_id\": \"w1\"");
  CHECK_CONTAINS(v, "\"output_dir\": \"/out/task_jr-000000\"");
  CHECK_CONTAINS(v, "\"files\": [\"/in/f0.txt\"]");
  free(v);
  coord_jm_task_started(e.jm, w, "jr-000000", 1);
  finish(&e, "jr-000000", 1);
  store_get(e.st, "task:jr-000000", get_cb, &v);
  CHECK_CONTAINS(v, "\"status\": \"completed\"");
  /* the original's result fields first, then ours (tokens, shards, skips) */
  CHECK_CONTAINS(v, "\"result\": {\"samples_processed\": 2, \"shards_written\": 1, \"skipped\": 0, \"status\": \"success\", \"tokens\": ");
  free(v);
  store_get(e.st, "job:jr", get_cb, &v);
  CHECK_CONTAINS(v, "{\"id\": \"jr\", \"status\": \"completed\"");
  CHECK_CONTAINS(v, "\"total_tasks\": 1, \"completed_tasks\": 1, \"failed_tasks\": 0");
  free(v);
  coord_jm_worker_metrics(e.jm, w, 12.5, 40, 1, 0, 2);
  store_get(e.st, "metrics:w1", get_cb, &v);
  CHECK_CONTAINS(v, "\"cpu_usage\": 12.5");
  free(v);
  store_get(e.st, "heartbeat:w1", get_cb, &v);
  CHECK_CONTAINS(v, "\"status\": \"alive\"");
  CHECK_CONTAINS(v, "{\"worker_id\": \"w1\", \"timestamp\": \"");
  free(v);
  env_free(&e);
}

/* A worker id with a quote, a backslash and a control character still gives a heartbeat
 * record that is valid JSON and carries the id unchanged. */
static void test_heartbeat_record_escapes_worker_id(void) {
  coord_jm_params p = params();
  env e;
  env_init(&e, &p);
  const char *id = "w\"1\\x\ty";
  coord_worker *w = coord_jm_worker_join(e.jm, id, 1, NULL);
  coord_jm_worker_metrics(e.jm, w, 1.0, 2.0, 0, 0, 7);
  char key[64];
  snprintf(key, sizeof key, "heartbeat:%s", id);
  char *v = NULL;
  store_get(e.st, key, get_cb, &v);
  CHECK(v != NULL);
  json_error_t je;
  json_t *o = v ? json_loads(v, 0, &je) : NULL;
  CHECK_MSG(o != NULL, "heartbeat record is not JSON: %s (%s)", v ? v : "(none)", o ? "" : je.text);
  CHECK_EQ_STR(json_string_value(json_object_get(o, "worker_id")), id);
  CHECK_EQ_STR(json_string_value(json_object_get(o, "status")), "alive");
  CHECK_EQ_INT(json_integer_value(json_object_get(o, "samples_processed")), 7);
  CHECK_CONTAINS(v, "\"worker_id\": \"w\\\"1\\\\x\\ty\", ");
  json_decref(o);
  free(v);
  env_free(&e);
}

static void test_dead_worker_requeues_queued_and_running(void) {
  coord_jm_params p = params();
  p.prefetch = 2;
  env e;
  env_init(&e, &p);
  coord_worker *a = coord_jm_worker_join(e.jm, "a", 1, NULL);
  coord_job *j = mkjob(&e, "jd", 3, 1);
  CHECK_EQ_INT(a->queued.n, 3);
  coord_jm_task_started(e.jm, a, "jd-000000", 1);
  coord_jm_worker_join(e.jm, "b", 3, NULL);
  /* a goes silent; b keeps talking */
  for (int i = 0; i < 4; i++) {
    env_advance(&e, 0.3);
    coord_worker *b = coord_jm_worker_find(e.jm, "b");
    coord_jm_worker_seen(e.jm, b);
  }
  CHECK(coord_jm_worker_find(e.jm, "a") == NULL);
  CHECK_EQ_INT(count_ev(&e, 'G', "a"), 1);
  coord_task *t0 = coord_jm_task_find(e.jm, "jd-000000");
  CHECK_EQ_INT(t0->retries, 1);
  CHECK_CONTAINS(t0->error, "worker a lost");
  CHECK_EQ_INT(coord_jm_backoff_count(e.jm), 3);
  /* after the backoff they go to b */
  env_advance(&e, 0.6);
  coord_worker *b = coord_jm_worker_find(e.jm, "b");
  CHECK_EQ_INT(b->queued.n, 3);
  CHECK_EQ_INT(t0->attempt, 2);
  for (int i = 0; i < 3; i++) {
    char id[32];
    snprintf(id, sizeof id, "jd-%06d", i);
    CHECK_EQ_INT(finish(&e, id, 1), COORD_OK);
  }
  CHECK_EQ_INT(j->status, COORD_JOB_COMPLETED);
  CHECK_EQ_INT(j->retried_tasks, 3);
  env_free(&e);
}

static void test_disconnect_grace_and_rejoin(void) {
  coord_jm_params p = params();
  env e;
  env_init(&e, &p);
  coord_worker *a = coord_jm_worker_join(e.jm, "a", 1, NULL);
  mkjob(&e, "jg", 1, 1);
  coord_jm_task_started(e.jm, a, "jg-000000", 1);
  coord_jm_worker_disconnected(e.jm, a);
  env_advance(&e, 0.5);
  size_t assigns = count_ev(&e, 'A', "a");
  coord_worker *a2 = coord_jm_worker_join(e.jm, "a", 1, NULL);
  CHECK(a2 == a);
  /* its lease is sent again on the new connection, same attempt */
  CHECK_EQ_INT(count_ev(&e, 'A', "a"), assigns + 1);
  CHECK_EQ_INT(last_ev(&e, 'A', "jg-000000")->attempt, 1);
  CHECK_EQ_INT(coord_jm_task_claim(e.jm, a2, "jg-000000", 1), COORD_OK);
  CHECK_EQ_INT(coord_jm_task_claim(e.jm, a2, "jg-000000", 7), COORD_STALE);
  env_advance(&e, 0.7);
  CHECK(coord_jm_worker_find(e.jm, "a") != NULL); /* 1.2 s since disconnect but rejoined */
  CHECK_EQ_INT(finish(&e, "jg-000000", 1), COORD_OK);
  /* disconnect and stay away: dead after heartbeat_timeout */
  coord_jm_worker_disconnected(e.jm, a);
  env_advance(&e, 0.9);
  CHECK(coord_jm_worker_find(e.jm, "a") != NULL);
  env_advance(&e, 0.2);
  CHECK(coord_jm_worker_find(e.jm, "a") == NULL);
  env_free(&e);
}

static void test_retries_exhausted_and_backoff(void) {
  coord_jm_params p = params();
  p.heartbeat_timeout = 100;
  p.max_retries = 2;
  env e;
  env_init(&e, &p);
  coord_jm_worker_join(e.jm, "a", 1, NULL);
  coord_jm_worker_join(e.jm, "b", 1, NULL);
  coord_job *j = mkjob(&e, "jf", 2, 1);
  coord_task *t = coord_jm_task_find(e.jm, "jf-000000");
  CHECK_EQ_STR(t->worker->id, "a");
  CHECK_EQ_INT(finish(&e, "jf-000000", 0), COORD_OK);
  CHECK_EQ_INT(t->retries, 1);
  CHECK_EQ_INT(t->place, COORD_IN_BACKOFF);
  CHECK(t->timer.deadline > 100.49 && t->timer.deadline < 100.51); /* retry_backoff */
  CHECK_EQ_INT(finish(&e, "jf-000001", 1), COORD_OK);
  env_advance(&e, 0.5);
  /* retried on the other worker, b */
  CHECK(t->worker != NULL);
  CHECK_EQ_STR(t->worker->id, "b");
  CHECK_EQ_INT(finish(&e, "jf-000000", 0), COORD_OK);
  CHECK(t->timer.deadline > e.now + 0.99 && t->timer.deadline < e.now + 1.01); /* 0.5 * 2 */
  env_advance(&e, 1.0);
  CHECK_EQ_STR(t->worker->id, "a");
  CHECK_EQ_INT(finish(&e, "jf-000000", 0), COORD_OK);
  CHECK_EQ_INT(t->status, COORD_TASK_FAILED);
  CHECK_EQ_STR(t->error, "boom");
  CHECK(t->failed_at > 0);
  CHECK_EQ_INT(j->status, COORD_JOB_COMPLETED_WITH_ERRORS);
  CHECK_EQ_INT(j->failed_tasks, 1);
  CHECK_EQ_INT(j->completed_tasks, 1);
  /* three failed attempts ("boom"), counted by reason for /metrics */
  CHECK_EQ_INT(coord_jm_attempts_failed(e.jm, COORD_REASON_OTHER), 3);
  CHECK_EQ_INT(coord_jm_attempts_failed(e.jm, COORD_REASON_TOKENIZERS), 0);
  env_free(&e);
}

static void test_failure_reasons(void) {
  CHECK_EQ_STR(coord_reason_name(coord_reason_of("cannot load tokenizers from /tok: no such directory")),
               "tokenizers");
  CHECK_EQ_STR(coord_reason_name(coord_reason_of("task timed out after 5s (task_timeout)")), "task_timeout");
  CHECK_EQ_STR(coord_reason_name(coord_reason_of("worker a lost (no heartbeat for 30s)")), "worker_lost");
  CHECK_EQ_STR(coord_reason_name(coord_reason_of("job cancelled")), "cancelled");
  CHECK_EQ_STR(coord_reason_name(coord_reason_of("job timed out after 3600s")), "job_timeout");
  CHECK_EQ_STR(coord_reason_name(coord_reason_of("task timed out after 5s on worker a")), "task_timeout");
  CHECK_EQ_STR(coord_reason_name(coord_reason_of("cannot write output: No space left on device")), "output");
  CHECK_EQ_STR(coord_reason_name(coord_reason_of("boom")), "other");
  CHECK_EQ_STR(coord_reason_name(coord_reason_of(NULL)), "other");
  CHECK_EQ_STR(coord_reason_name((coord_reason)99), "other");
}

static void test_all_failed_is_failed(void) {
  coord_jm_params p = params();
  p.heartbeat_timeout = 100;
  p.max_retries = 0;
  env e;
  env_init(&e, &p);
  coord_jm_worker_join(e.jm, "a", 2, NULL);
  coord_job *j = mkjob(&e, "jx", 2, 1);
  finish(&e, "jx-000000", 0);
  finish(&e, "jx-000001", 0);
  CHECK_EQ_INT(j->status, COORD_JOB_FAILED);
  env_free(&e);
}

static void test_backoff_cap(void) {
  coord_jm_params p = params();
  p.heartbeat_timeout = 100;
  p.max_retries = 10;
  env e;
  env_init(&e, &p);
  coord_jm_worker_join(e.jm, "a", 1, NULL);
  mkjob(&e, "jc", 1, 1);
  coord_task *t = coord_jm_task_find(e.jm, "jc-000000");
  double expect[] = {0.5, 1.0, 1.5, 1.5};
  for (int i = 0; i < 4; i++) {
    finish(&e, "jc-000000", 0);
    double d = t->timer.deadline;
    CHECK_MSG(d > e.now + expect[i] - 0.01 && d < e.now + expect[i] + 0.01,
              "retry %d delay %g want %g", i + 1, d - e.now, expect[i]);
    env_advance(&e, expect[i]);
  }
  env_free(&e);
}

static void test_stale_results_rejected(void) {
  coord_jm_params p = params();
  p.heartbeat_timeout = 100;
  env e;
  env_init(&e, &p);
  coord_worker *a = coord_jm_worker_join(e.jm, "a", 1, NULL);
  coord_job *j = mkjob(&e, "js", 1, 1);
  coord_jm_task_started(e.jm, a, "js-000000", 1);
  coord_jm_worker_dead(e.jm, a, "test");
  coord_worker *b = coord_jm_worker_join(e.jm, "b", 1, NULL);
  env_advance(&e, 0.6);
  coord_task *t = coord_jm_task_find(e.jm, "js-000000");
  CHECK_EQ_INT(t->attempt, 2);
  /* a comes back and reports its old attempt */
  a = coord_jm_worker_join(e.jm, "a", 1, NULL);
  coord_task_result r = {0};
  CHECK_EQ_INT(coord_jm_task_result(e.jm, a, "js-000000", 1, 1, &r, NULL), COORD_STALE);
  CHECK_EQ_INT(coord_jm_task_result(e.jm, b, "js-000000", 1, 1, &r, NULL), COORD_STALE);
  CHECK_EQ_INT(coord_jm_task_started(e.jm, a, "js-000000", 1), COORD_STALE);
  CHECK_EQ_INT(coord_jm_task_result(e.jm, b, "nope-000001", 1, 1, &r, NULL), COORD_UNKNOWN);
  CHECK_EQ_INT(j->completed_tasks, 0);
  CHECK_EQ_INT(coord_jm_task_result(e.jm, b, "js-000000", 2, 1, &r, NULL), COORD_OK);
  /* exactly one result counts */
  CHECK_EQ_INT(coord_jm_task_result(e.jm, b, "js-000000", 2, 1, &r, NULL), COORD_STALE);
  CHECK_EQ_INT(j->completed_tasks, 1);
  CHECK_EQ_INT(j->status, COORD_JOB_COMPLETED);
  CHECK(coord_jm_stale_count(e.jm) >= 5);
  env_free(&e);
}

static void test_task_timeout(void) {
  coord_jm_params p = params();
  p.task_timeout = 2;
  p.heartbeat_timeout = 100;
  env e;
  env_init(&e, &p);
  coord_worker *a = coord_jm_worker_join(e.jm, "a", 1, NULL);
  coord_jm_worker_join(e.jm, "b", 1, NULL);
  mkjob(&e, "jt", 1, 1);
  coord_jm_task_started(e.jm, a, "jt-000000", 1);
  env_advance(&e, 1.9);
  CHECK_EQ_INT(count_ev(&e, 'R', NULL), 0);
  env_advance(&e, 0.2);
  const ev *r = last_ev(&e, 'R', "jt-000000");
  CHECK(r && strcmp(r->who, "a") == 0 && r->attempt == 1);
  coord_task *t = coord_jm_task_find(e.jm, "jt-000000");
  CHECK_CONTAINS(t->error, "timed out");
  env_advance(&e, 0.5);
  CHECK_EQ_STR(t->worker->id, "b");
  CHECK_EQ_INT(t->attempt, 2);
  env_free(&e);
}

static void test_job_timeout_and_cancel(void) {
  coord_jm_params p = params();
  p.heartbeat_timeout = 100;
  env e;
  env_init(&e, &p);
  coord_worker *a = coord_jm_worker_join(e.jm, "a", 1, NULL);
  coord_job_config cfg = {"/in", "/out", "/tok", 128, 10, 3, 0, NULL, NULL, NULL, 0, NULL};
  al_err err;
  coord_job *j = coord_jm_job_create(e.jm, "jto", &cfg, &err);
  const char *f[1] = {"x"};
  coord_jm_job_add_task(e.jm, j, f, 1, &err);
  coord_jm_job_add_task(e.jm, j, f, 1, &err);
  coord_jm_job_seal(e.jm, j, &err);
  coord_jm_task_started(e.jm, a, "jto-000000", 1);
  env_advance(&e, 3.1);
  CHECK_EQ_INT(j->status, COORD_JOB_TIMEOUT);
  CHECK(last_ev(&e, 'R', "jto-000000") != NULL);
  CHECK_EQ_INT(a->queued.n + a->running.n, 0);
  CHECK_EQ_INT(coord_jm_pending_count(e.jm), 0);
  CHECK_EQ_INT(finish(&e, "jto-000000", 1), -1); /* no holder any more */
  coord_task_result r = {0};
  CHECK_EQ_INT(coord_jm_task_result(e.jm, a, "jto-000000", 1, 1, &r, NULL), COORD_STALE);

  /* cancel: running task revoked, queued ones withdrawn, later results ignored */
  coord_job *c = mkjob(&e, "jcan", 3, 1);
  CHECK(a->queued.n == 1);
  coord_jm_task_started(e.jm, a, "jcan-000000", 1);
  CHECK_EQ_INT(coord_jm_job_cancel(e.jm, c, NULL), 0);
  CHECK_EQ_INT(c->status, COORD_JOB_CANCELLED);
  CHECK(last_ev(&e, 'R', "jcan-000000") != NULL);
  CHECK_EQ_INT(coord_jm_task_result(e.jm, a, "jcan-000000", 1, 1, &r, NULL), COORD_STALE);
  CHECK_EQ_INT(c->completed_tasks, 0);
  CHECK_EQ_INT(coord_jm_job_cancel(e.jm, c, NULL), -1);
  CHECK(coord_jm_job_add_task(e.jm, c, f, 1, &err) == NULL);
  CHECK_CONTAINS(err.msg, "cancelled");
  CHECK_EQ_INT(err.code, AL_E_BAD_STATE);
  env_free(&e);
}

static void test_work_stealing(void) {
  coord_jm_params p = params();
  p.prefetch = 3;
  p.work_stealing = 1;
  p.steal_after = 0.5;
  p.heartbeat_timeout = 100;
  env e;
  env_init(&e, &p);
  coord_worker *a = coord_jm_worker_join(e.jm, "a", 1, NULL);
  mkjob(&e, "jw", 4, 1);
  CHECK_EQ_INT(a->queued.n, 4);
  coord_jm_task_started(e.jm, a, "jw-000000", 1);
  coord_worker *b = coord_jm_worker_join(e.jm, "b", 1, NULL);
  /* a's queued tasks are too young to steal (their task_started may be in flight) */
  CHECK_EQ_INT(b->queued.n, 0);
  env_advance(&e, 0.49);
  CHECK_EQ_INT(b->queued.n, 0);
  /* then b, idle with nothing pending, steals one not-started task from a */
  env_advance(&e, 0.02);
  CHECK_EQ_INT(b->queued.n, 1);
  CHECK_EQ_INT(a->queued.n, 2);
  const ev *r = last_ev(&e, 'R', NULL);
  CHECK(r && strcmp(r->who, "a") == 0);
  coord_task *stolen = coord_jm_task_find(e.jm, r->what);
  CHECK_EQ_INT(stolen->attempt, 2);
  CHECK_EQ_INT(stolen->retries, 0);
  coord_task_result res = {0};
  CHECK_EQ_INT(coord_jm_task_result(e.jm, a, r->what, 1, 1, &res, NULL), COORD_STALE);
  /* b finishes; it steals again (a's remaining tasks are old enough) */
  CHECK_EQ_INT(finish(&e, stolen->id, 1), COORD_OK);
  CHECK_EQ_INT(b->queued.n, 1);
  CHECK_EQ_INT(a->queued.n, 1);
  env_free(&e);
}

static void test_drain_and_bad_inputs(void) {
  coord_jm_params p = params();
  p.prefetch = 2;
  env e;
  env_init(&e, &p);
  coord_worker *a = coord_jm_worker_join(e.jm, "a", 1, NULL);
  mkjob(&e, "jdr", 3, 1);
  coord_jm_task_started(e.jm, a, "jdr-000000", 1);
  coord_jm_worker_drain(e.jm, a);
  CHECK_EQ_INT(a->queued.n, 0);
  CHECK_EQ_INT(a->running.n, 1);
  CHECK_EQ_INT(coord_jm_pending_count(e.jm), 2);
  coord_worker *b = coord_jm_worker_join(e.jm, "b", 1, NULL);
  CHECK_EQ_INT(b->queued.n, 2);
  al_err err;
  coord_job_config cfg = {0};
  CHECK(coord_jm_job_create(e.jm, "jdr", &cfg, &err) == NULL);
  CHECK_CONTAINS(err.msg, "already exists");
  CHECK_EQ_INT(err.code, AL_E_BAD_STATE);
  coord_job *u = coord_jm_job_create(e.jm, NULL, &cfg, &err);
  CHECK(u && strlen(u->id) == 36 && u->id[14] == '4');
  CHECK(coord_jm_task_find(e.jm, "garbage") == NULL);
  CHECK(coord_jm_task_find(e.jm, "jdr-") == NULL);
  CHECK(coord_jm_task_find(e.jm, "jdr-000099") == NULL);
  /* an empty sealed job completes at once */
  coord_jm_job_seal(e.jm, u, &err);
  CHECK_EQ_INT(u->status, COORD_JOB_COMPLETED);
  env_free(&e);
}

static void test_retention_forgets_finished_jobs(void) {
  coord_jm_params p = params();
  p.heartbeat_timeout = 100;
  p.retention = 2;
  env e;
  env_init(&e, &p);
  coord_worker *w = coord_jm_worker_join(e.jm, "w", 2, NULL);
  coord_job *j = mkjob(&e, "old", 2, 1);
  mkjob(&e, "live", 1, 0); /* not sealed: never final, never forgotten */
  CHECK_EQ_INT(finish(&e, "old-000000", 1), COORD_OK);
  CHECK_EQ_INT(finish(&e, "old-000001", 1), COORD_OK);
  CHECK_EQ_INT(j->status, COORD_JOB_COMPLETED);
  char *v = NULL;
  store_get(e.st, "task:old-000001", get_cb, &v);
  CHECK_CONTAINS(v, "completed");
  free(v);
  env_advance(&e, 1.9);
  CHECK(coord_jm_job_find(e.jm, "old") != NULL);
  env_advance(&e, 0.2);
  CHECK(coord_jm_job_find(e.jm, "old") == NULL);
  CHECK(coord_jm_task_find(e.jm, "old-000001") == NULL);
  CHECK_EQ_INT(coord_jm_job_count(e.jm), 1);
  v = NULL;
  store_get(e.st, "job:old", get_cb, &v);
  CHECK(v == NULL);
  store_get(e.st, "task:old-000000", get_cb, &v);
  CHECK(v == NULL);
  coord_jm_worker_seen(e.jm, w);
  CHECK(coord_jm_job_find(e.jm, "live") != NULL);
  env_free(&e);
}

/* Crash recovery's restore call: a completed task counts only after the restore hook's
 * check; a failed check sends it back to pending without a retry; failed and pending
 * tasks keep their recorded retries and lease; no worker is involved. */
static void test_restore_task(void) {
  coord_jm_params p = params();
  env e;
  g_with_restore = 1;
  env_init(&e, &p);
  g_with_restore = 0;
  coord_job *j = mkjob(&e, "rs", 4, 0);
  al_err err;
  coord_task_result r0 = {0}, r1 = {0};
  r0.status = al_xstrdup("success");
  r0.samples_processed = 3;
  r0.shards_written = 1;
  r1.status = al_xstrdup("success");
  r1.samples_processed = 4;
  coord_task_restore rs = {.status = COORD_TASK_COMPLETED, .retries = 1, .attempt = 2, .worker_id = "old",
                           .result = &r0, .completed_at = 1700000001.5};
  CHECK_EQ_INT(coord_jm_restore_task(e.jm, j->tasks[0], &rs, &err), 0);
  rs = (coord_task_restore){.status = COORD_TASK_COMPLETED, .attempt = 5, .worker_id = "old", .result = &r1};
  CHECK_EQ_INT(coord_jm_restore_task(e.jm, j->tasks[1], &rs, &err), 0);
  rs = (coord_task_restore){.status = COORD_TASK_FAILED, .retries = 3, .attempt = 4, .error = "cannot read x"};
  CHECK_EQ_INT(coord_jm_restore_task(e.jm, j->tasks[2], &rs, &err), 0);
  rs = (coord_task_restore){.status = COORD_TASK_PENDING, .retries = 2, .attempt = 7};
  CHECK_EQ_INT(coord_jm_restore_task(e.jm, j->tasks[3], &rs, &err), 0);
  CHECK_EQ_INT(coord_jm_restore_task(e.jm, j->tasks[2], &rs, &err), -1); /* only a new pending task */
  CHECK_EQ_INT(err.code, AL_E_BAD_STATE);
  CHECK_CONTAINS(err.msg, "rs-000002");
  CHECK_EQ_INT(coord_jm_job_seal(e.jm, j, &err), 0);
  /* both completed tasks wait for their check; nothing counted yet */
  CHECK_EQ_INT(count_ev(&e, 'V', "rs"), 2);
  CHECK_EQ_INT(j->tasks[0]->place, COORD_IN_COMMITTING);
  CHECK_EQ_INT(j->completed_tasks, 0);
  CHECK_EQ_INT(j->failed_tasks, 1);
  CHECK_EQ_INT(coord_jm_attempts_failed(e.jm, coord_reason_of("cannot read x")), 0); /* no new failure */
  CHECK_EQ_INT(coord_jm_pending_count(e.jm), 1);
  coord_jm_flush(e.jm);
  char *v = NULL;
  store_get(e.st, "task:rs-000000", get_cb, &v);
  CHECK_CONTAINS(v, "\"status\": \"completed\""); /* a crash during the check loses nothing */
  CHECK_CONTAINS(v, "\"worker_id\": \"old\"");
  free(v);
  /* the check passes for task 0, fails for task 1 */
  coord_jm_task_committed(e.jm, "rs-000000", 2, 1, NULL, 0, NULL);
  coord_jm_task_committed(e.jm, "rs-000001", 5, 0, NULL, 0, "shard task_rs-000001/shard_000000.safetensors: missing");
  CHECK_EQ_INT(j->completed_tasks, 1);
  CHECK_EQ_INT(j->samples, 3);
  CHECK_EQ_INT((long long)(j->tasks[0]->completed_at * 10), 17000000015LL); /* the recorded time */
  CHECK_EQ_INT(j->tasks[0]->retries, 1);
  CHECK_EQ_INT(j->tasks[1]->status, COORD_TASK_PENDING);
  CHECK_EQ_INT(j->tasks[1]->retries, 0); /* runs again, not a retry */
  CHECK(!j->tasks[1]->has_result);
  CHECK_EQ_INT(coord_jm_pending_count(e.jm), 2);
  /* a worker takes both with new leases; the job ends once they complete */
  coord_jm_worker_join(e.jm, "w1", 2, NULL);
  CHECK_EQ_INT(coord_jm_worker_count(e.jm), 1);
  CHECK_EQ_INT(j->tasks[1]->attempt, 6);
  CHECK_EQ_INT(j->tasks[3]->attempt, 8);
  CHECK_EQ_INT(j->tasks[3]->retries, 2);
  CHECK_EQ_INT(finish(&e, "rs-000001", 1), COORD_OK);
  CHECK_EQ_INT(finish(&e, "rs-000003", 1), COORD_OK);
  CHECK_EQ_INT(j->status, COORD_JOB_COMPLETED_WITH_ERRORS);
  CHECK_EQ_INT(j->completed_tasks, 3);
  CHECK_EQ_INT(j->samples, 7);
  env_free(&e);
}

int main(void) {
  al_log_set_level(AL_LOG_ERROR);
  RUN(test_heartbeat_record_escapes_worker_id);
  RUN(test_round_robin_order);
  RUN(test_strategy_cases);
  RUN(test_least_busy_dispatch);
  RUN(test_capacity_dispatch_and_completion);
  RUN(test_records_in_store);
  RUN(test_dead_worker_requeues_queued_and_running);
  RUN(test_disconnect_grace_and_rejoin);
  RUN(test_retries_exhausted_and_backoff);
  RUN(test_failure_reasons);
  RUN(test_all_failed_is_failed);
  RUN(test_backoff_cap);
  RUN(test_stale_results_rejected);
  RUN(test_task_timeout);
  RUN(test_job_timeout_and_cancel);
  RUN(test_work_stealing);
  RUN(test_drain_and_bad_inputs);
  RUN(test_retention_forgets_finished_jobs);
  RUN(test_restore_task);
  return TEST_REPORT();
}
