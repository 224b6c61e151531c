/* Coordinator scheduling over real loopback TCP: a coordinator process (forked) and
 * scripted workers / submitters speaking src/proto. Small timeouts (heartbeat 0.25 s,
 * heartbeat_timeout 1 s) keep it fast. */
#include "test_coord_client.h"

/* Completes every assignment a worker gets until the job is done. */
static int run_worker_until(tpeer *w, tpeer *adm, const char *job, const char *status, double timeout_s,
                            int *assigned) {
  double end = al_mono_s() + timeout_s;
  tjob j;
  while (al_mono_s() < end) {
    tassign a;
    int rc = tw_next_assign(w, &a, 0.3);
    if (rc == 0) {
      if (assigned) (*assigned)++;
      tw_started(w, a.task_id, a.attempt);
      tw_result(w, a.task_id, a.attempt, 1, NULL);
    } else if (rc != -1) {
      return -1;
    }
    if (tp_job(adm, job, &j) == 0 && strcmp(j.status, status) == 0) return 0;
  }
  return -1;
}

static void test_dispatch_reaches_every_worker(void) {
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, tc_options()), 0);
  tpeer w[4], adm;
  char id[16];
  for (int i = 0; i < 4; i++) {
    snprintf(id, sizeof id, "w%d", i);
    CHECK_EQ_INT(tp_hello(&w[i], c.port, PROTO_ROLE_WORKER, id, 1), 0);
  }
  CHECK_EQ_INT(tp_hello(&adm, c.port, PROTO_ROLE_SUBMITTER, "sub", 0), 0);
  CHECK_EQ_INT(tp_submit(&adm, "job-a", 8, 0, 0), 0);
  /* round robin with 1 slot each: the first four tasks go one per worker, in order */
  for (int i = 0; i < 4; i++) {
    tassign a;
    CHECK_EQ_INT(tw_next_assign(&w[i], &a, 2), 0);
    char want[32];
    snprintf(want, sizeof want, "job-a-%06d", i);
    CHECK_EQ_STR(a.task_id, want);
    CHECK_EQ_INT(a.attempt, 1);
    tw_started(&w[i], a.task_id, a.attempt);
    tw_result(&w[i], a.task_id, a.attempt, 1, NULL);
  }
  int got[4] = {0};
  double end = al_mono_s() + 3;
  while (got[0] + got[1] + got[2] + got[3] < 4 && al_mono_s() < end)
    for (int i = 0; i < 4; i++) {
      tassign a;
      proto_msg am;
      if (tp_recv(&w[i], &am, 0.01) != 0) continue;
      int is_assign = am.type == PROTO_MSG_ASSIGN;
      if (is_assign) {
        snprintf(a.task_id, sizeof a.task_id, "%s", am.u.assign.task_id);
        a.attempt = am.u.assign.attempt;
      }
      proto_msg_free(&am);
      if (is_assign) {
        got[i]++;
        tw_result(&w[i], a.task_id, a.attempt, 1, NULL);
      }
    }
  CHECK_EQ_INT(got[0] + got[1] + got[2] + got[3], 4);
  tjob j;
  CHECK_EQ_INT(tp_wait_job(&adm, "job-a", "completed", 3, &j), 0);
  CHECK_EQ_INT(j.completed, 8);
  CHECK_EQ_INT(j.failed, 0);
  /* list_workers sees all four */
  proto_msg m = {0}, r;
  m.type = PROTO_MSG_LIST_WORKERS;
  CHECK_EQ_INT(tp_request(&adm, &m, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_WORKERS);
  CHECK_EQ_INT(r.u.workers.n_workers, 4);
  proto_msg_free(&r);
  /* graceful stop of a coordinator: the connection closes, but workers are not told to
   * drain (they reconnect to the restarted coordinator and carry on) */
  CHECK_EQ_INT(tc_stop(&c), 0);
  CHECK_EQ_INT(tp_expect(&w[0], PROTO_MSG_DRAIN, &r, 2), -2);
  for (int i = 0; i < 4; i++) tp_close(&w[i]);
  tp_close(&adm);
}

static void test_strategies_at_run_time(void) {
  coord_options o = tc_options();
  o.jm.strategy = COORD_STRATEGY_LEAST_BUSY;
  o.jm.prefetch = 5;
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, o), 0);
  tpeer a, b, adm;
  CHECK_EQ_INT(tp_hello(&a, c.port, PROTO_ROLE_WORKER, "a", 1), 0);
  CHECK_EQ_INT(tp_hello(&adm, c.port, PROTO_ROLE_ADMIN, "adm", 0), 0);
  CHECK_EQ_INT(tp_submit(&adm, "j1", 2, 0, 0), 0); /* both on a */
  CHECK_EQ_INT(tp_hello(&b, c.port, PROTO_ROLE_WORKER, "b", 1), 0);
  CHECK_EQ_INT(tp_submit(&adm, "j2", 1, 0, 0), 0); /* least busy: b */
  tassign t;
  CHECK_EQ_INT(tw_next_assign(&b, &t, 2), 0);
  CHECK_EQ_STR(t.task_id, "j2-000000");
  /* dynamic: a reports 10/20, b 90/80 (b has 1 task, a has 2: cpu/mem dominate) */
  tw_heartbeat(&a, 10, 20);
  tw_heartbeat(&b, 90, 80);
  proto_msg m = {0}, r;
  m.type = PROTO_MSG_SET_STRATEGY;
  m.u.set_strategy.name = "dynamic";
  CHECK_EQ_INT(tp_request(&adm, &m, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_OK);
  proto_msg_free(&r);
  CHECK_EQ_INT(tp_submit(&adm, "j3", 1, 0, 0), 0);
  tassign x;
  int on_a = 0;
  for (int i = 0; i < 3 && !on_a; i++)
    if (tw_next_assign(&a, &x, 0.5) == 0 && strcmp(x.task_id, "j3-000000") == 0) on_a = 1;
  CHECK(on_a);
  m.u.set_strategy.name = "random";
  CHECK_EQ_INT(tp_request(&adm, &m, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_ERROR);
  CHECK_EQ_INT(r.u.error.code, PROTO_E_BAD_FIELD);
  CHECK_CONTAINS(r.u.error.message, "random");
  proto_msg_free(&r);
  CHECK_EQ_INT(tc_stop(&c), 0);
  tp_close(&a);
  tp_close(&b);
  tp_close(&adm);
}

/* A worker with queued and running tasks dies (drop = 1: connection closed; 0: silent
 * but connected). Every task is requeued to the other worker and the job completes;
 * detection within heartbeat_timeout + one heartbeat_interval. */
static void dead_worker_case(int drop) {
  coord_options o = tc_options();
  o.jm.prefetch = 2;
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, o), 0);
  tpeer a, b, adm;
  CHECK_EQ_INT(tp_hello(&a, c.port, PROTO_ROLE_WORKER, "a", 1), 0);
  CHECK_EQ_INT(tp_hello(&adm, c.port, PROTO_ROLE_SUBMITTER, "sub", 0), 0);
  CHECK_EQ_INT(tp_submit(&adm, "jd", 3, 0, 0), 0);
  tassign t[3];
  for (int i = 0; i < 3; i++) CHECK_EQ_INT(tw_next_assign(&a, &t[i], 2), 0);
  tw_started(&a, t[0].task_id, t[0].attempt); /* one running, two queued */
  CHECK_EQ_INT(tp_hello(&b, c.port, PROTO_ROLE_WORKER, "b", 4), 0);
  usleep(100000);
  double t0 = al_mono_s();
  if (drop) tp_close(&a);
  /* b keeps heartbeating while it waits */
  tassign got;
  CHECK_EQ_INT(tw_next_assign(&b, &got, 3), 0);
  double detected = al_mono_s() - t0;
  CHECK_MSG(detected <= 1.0 + 0.25 + 0.3, "requeue after %.3fs", detected);
  CHECK_MSG(detected >= 0.9, "requeue too early: %.3fs", detected);
  CHECK_EQ_INT(got.attempt, 2);
  tw_result(&b, got.task_id, got.attempt, 1, NULL);
  CHECK_EQ_INT(run_worker_until(&b, &adm, "jd", "completed", 3, NULL), 0);
  tjob j;
  tp_job(&adm, "jd", &j);
  CHECK_EQ_INT(j.completed, 3);
  CHECK_EQ_INT(j.retried, 3);
  if (!drop) {
    /* the silent worker's connection gets an error and is closed */
    proto_msg r;
    int rc = tp_expect(&a, PROTO_MSG_ERROR, &r, 2);
    CHECK_EQ_INT(rc, 0);
    if (rc == 0) {
      CHECK_CONTAINS(r.u.error.message, "declared dead");
      proto_msg_free(&r);
    }
    CHECK_EQ_INT(tp_recv(&a, &r, 2), -2);
    tp_close(&a);
  }
  CHECK_EQ_INT(tc_stop(&c), 0);
  tp_close(&b);
  tp_close(&adm);
}
static void test_worker_dropped(void) { dead_worker_case(1); }
static void test_worker_silent(void) { dead_worker_case(0); }

static void test_retries_exhausted(void) {
  coord_options o = tc_options();
  o.jm.max_retries = 1;
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, o), 0);
  tpeer w, adm;
  CHECK_EQ_INT(tp_hello(&w, c.port, PROTO_ROLE_WORKER, "w", 1), 0);
  CHECK_EQ_INT(tp_hello(&adm, c.port, PROTO_ROLE_SUBMITTER, "sub", 0), 0);
  CHECK_EQ_INT(tp_submit(&adm, "jr", 2, 0, 0), 0);
  /* task 0 fails twice (retry 1 allowed), task 1 succeeds */
  int fails = 0, oks = 0;
  for (int i = 0; i < 10 && fails + oks < 3; i++) {
    tassign a;
    if (tw_next_assign(&w, &a, 1) != 0) continue;
    if (strcmp(a.task_id, "jr-000000") == 0) {
      tw_result(&w, a.task_id, a.attempt, 0, "cannot read tokenizers: /tok/text/vocab.json missing");
      fails++;
    } else {
      tw_result(&w, a.task_id, a.attempt, 1, NULL);
      oks++;
    }
  }
  CHECK_EQ_INT(fails, 2);
  tjob j;
  CHECK_EQ_INT(tp_wait_job(&adm, "jr", "completed_with_errors", 3, &j), 0);
  CHECK_EQ_INT(j.failed, 1);
  CHECK_EQ_INT(j.completed, 1);
  CHECK_CONTAINS(j.error, "vocab.json missing");
  proto_msg m = {0}, r;
  m.type = PROTO_MSG_GET_TASK;
  m.u.get_task.task_id = "jr-000000";
  CHECK_EQ_INT(tp_request(&adm, &m, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_TASK_INFO);
  CHECK_EQ_STR(r.u.task_info.status, "failed");
  CHECK_EQ_INT(r.u.task_info.retries, 2);
  CHECK_CONTAINS(r.u.task_info.error, "vocab.json");
  proto_msg_free(&r);
  m.u.get_task.task_id = "jr-000099";
  CHECK_EQ_INT(tp_request(&adm, &m, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_ERROR);
  CHECK_EQ_INT(r.u.error.code, PROTO_E_NOT_FOUND);
  proto_msg_free(&r);
  /* every task failing: failed */
  CHECK_EQ_INT(tp_submit(&adm, "jall", 1, 0, 0), 0);
  for (int i = 0; i < 2; i++) {
    tassign a;
    if (tw_next_assign(&w, &a, 1) == 0) tw_result(&w, a.task_id, a.attempt, 0, "disk full");
  }
  CHECK_EQ_INT(tp_wait_job(&adm, "jall", "failed", 3, &j), 0);
  CHECK_EQ_INT(tc_stop(&c), 0);
  tp_close(&w);
  tp_close(&adm);
}

static void test_stale_result_after_reassignment(void) {
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, tc_options()), 0);
  tpeer a, b, adm;
  CHECK_EQ_INT(tp_hello(&a, c.port, PROTO_ROLE_WORKER, "a", 1), 0);
  CHECK_EQ_INT(tp_hello(&adm, c.port, PROTO_ROLE_SUBMITTER, "sub", 0), 0);
  CHECK_EQ_INT(tp_submit(&adm, "js", 1, 0, 0), 0);
  tassign t1, t2;
  CHECK_EQ_INT(tw_next_assign(&a, &t1, 2), 0);
  tw_started(&a, t1.task_id, t1.attempt);
  CHECK_EQ_INT(tp_hello(&b, c.port, PROTO_ROLE_WORKER, "b", 1), 0);
  tp_close(&a); /* a "dies"; the task moves to b */
  CHECK_EQ_INT(tw_next_assign(&b, &t2, 3), 0);
  CHECK_EQ_STR(t2.task_id, t1.task_id);
  CHECK_EQ_INT(t2.attempt, 2);
  /* a comes back from the dead with its old lease */
  CHECK_EQ_INT(tp_hello(&a, c.port, PROTO_ROLE_WORKER, "a", 1), 0);
  tw_result(&a, t1.task_id, t1.attempt, 1, NULL);
  tw_heartbeat(&b, -1, -1);
  proto_msg r;
  /* a refused result is answered with cancel_task for that attempt (the worker removes
   * its staging directory) */
  CHECK_EQ_INT(tp_expect(&a, PROTO_MSG_CANCEL_TASK, &r, 2), 0);
  CHECK_EQ_INT(r.u.cancel_task.attempt, t1.attempt);
  proto_msg_free(&r);
  tjob j;
  tp_job(&adm, "js", &j);
  CHECK_EQ_STR(j.status, "running");
  CHECK_EQ_INT(j.completed, 0);
  /* a heartbeat claiming the stale lease is answered with cancel_task */
  proto_msg hb = {0};
  proto_task_ref ref = {t1.task_id, t1.attempt};
  hb.type = PROTO_MSG_HEARTBEAT;
  hb.u.heartbeat.running = &ref;
  hb.u.heartbeat.n_running = 1;
  tp_send(&a, &hb);
  CHECK_EQ_INT(tp_expect(&a, PROTO_MSG_CANCEL_TASK, &r, 2), 0);
  CHECK_EQ_INT(r.u.cancel_task.attempt, 1);
  proto_msg_free(&r);
  tw_result(&b, t2.task_id, t2.attempt, 1, NULL);
  tw_result(&b, t2.task_id, t2.attempt, 1, NULL); /* duplicate: counted once */
  CHECK_EQ_INT(tp_wait_job(&adm, "js", "completed", 2, &j), 0);
  CHECK_EQ_INT(j.completed, 1);
  CHECK_EQ_INT(tc_stop(&c), 0);
  tp_close(&a);
  tp_close(&b);
  tp_close(&adm);
}

static void test_task_and_job_timeout(void) {
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, tc_options()), 0);
  tpeer w, adm;
  CHECK_EQ_INT(tp_hello(&w, c.port, PROTO_ROLE_WORKER, "w", 1), 0);
  CHECK_EQ_INT(tp_hello(&adm, c.port, PROTO_ROLE_SUBMITTER, "sub", 0), 0);
  /* task_timeout 0.3 s: the running task is cancelled on the worker and retried */
  CHECK_EQ_INT(tp_submit(&adm, "jt", 1, 0, 0.3), 0);
  tassign a1, a2;
  CHECK_EQ_INT(tw_next_assign(&w, &a1, 2), 0);
  tw_started(&w, a1.task_id, a1.attempt);
  double t0 = al_mono_s();
  proto_msg r;
  CHECK_EQ_INT(tp_expect(&w, PROTO_MSG_CANCEL_TASK, &r, 2), 0);
  double dt = al_mono_s() - t0;
  CHECK_MSG(dt > 0.25 && dt < 0.8, "task timeout after %.3fs", dt);
  CHECK_EQ_STR(r.u.cancel_task.task_id, a1.task_id);
  CHECK_EQ_INT(r.u.cancel_task.attempt, 1);
  proto_msg_free(&r);
  CHECK_EQ_INT(tw_next_assign(&w, &a2, 2), 0);
  CHECK_EQ_INT(a2.attempt, 2);
  tw_result(&w, a2.task_id, a2.attempt, 1, NULL);
  tjob j;
  CHECK_EQ_INT(tp_wait_job(&adm, "jt", "completed", 2, &j), 0);
  CHECK_EQ_INT(j.retried, 1);
  /* job timeout 0.4 s with a task that never finishes */
  CHECK_EQ_INT(tp_submit(&adm, "jto", 1, 0.4, 0), 0);
  CHECK_EQ_INT(tw_next_assign(&w, &a1, 2), 0);
  tw_started(&w, a1.task_id, a1.attempt);
  CHECK_EQ_INT(tp_wait_job(&adm, "jto", "timeout", 2, &j), 0);
  CHECK_CONTAINS(j.error, "timed out");
  CHECK_EQ_INT(tp_expect(&w, PROTO_MSG_CANCEL_TASK, &r, 2), 0);
  proto_msg_free(&r);
  CHECK_EQ_INT(tc_stop(&c), 0);
  tp_close(&w);
  tp_close(&adm);
}

static void test_cancel(void) {
  tcoord c;
  coord_options o = tc_options();
  o.jm.prefetch = 1;
  CHECK_EQ_INT(tc_start(&c, o), 0);
  tpeer w, adm, sub;
  CHECK_EQ_INT(tp_hello(&w, c.port, PROTO_ROLE_WORKER, "w", 1), 0);
  CHECK_EQ_INT(tp_hello(&adm, c.port, PROTO_ROLE_ADMIN, "adm", 0), 0);
  CHECK_EQ_INT(tp_hello(&sub, c.port, PROTO_ROLE_SUBMITTER, "sub", 0), 0);
  CHECK_EQ_INT(tp_submit(&adm, "jc", 5, 0, 0), 0);
  proto_msg m = {0}, r;
  m.type = PROTO_MSG_SUBSCRIBE;
  m.u.subscribe.job_id = "jc";
  CHECK_EQ_INT(tp_request(&sub, &m, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_PROGRESS);
  CHECK_EQ_STR(r.u.progress.status, "running");
  proto_msg_free(&r);
  tassign a1, a2;
  CHECK_EQ_INT(tw_next_assign(&w, &a1, 2), 0);
  CHECK_EQ_INT(tw_next_assign(&w, &a2, 2), 0);
  tw_started(&w, a1.task_id, a1.attempt);
  memset(&m, 0, sizeof m);
  m.type = PROTO_MSG_CANCEL_JOB;
  m.u.cancel_job.job_id = "jc";
  CHECK_EQ_INT(tp_request(&adm, &m, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_OK);
  proto_msg_free(&r);
  /* the worker is told to abandon both leases */
  int cancels = 0;
  while (tp_expect(&w, PROTO_MSG_CANCEL_TASK, &r, 0.5) == 0) {
    cancels++;
    proto_msg_free(&r);
  }
  CHECK_EQ_INT(cancels, 2);
  /* the subscriber sees the final state */
  CHECK_EQ_INT(tp_expect(&sub, PROTO_MSG_PROGRESS, &r, 2), 0);
  CHECK_EQ_STR(r.u.progress.status, "cancelled");
  proto_msg_free(&r);
  /* a late result is ignored */
  tw_result(&w, a1.task_id, a1.attempt, 1, NULL);
  tjob j;
  CHECK_EQ_INT(tp_job(&adm, "jc", &j), 0);
  CHECK_EQ_STR(j.status, "cancelled");
  CHECK_EQ_INT(j.completed, 0);
  /* cancelling again is an error; unknown jobs are not found */
  CHECK_EQ_INT(tp_request(&adm, &m, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_ERROR);
  CHECK_EQ_INT(r.u.error.code, PROTO_E_BAD_STATE);
  proto_msg_free(&r);
  m.u.cancel_job.job_id = "nope";
  CHECK_EQ_INT(tp_request(&adm, &m, &r), 0);
  CHECK_EQ_INT(r.u.error.code, PROTO_E_NOT_FOUND);
  proto_msg_free(&r);
  /* no more work is dispatched for it */
  CHECK_EQ_INT(tw_next_assign(&w, &a1, 0.5), -1);
  CHECK_EQ_INT(tc_stop(&c), 0);
  tp_close(&w);
  tp_close(&adm);
  tp_close(&sub);
}

static void test_work_stealing(void) {
  coord_options o = tc_options();
  o.jm.prefetch = 3;
  o.jm.work_stealing = 1;
  o.jm.steal_after = 0.2;
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, o), 0);
  tpeer a, b, adm;
  CHECK_EQ_INT(tp_hello(&a, c.port, PROTO_ROLE_WORKER, "a", 1), 0);
  CHECK_EQ_INT(tp_hello(&adm, c.port, PROTO_ROLE_SUBMITTER, "sub", 0), 0);
  CHECK_EQ_INT(tp_submit(&adm, "jw", 4, 0, 0), 0);
  tassign t[4];
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(tw_next_assign(&a, &t[i], 2), 0);
  tw_started(&a, t[0].task_id, t[0].attempt);
  usleep(50000);
  CHECK_EQ_INT(tp_hello(&b, c.port, PROTO_ROLE_WORKER, "b", 1), 0);
  tassign s;
  CHECK_EQ_INT(tw_next_assign(&b, &s, 2), 0);
  CHECK_EQ_INT(s.attempt, 2);
  proto_msg r;
  CHECK_EQ_INT(tp_expect(&a, PROTO_MSG_CANCEL_TASK, &r, 2), 0);
  CHECK_EQ_STR(r.u.cancel_task.task_id, s.task_id);
  proto_msg_free(&r);
  CHECK_EQ_INT(tc_stop(&c), 0);
  tp_close(&a);
  tp_close(&b);
  tp_close(&adm);
}

static void test_drain_worker(void) {
  coord_options o = tc_options();
  o.jm.prefetch = 2;
  tcoord c;
  CHECK_EQ_INT(tc_start(&c, o), 0);
  tpeer a, b, adm;
  CHECK_EQ_INT(tp_hello(&a, c.port, PROTO_ROLE_WORKER, "a", 1), 0);
  CHECK_EQ_INT(tp_hello(&adm, c.port, PROTO_ROLE_ADMIN, "adm", 0), 0);
  CHECK_EQ_INT(tp_submit(&adm, "jdr", 3, 0, 0), 0);
  tassign t[3];
  for (int i = 0; i < 3; i++) CHECK_EQ_INT(tw_next_assign(&a, &t[i], 2), 0);
  tw_started(&a, t[0].task_id, t[0].attempt);
  CHECK_EQ_INT(tp_hello(&b, c.port, PROTO_ROLE_WORKER, "b", 4), 0);
  proto_msg m = {0}, r;
  m.type = PROTO_MSG_DRAIN;
  m.u.drain.worker_id = "a";
  CHECK_EQ_INT(tp_request(&adm, &m, &r), 0);
  CHECK_EQ_INT(r.type, PROTO_MSG_OK);
  proto_msg_free(&r);
  /* a is told to drain and loses its two queued tasks to b; it keeps the running one */
  CHECK_EQ_INT(tp_expect(&a, PROTO_MSG_DRAIN, &r, 2), 0);
  proto_msg_free(&r);
  int moved = 0;
  tassign x;
  while (moved < 2 && tw_next_assign(&b, &x, 1) == 0) {
    moved++;
    tw_result(&b, x.task_id, x.attempt, 1, NULL);
  }
  CHECK_EQ_INT(moved, 2);
  tw_result(&a, t[0].task_id, t[0].attempt, 1, NULL);
  tjob j;
  CHECK_EQ_INT(tp_wait_job(&adm, "jdr", "completed", 2, &j), 0);
  m.u.drain.worker_id = "nobody";
  CHECK_EQ_INT(tp_request(&adm, &m, &r), 0);
  CHECK_EQ_INT(r.u.error.code, PROTO_E_NOT_FOUND);
  proto_msg_free(&r);
  CHECK_EQ_INT(tc_stop(&c), 0);
  tp_close(&a);
  tp_close(&b);
  tp_close(&adm);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  al_log_set_level(AL_LOG_ERROR);
  RUN(test_dispatch_reaches_every_worker);
  RUN(test_strategies_at_run_time);
  RUN(test_worker_dropped);
  RUN(test_worker_silent);
  RUN(test_retries_exhausted);
  RUN(test_stale_result_after_reassignment);
  RUN(test_task_and_job_timeout);
  RUN(test_cancel);
  RUN(test_work_stealing);
  RUN(test_drain_worker);
  return TEST_REPORT();
}
