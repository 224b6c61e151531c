/* The coordinator stops dispatching while the Redis store cannot take writes (outage
 * buffer over redis_buffer_limit) and resumes when Redis has caught up: a job manager
 * on a Redis store whose server is not there yet, a worker with free slots, tasks
 * pending; no assignment until Redis starts and the backlog drains. */
#include "coord/coord_jm.h"
#include "coord/coord_persist.h"
#include "test_store_redis_util.h"

static int assigned;
static void h_assign(void *ud, coord_worker *w, coord_task *t) {
  (void)ud;
  (void)w;
  (void)t;
  assigned++;
}
static void on_writable(void *ud, int w) {
  if (w) coord_jm_on_timer(ud); /* what the coordinator wires up */
}

static void test_hold_and_resume(void) {
  char *dir = ts_mkdtemp("redis-dispatch");
  int port = ts_free_port();
  uv_loop_t loop;
  uv_loop_init(&loop);
  store_redis_options o;
  store_redis_options_default(&o);
  o.host = "127.0.0.1";
  o.port = port;
  o.buffer_limit = 64 * 1024;
  o.reconnect_min = 0.05;
  o.reconnect_max = 0.2;
  al_err err;
  store *st = store_redis_new(&loop, &o, &err);
  coord_jm_params p;
  coord_jm_params_default(&p);
  coord_jm_hooks h;
  memset(&h, 0, sizeof h);
  h.assign = h_assign;
  coord_persist *ps = coord_persist_new(st, p.heartbeat_timeout, p.retention);
  coord_jm_records rec;
  coord_persist_records(ps, &rec);
  coord_jm *jm = coord_jm_new(&p, &h, &rec);
  store_redis_on_writable(st, on_writable, jm);
  /* Redis is not there: fill the buffer past the limit */
  char *big = al_xmalloc(70 * 1024);
  memset(big, 'x', 70 * 1024);
  store_set(st, "filler", big, 70 * 1024, 0, NULL, NULL);
  free(big);
  CHECK(!store_writable(st));
  coord_job_config c;
  memset(&c, 0, sizeof c);
  al_err e;
  coord_job *j = coord_jm_job_create(jm, "held", &c, &e);
  const char *files[1] = {"/in/a.txt"};
  for (int i = 0; i < 3; i++) coord_jm_job_add_task(jm, j, files, 1, &e);
  coord_jm_worker_join(jm, "w1", 4, NULL);
  CHECK_EQ_INT(assigned, 0); /* held: its state could not be persisted */
  CHECK_EQ_INT(coord_jm_pending_count(jm), 3);
  pid_t pid = redis_on(port, dir, NULL, 0);
  CHECK(pid > 0);
  double end = al_mono_s() + 10;
  while (assigned < 3 && al_mono_s() < end) run_for(&loop, 0.02);
  CHECK_EQ_INT(assigned, 3);
  CHECK(store_writable(st));
  coord_jm_free(jm);
  coord_persist_free(ps);
  destroy_and_close(&loop, st);
  ts_stop(pid, 5);
  ts_rmtree(dir);
  free(dir);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  al_log_set_level(AL_LOG_ERROR);
  RUN(test_hold_and_resume);
  return TEST_REPORT();
}
