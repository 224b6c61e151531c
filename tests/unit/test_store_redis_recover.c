/* Crash recovery: a job manager writes its jobs through a store, is thrown away
 * without any shutdown (as after SIGKILL), and a fresh job manager reloads the
 * unfinished jobs from that store, on the memory store and on a real Redis (through a
 * new connection, with a key prefix). Checks the restored jobs, tasks, counters,
 * leases, the rebuilt queues, the jobs:active index, retention TTLs, and that the job
 * then completes with every task done once. */
#include <jansson.h>

#include "coord/coord_jm.h"
#include "coord/coord_reason.h"
#include "coord/coord_recover.h"
#include "test_store_redis_util.h"

typedef struct env {
  int assigned, finished;
  char last_task[128];
  uint32_t last_attempt;
  store *st;
  coord_persist *ps; /* the coordinator's writes, as the server wires them */
  double retention;
} env;

static void h_assign(void *ud, coord_worker *w, coord_task *t) {
  env *e = ud;
  (void)w;
  e->assigned++;
  snprintf(e->last_task, sizeof e->last_task, "%s", t->id);
  e->last_attempt = t->attempt;
}
static void h_finished(void *ud, coord_job *j) {
  env *e = ud;
  (void)j;
  e->finished++;
}

static coord_jm *new_jm(env *e, store *st, int max_retries) {
  coord_jm_params p;
  coord_jm_params_default(&p);
  p.max_retries = max_retries;
  p.prefetch = 0;
  coord_jm_hooks h = {.ud = e, .assign = h_assign, .job_finished = h_finished};
  e->st = st;
  e->retention = 3600;
  e->ps = coord_persist_new(st, p.heartbeat_timeout, e->retention);
  coord_jm_records rec;
  coord_persist_records(e->ps, &rec);
  return coord_jm_new(&p, &h, &rec);
}

static coord_job *make_job(coord_jm *jm, const char *id, size_t ntasks) {
  coord_job_config c;
  memset(&c, 0, sizeof c);
  c.input_dir = "/data/in";
  c.output_dir = "/data/out";
  c.tokenizers_dir = "/data/tok";
  c.max_seq_len = 64;
  c.shard_size = 8;
  al_err err;
  coord_job *j = coord_jm_job_create(jm, id, &c, &err);
  CHECK(j != NULL); /* listed in jobs:active by the job_created record hook */
  for (size_t i = 0; i < ntasks; i++) {
    char f1[64], f2[64];
    snprintf(f1, sizeof f1, "/data/in/%s/%zu-a.txt", id, i);
    snprintf(f2, sizeof f2, "/data/in/%s/%zu-\xc3\xa9.md", id, i); /* non-ASCII survives */
    const char *files[2] = {f1, f2};
    CHECK(coord_jm_job_add_task(jm, j, files, 2, &err) != NULL);
  }
  CHECK_EQ_INT(coord_jm_job_seal(jm, j, &err), 0);
  return j;
}

static void ok_result(coord_task_result *r, int64_t samples) {
  memset(r, 0, sizeof *r);
  r->status = al_xstrdup("success");
  r->samples_processed = samples;
  r->shards_written = 1;
  r->tokens = samples * 10;
  r->bytes_read = samples * 100;
}

/* The history written by the first coordinator. Job A: task 0 completed, task 1
 * failed for good, task 2 running on w1, task 3 assigned to w1; job B finished but
 * still indexed (the crash hit between its final write and the index update); job C
 * indexed without a record. */
typedef struct history {
  double created_a;
  uint32_t attempt_running;
  char running_id[128];
} history;

static void write_history(store *st, history *h) {
  env e = {0};
  coord_jm *jm = new_jm(&e, st, 0);
  coord_job *a = make_job(jm, "job-a", 4);
  h->created_a = a->created_at;
  coord_worker *w = coord_jm_worker_join(jm, "w1", 4, NULL);
  CHECK_EQ_INT(e.assigned, 4);
  coord_task_result r;
  ok_result(&r, 5);
  CHECK_EQ_INT(coord_jm_task_started(jm, w, "job-a-000000", a->tasks[0]->attempt), COORD_OK);
  CHECK_EQ_INT(coord_jm_task_result(jm, w, "job-a-000000", a->tasks[0]->attempt, 1, &r, NULL), COORD_OK);
  coord_task_result_free(&r);
  CHECK_EQ_INT(coord_jm_task_result(jm, w, "job-a-000001", a->tasks[1]->attempt, 0, NULL, "cannot read tokenizer \"x\""),
               COORD_OK);
  CHECK_EQ_INT(coord_jm_task_started(jm, w, "job-a-000002", a->tasks[2]->attempt), COORD_OK);
  h->attempt_running = a->tasks[2]->attempt;
  snprintf(h->running_id, sizeof h->running_id, "%s", a->tasks[2]->id);
  CHECK_EQ_INT(a->completed_tasks, 1);
  CHECK_EQ_INT(a->failed_tasks, 1);

  coord_job *b = make_job(jm, "job-b", 1);
  CHECK(b->tasks[0]->worker == w); /* w1 had a free slot */
  ok_result(&r, 3);
  CHECK_EQ_INT(coord_jm_task_result(jm, w, "job-b-000000", b->tasks[0]->attempt, 1, &r, NULL), COORD_OK);
  coord_task_result_free(&r);
  CHECK_EQ_INT(e.finished, 1);
  store_sadd(st, COORD_ACTIVE_JOBS_KEY, "job-b", NULL, NULL); /* as if the SREM never happened */
  store_sadd(st, COORD_ACTIVE_JOBS_KEY, "job-c", NULL, NULL);
  coord_jm_free(jm); /* no shutdown: nothing more reaches the store */
  coord_persist_free(e.ps);
}

static int g_redis_port; /* set while the Redis variant runs */

static void check_recovered(store *st, uv_loop_t *loop, const history *h) {
  env e = {0};
  coord_jm *jm = new_jm(&e, st, 3);
  coord_recover_report rep;
  al_err err;
  int rc;
  if (loop) {
    rc = coord_recover_run(loop, jm, e.ps, &rep, &err);
  } else {
    uv_loop_t l;
    uv_loop_init(&l);
    rc = coord_recover_run(&l, jm, e.ps, &rep, &err);
    uv_loop_close(&l);
  }
  CHECK_MSG(rc == 0, "%s", err.msg);
  CHECK_EQ_INT(rep.jobs, 1);
  CHECK_EQ_INT(rep.tasks, 4);
  CHECK_EQ_INT(rep.completed, 1);
  CHECK_EQ_INT(rep.failed, 1);
  CHECK_EQ_INT(rep.requeued, 2);
  CHECK_EQ_INT(rep.skipped, 2);
  CHECK_EQ_INT(coord_jm_job_count(jm), 1);
  coord_job *a = coord_jm_job_find(jm, "job-a");
  CHECK(a != NULL);
  if (!a) {
    coord_jm_free(jm);
    coord_persist_free(e.ps);
    return;
  }
  CHECK_EQ_STR(coord_job_status_name(a->status), "running");
  CHECK(a->sealed);
  CHECK_EQ_INT(a->total_tasks, 4);
  CHECK_EQ_INT(a->completed_tasks, 1);
  CHECK_EQ_INT(a->failed_tasks, 1);
  CHECK_EQ_INT(a->samples, 5);
  CHECK_MSG(a->created_at - h->created_a < 1e-5 && h->created_a - a->created_at < 1e-5, "created %.6f vs %.6f",
            a->created_at, h->created_a);
  CHECK_EQ_STR(a->config.output_dir, "/data/out");
  CHECK_EQ_INT(a->config.max_seq_len, 64);
  CHECK_EQ_STR(coord_task_status_name(a->tasks[0]->status), "completed");
  CHECK_EQ_INT(a->tasks[0]->result.samples_processed, 5);
  CHECK_EQ_STR(a->tasks[0]->last_worker_id, "w1"); /* the record's worker: restored, not replayed */
  CHECK_EQ_INT(a->tasks[1]->attempt, 1);          /* the recorded lease, nothing assigned */
  CHECK_EQ_STR(coord_task_status_name(a->tasks[1]->status), "failed");
  CHECK_EQ_STR(a->tasks[1]->error, "cannot read tokenizer \"x\"");
  CHECK_EQ_INT(a->tasks[1]->retries, 1);
  CHECK_EQ_STR(coord_task_status_name(a->tasks[2]->status), "pending");
  CHECK_EQ_STR(coord_task_status_name(a->tasks[3]->status), "pending");
  CHECK_EQ_STR(a->tasks[2]->files[1], "/data/in/job-a/2-\xc3\xa9.md");
  CHECK(a->tasks[2]->attempt >= h->attempt_running);
  CHECK_EQ_INT(coord_jm_pending_count(jm), 2);
  CHECK_EQ_INT(coord_jm_worker_count(jm), 0); /* no worker appeared during recovery */
  CHECK_EQ_INT(coord_jm_attempts_failed(jm, coord_reason_of(a->tasks[1]->error)), 0); /* not a new failure */
  if (g_redis_port) { /* the rebuilt queue is in Redis once recovery reports done */
    char *v = cli(g_redis_port, "pw", 2, (const char *[]){"LLEN", "dep:pending_tasks", NULL});
    CHECK_EQ_STR(v, "2");
    free(v);
    v = cli(g_redis_port, "pw", 2, (const char *[]){"EXISTS", "dep:tasks:(recovery)", NULL});
    CHECK_EQ_STR(v, "0");
    free(v);
  }

  /* the old holder comes back and claims its lease: stale, it must abandon it */
  coord_worker *w1 = coord_jm_worker_join(jm, "w1", 1, NULL);
  CHECK_EQ_INT(coord_jm_task_claim(jm, w1, h->running_id, h->attempt_running), COORD_STALE);
  /* w1 got one task; a second worker takes the other; both complete */
  coord_worker *w2 = coord_jm_worker_join(jm, "w2", 1, NULL);
  CHECK_EQ_INT(coord_jm_pending_count(jm), 0);
  for (int k = 2; k < 4; k++) {
    coord_task *t = a->tasks[k];
    coord_task_result r;
    ok_result(&r, 7);
    CHECK_EQ_INT(coord_jm_task_result(jm, t->worker == w1 ? w1 : w2, t->id, t->attempt, 1, &r, NULL), COORD_OK);
    coord_task_result_free(&r);
  }
  CHECK_EQ_STR(coord_job_status_name(a->status), "completed_with_errors");
  CHECK_EQ_INT(a->completed_tasks, 3);
  CHECK_EQ_INT(a->failed_tasks, 1);
  CHECK_EQ_INT(a->samples, 19);
  CHECK_EQ_INT(a->bytes_read, 1900);
  CHECK_EQ_INT(e.finished, 1);
  coord_jm_free(jm);
  coord_persist_free(e.ps);
}

static double fake_now(void *ud) { return *(double *)ud; }

static void test_memory_store(void) {
  double now = 1000;
  store *st = store_memory_new(fake_now, &now);
  history h;
  write_history(st, &h);
  check_recovered(st, NULL, &h);
  op_rec o = {0};
  store_smembers(st, COORD_ACTIVE_JOBS_KEY, rec_cb, &o);
  CHECK_EQ_INT(o.n_values, 0); /* everything final now */
  store_exists(st, "job:job-b", rec_cb, &o);
  CHECK_EQ_INT(o.integer, 1);
  now += 3601; /* retention passed */
  store_exists(st, "job:job-b", rec_cb, &o);
  CHECK_EQ_INT(o.integer, 0);
  store_exists(st, "task:job-a-000003", rec_cb, &o);
  CHECK_EQ_INT(o.integer, 0);
  rec_free(&o, 1);
  store_destroy(st);
}

static void test_redis_store(void) {
  ts_redis R;
  CHECK_EQ_INT(ts_redis_start(&R, "pw"), 0);
  uv_loop_t loop;
  uv_loop_init(&loop);
  store *st = new_store(&loop, R.port, "pw", 2, "dep:");
  al_err err;
  CHECK_EQ_INT(store_redis_probe(st, &err), 0);
  history h;
  write_history(st, &h);
  op_rec o = {0};
  store_sync(st, rec_cb, &o);
  CHECK_EQ_INT(run_until(&loop, &o.calls, 10), 0);
  store_destroy(st); /* the first coordinator is gone */
  uv_run(&loop, UV_RUN_DEFAULT);

  /* what monitoring sees of the first coordinator's records */
  char *v = cli(R.port, "pw", 2, (const char *[]){"GET", "dep:task:job-a-000001", NULL});
  json_error_t je;
  json_t *t1 = json_loads(v, 0, &je);
  CHECK(t1 != NULL);
  CHECK_EQ_STR(json_string_value(json_object_get(t1, "status")), "failed");
  CHECK_EQ_STR(json_string_value(json_object_get(t1, "error")), "cannot read tokenizer \"x\"");
  json_decref(t1);
  CHECK_CONTAINS(v, "\"files\": [\"/data/in/job-a/1-a.txt\", \"/data/in/job-a/1-\\u00e9.md\"]");
  free(v);
  v = cli(R.port, "pw", 2, (const char *[]){"LLEN", "dep:tasks:w1", NULL});
  CHECK_EQ_STR(v, "1"); /* task 3, assigned, not started */
  free(v);

  st = new_store(&loop, R.port, "pw", 2, "dep:");
  g_redis_port = R.port;
  check_recovered(st, &loop, &h);
  g_redis_port = 0;
  rec_free(&o, 1);
  memset(&o, 0, sizeof o);
  store_sync(st, rec_cb, &o);
  CHECK_EQ_INT(run_until(&loop, &o.calls, 10), 0);
  v = cli(R.port, "pw", 2, (const char *[]){"SMEMBERS", "dep:jobs:active", NULL});
  CHECK_EQ_STR(v, "");
  free(v);
  v = cli(R.port, "pw", 2, (const char *[]){"EXISTS", "dep:tasks:w1", NULL});
  CHECK_EQ_STR(v, "0"); /* the stale queue was dropped and nothing is queued now */
  free(v);
  v = cli(R.port, "pw", 2, (const char *[]){"LLEN", "dep:pending_tasks", NULL});
  CHECK_EQ_STR(v, "0");
  free(v);
  const char *ttl_keys[] = {"dep:job:job-a", "dep:task:job-a-000000", "dep:task:job-a-000003", "dep:job:job-b",
                            "dep:task:job-b-000000"};
  for (size_t i = 0; i < AL_ARRAY_LEN(ttl_keys); i++) {
    v = cli(R.port, "pw", 2, (const char *[]){"TTL", ttl_keys[i], NULL});
    CHECK_MSG(atoi(v) > 3500 && atoi(v) <= 3600, "TTL %s = %s", ttl_keys[i], v);
    free(v);
  }
  v = cli(R.port, "pw", 2, (const char *[]){"GET", "dep:job:job-a", NULL});
  CHECK_CONTAINS(v, "\"status\": \"completed_with_errors\"");
  CHECK_CONTAINS(v, "\"total_tasks\": 4, \"completed_tasks\": 3, \"failed_tasks\": 1");
  free(v);
  rec_free(&o, 1);
  destroy_and_close(&loop, st);
  ts_redis_stop(&R);
}

/* Records carrying the fields the original does not have: an unsealed job keeps
 * accepting tasks, a result's manifest data comes back. Bad records are skipped. */
static void test_extended_and_bad_records(void) {
  double now = 1;
  store *st = store_memory_new(fake_now, &now);
  const char *job =
      "{\"id\": \"x1\", \"status\": \"running\", \"created_at\": \"2024-05-01T10:00:00.250000\", \"config\": "
      "{\"input_dir\": \"i\", \"output_dir\": \"o\", \"tokenizers_dir\": \"t\", \"max_seq_len\": 32, "
      "\"shard_size\": 4}, \"tasks\": [], \"total_tasks\": 1, \"completed_tasks\": 1, \"failed_tasks\": 0, "
      "\"retried_tasks\": 2, \"samples_processed\": 9, \"tokens\": 90, \"sealed\": false, \"name\": \"nightly\"}";
  const char *task =
      "{\"id\": \"x1-000000\", \"job_id\": \"x1\", \"status\": \"completed\", \"retries\": 1, \"attempt\": 4, "
      "\"files\": [\"i/a.txt\"], \"completed_at\": \"2024-05-01T10:01:00\", \"result\": {\"samples_processed\": 9, "
      "\"shards_written\": 1, \"skipped\": 1, \"status\": \"success\", \"tokens\": 90, \"bytes_read\": 4321, "
      "\"shards\": [{\"path\": "
      "\"o/task_x1-000000/shard_000000.safetensors\", \"samples\": 9, \"tokens\": 90, \"bytes\": 1234, \"sha256\": "
      "\"ab\", \"files\": [\"i/a.txt\"]}], \"skips\": [{\"path\": \"i/b.bin\", \"reason\": \"unclassified\"}]}}";
  store_set(st, "job:x1", job, strlen(job), 0, NULL, NULL);
  store_set(st, "task:x1-000000", task, strlen(task), 0, NULL, NULL);
  store_set(st, "job:bad", "{not json", 9, 0, NULL, NULL);
  store_set(st, "job:nostatus", "{\"id\": \"nostatus\"}", 18, 0, NULL, NULL);
  store_sadd(st, COORD_ACTIVE_JOBS_KEY, "x1", NULL, NULL);
  store_sadd(st, COORD_ACTIVE_JOBS_KEY, "bad", NULL, NULL);
  store_sadd(st, COORD_ACTIVE_JOBS_KEY, "nostatus", NULL, NULL);
  env e = {0};
  coord_jm *jm = new_jm(&e, st, 3);
  coord_recover_report rep;
  al_err err;
  uv_loop_t l;
  uv_loop_init(&l);
  CHECK_EQ_INT(coord_recover_run(&l, jm, e.ps, &rep, &err), 0);
  CHECK_EQ_INT(rep.jobs, 1);
  CHECK_EQ_INT(rep.skipped, 2);
  coord_job *j = coord_jm_job_find(jm, "x1");
  CHECK(j && !j->sealed);
  if (j) {
    CHECK_EQ_STR(j->config.name, "nightly");
    CHECK_EQ_INT(j->tokens, 90);
    CHECK_EQ_INT(j->bytes_read, 4321); /* replayed from the task record, for job-status' MB/s */
    CHECK_EQ_INT(j->retried_tasks, 2);
    CHECK_EQ_INT(j->completed_tasks, 1);
    coord_task *t = j->tasks[0];
    CHECK_EQ_INT(t->result.n_shards, 1);
    if (t->result.n_shards == 1) {
      CHECK_EQ_STR(t->result.shards[0].path, "o/task_x1-000000/shard_000000.safetensors");
      CHECK_EQ_INT(t->result.shards[0].bytes, 1234);
      CHECK_EQ_STR(t->result.shards[0].files[0], "i/a.txt");
    }
    CHECK_EQ_INT(t->result.n_skips, 1);
    CHECK_EQ_INT(t->attempt, 4); /* the recorded lease: nothing was assigned during recovery */
    CHECK_EQ_INT(t->retries, 1);
    CHECK_EQ_INT((long long)t->completed_at, (long long)coord_recover_parse_iso("2024-05-01T10:01:00"));
    CHECK(coord_job_status_is_final(j->status) == 0); /* unsealed: waits for more tasks */
    al_err e2;
    const char *more[1] = {"i/c.txt"};
    CHECK(coord_jm_job_add_task(jm, j, more, 1, &e2) != NULL);
  }
  /* recovery refuses to run once workers are known */
  coord_jm_worker_join(jm, "late", 1, NULL);
  CHECK_EQ_INT(coord_recover_run(&l, jm, e.ps, &rep, &err), -1);
  CHECK_CONTAINS(err.msg, "before any worker connects");
  uv_loop_close(&l);
  coord_jm_free(jm);
  coord_persist_free(e.ps);
  store_destroy(st);
}

static void test_iso(void) {
  char buf[48];
  double w = 1714557600.25;
  al_iso_from_wall(w, buf, sizeof buf);
  double back = coord_recover_parse_iso(buf);
  CHECK_MSG(back - w < 1e-6 && w - back < 1e-6, "%s -> %.6f", buf, back);
  al_iso_from_wall(1714557600.0, buf, sizeof buf);
  CHECK_EQ_INT((long long)coord_recover_parse_iso(buf), 1714557600LL);
  CHECK(coord_recover_parse_iso("yesterday") == 0);
  CHECK(coord_recover_parse_iso(NULL) == 0);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  al_log_set_level(AL_LOG_ERROR);
  RUN(test_iso);
  RUN(test_memory_store);
  RUN(test_redis_store);
  RUN(test_extended_and_bad_records);
  return TEST_REPORT();
}
