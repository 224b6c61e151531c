/* Redis store under failure, against real redis-server processes:
 *   - Redis killed (SIGKILL) in the middle of a stream of writes and started again on
 *     the same port: every callback fires exactly once with OK, every acknowledged
 *     write is in Redis (append-only file, fsync always), writes issued during the
 *     outage are replayed in order, a barrier issued during the outage fires last;
 *   - the outage buffer: past redis_buffer_limit the store reports "not writable"
 *     and keeps everything; past the hard limit operations fail loudly; writable again
 *     after Redis comes back;
 *   - the per-command timeout (server frozen with SIGSTOP): the connection is dropped
 *     and re-made, and the command's callback fires exactly once, after SIGCONT;
 *   - Redis at maxmemory (OOM): writes are kept and land once there is room. */
#include "../unit/test_store_redis_util.h"

static void test_kill_and_restart(void) {
  char *dir = ts_mkdtemp("redis-outage");
  int port = ts_free_port();
  pid_t pid = redis_on(port, dir, NULL, 1);
  CHECK(pid > 0);
  uv_loop_t loop;
  uv_loop_init(&loop);
  store *s = new_store(&loop, port, NULL, 0, "o:");
  al_err err;
  CHECK_EQ_INT(store_redis_probe(s, &err), 0);

  enum { N1 = 3000, N2 = 500 };
  op_rec *o = al_xcalloc(N1 + N2 + 1, sizeof *o);
  rec_seq = 0;
  char v[32];
  for (int i = 0; i < N1; i++) {
    int n = snprintf(v, sizeof v, "v%d", i);
    store_rpush(s, "list", v, (size_t)n, rec_cb, &o[i]);
  }
  /* let part of the stream be answered, then kill Redis under it */
  double end = al_mono_s() + 10;
  while (o[N1 / 10].calls == 0 && al_mono_s() < end) uv_run(&loop, UV_RUN_ONCE);
  redis_kill9(pid);
  int acked_before = 0;
  for (int i = 0; i < N1; i++) acked_before += o[i].calls;
  CHECK(acked_before > 0);

  for (int i = 0; i < N2; i++) {
    char k[32];
    snprintf(k, sizeof k, "late:%d", i);
    int n = snprintf(v, sizeof v, "%d", i);
    store_set(s, k, v, (size_t)n, 0, rec_cb, &o[N1 + i]);
  }
  store_sync(s, rec_cb, &o[N1 + N2]);
  run_for(&loop, 0.5);
  CHECK(!store_redis_connected(s));
  CHECK_EQ_INT(o[N1 + N2].calls, 0); /* the barrier waits for Redis */
  store_redis_stats st;
  store_redis_get_stats(s, &st);
  CHECK(st.queued >= (size_t)N2 + 1);

  pid = redis_on(port, dir, NULL, 1); /* same port, same append-only file */
  CHECK(pid > 0);
  CHECK_EQ_INT(run_until_all(&loop, o, N1 + N2 + 1, 30), 0);
  int bad = 0;
  for (int i = 0; i < N1 + N2 + 1; i++) bad += o[i].calls != 1 || o[i].status != STORE_OK;
  CHECK_EQ_INT(bad, 0);
  CHECK_EQ_INT(o[N1 + N2].order, rec_seq); /* barrier last */
  /* the late writes completed in issue order */
  int inorder = 1;
  for (int i = 1; i < N2; i++) inorder &= o[N1 + i].order > o[N1 + i - 1].order;
  CHECK(inorder);

  /* every value pushed is in the list (at least once: an RPUSH that reached Redis
   * just before the kill may be there twice), and nothing else */
  char *all = cli(port, NULL, 0, (const char *[]){"LRANGE", "o:list", "0", "-1", NULL});
  char *seen = al_xcalloc(N1, 1);
  int total = 0, foreign = 0;
  for (char *line = strtok(all, "\n"); line; line = strtok(NULL, "\n")) {
    total++;
    int idx = line[0] == 'v' ? atoi(line + 1) : -1;
    if (idx >= 0 && idx < N1) seen[idx] = 1;
    else foreign++;
  }
  int missing = 0;
  for (int i = 0; i < N1; i++) missing += !seen[i];
  CHECK_EQ_INT(missing, 0);
  CHECK_EQ_INT(foreign, 0);
  CHECK(total >= N1);
  free(all);
  free(seen);
  char *x = cli(port, NULL, 0, (const char *[]){"GET", "o:late:499", NULL});
  CHECK_EQ_STR(x, "499");
  free(x);
  x = cli(port, NULL, 0, (const char *[]){"DBSIZE", NULL});
  CHECK_EQ_STR(x, "501");
  free(x);
  store_redis_get_stats(s, &st);
  CHECK(st.disconnects >= 1);
  CHECK(st.connects >= 2);
  CHECK_EQ_INT(st.queued, 0);
  CHECK_EQ_INT(st.queued_bytes, 0);
  rec_free(o, N1 + N2 + 1);
  free(o);
  destroy_and_close(&loop, s);
  ts_stop(pid, 5);
  ts_rmtree(dir);
  free(dir);
}

static int wr_changes[8];
static int wr_n;
static void on_writable(void *ud, int w) {
  (void)ud;
  if (wr_n < 8) wr_changes[wr_n++] = w;
}

static void test_buffer_limit(void) {
  char *dir = ts_mkdtemp("redis-buffer");
  int port = ts_free_port(); /* nobody there yet */
  uv_loop_t loop;
  uv_loop_init(&loop);
  store_redis_options opt;
  store_redis_options_default(&opt);
  opt.host = "127.0.0.1";
  opt.port = port;
  opt.buffer_limit = 64 * 1024;
  opt.reconnect_min = 0.05;
  opt.reconnect_max = 0.2;
  al_err err;
  store *s = store_redis_new(&loop, &opt, &err);
  store_redis_on_writable(s, on_writable, NULL);
  wr_n = 0;
  enum { N = 300 };
  op_rec *o = al_xcalloc(N, sizeof *o);
  char *val = al_xmalloc(1024);
  memset(val, 'x', 1024);
  int first_unwritable = -1;
  for (int i = 0; i < N; i++) {
    char k[32];
    snprintf(k, sizeof k, "big:%d", i);
    store_set(s, k, val, 1024, 0, rec_cb, &o[i]);
    if (first_unwritable < 0 && !store_writable(s)) first_unwritable = i;
  }
  /* about 64 KiB in, the store says stop; writes keep being accepted up to 4 x */
  CHECK_MSG(first_unwritable >= 60 && first_unwritable <= 64, "first unwritable at %d", first_unwritable);
  CHECK_EQ_INT(wr_n, 1);
  CHECK_EQ_INT(wr_changes[0], 0);
  store_redis_stats st;
  store_redis_get_stats(s, &st);
  int rejected = 0, accepted = 0;
  for (int i = 0; i < N; i++) {
    if (o[i].calls == 1 && o[i].status == STORE_ERROR) {
      rejected++;
      if (rejected == 1) CHECK_CONTAINS(o[i].msg, "hard limit");
    } else if (o[i].calls == 0) {
      accepted++;
    }
  }
  CHECK_EQ_INT(rejected + accepted, N);
  CHECK_EQ_INT((uint64_t)rejected, st.rejected);
  CHECK_MSG(accepted >= 240 && accepted <= 256, "accepted %d", accepted);
  CHECK(st.queued_bytes <= 4 * 64 * 1024);

  pid_t pid = redis_on(port, dir, NULL, 0);
  CHECK(pid > 0);
  CHECK_EQ_INT(run_until_all(&loop, o, N, 20), 0);
  int ok = 0;
  for (int i = 0; i < N; i++) {
    CHECK_EQ_INT(o[i].calls, 1);
    ok += o[i].status == STORE_OK;
  }
  CHECK_EQ_INT(ok, accepted);
  CHECK(store_writable(s));
  CHECK_EQ_INT(wr_n, 2);
  CHECK_EQ_INT(wr_changes[1], 1);
  char *x = cli(port, NULL, 0, (const char *[]){"DBSIZE", NULL});
  CHECK_EQ_INT(atoi(x), accepted);
  free(x);
  free(val);
  rec_free(o, N);
  free(o);
  destroy_and_close(&loop, s);
  ts_stop(pid, 5);
  ts_rmtree(dir);
  free(dir);
}

static void test_command_timeout(void) {
  char *dir = ts_mkdtemp("redis-stop");
  int port = ts_free_port();
  pid_t pid = redis_on(port, dir, NULL, 0);
  CHECK(pid > 0);
  uv_loop_t loop;
  uv_loop_init(&loop);
  store_redis_options opt;
  store_redis_options_default(&opt);
  opt.host = "127.0.0.1";
  opt.port = port;
  opt.command_timeout = 0.3;
  opt.connect_timeout = 0.5;
  opt.reconnect_min = 0.05;
  opt.reconnect_max = 0.2;
  al_err err;
  store *s = store_redis_new(&loop, &opt, &err);
  CHECK_EQ_INT(store_redis_probe(s, &err), 0);
  kill(pid, SIGSTOP);
  op_rec o[2] = {{0}};
  store_set(s, "frozen", "yes", 3, 0, rec_cb, &o[0]);
  store_get(s, "frozen", rec_cb, &o[1]);
  run_for(&loop, 1.0);
  store_redis_stats st;
  store_redis_get_stats(s, &st);
  CHECK(st.timeouts >= 1);
  CHECK_EQ_INT(st.disconnects, 1); /* the established connection was dropped once */
  CHECK_EQ_INT(o[0].calls, 0);     /* kept, not failed */
  CHECK_EQ_INT(o[1].calls, 0);
  kill(pid, SIGCONT);
  CHECK_EQ_INT(run_until_all(&loop, o, 2, 10), 0);
  run_for(&loop, 0.5);
  CHECK_EQ_INT(o[0].calls, 1);
  CHECK_EQ_INT(o[1].calls, 1);
  CHECK_EQ_INT(o[0].status, STORE_OK);
  CHECK_EQ_STR(o[1].val, "yes");
  rec_free(o, 2);
  destroy_and_close(&loop, s);
  ts_stop(pid, 5);
  ts_rmtree(dir);
  free(dir);
}

/* Redis at maxmemory (OOM errors): writes are kept, not failed, until it has room. */
static void test_oom_kept(void) {
  ts_redis R;
  CHECK_EQ_INT(ts_redis_start(&R, NULL), 0);
  char *x = cli(R.port, NULL, 0, (const char *[]){"CONFIG", "SET", "maxmemory", "3mb", NULL});
  free(x);
  x = cli(R.port, NULL, 0, (const char *[]){"CONFIG", "SET", "maxmemory-policy", "noeviction", NULL});
  free(x);
  uv_loop_t loop;
  uv_loop_init(&loop);
  store *s = new_store(&loop, R.port, NULL, 0, "m:");
  enum { N = 100 };
  op_rec *o = al_xcalloc(N, sizeof *o);
  char *val = al_xmalloc(64 * 1024);
  memset(val, 'y', 64 * 1024);
  for (int i = 0; i < N; i++) {
    char k[32];
    snprintf(k, sizeof k, "v:%d", i);
    store_set(s, k, val, 64 * 1024, 0, rec_cb, &o[i]);
  }
  run_for(&loop, 1.0);
  int fired = 0, errors = 0;
  for (int i = 0; i < N; i++) {
    fired += o[i].calls;
    errors += o[i].calls && o[i].status != STORE_OK;
  }
  CHECK_EQ_INT(errors, 0);
  CHECK_MSG(fired < N, "all %d writes fit in 3 MB?", fired);
  x = cli(R.port, NULL, 0, (const char *[]){"CONFIG", "SET", "maxmemory", "0", NULL});
  free(x);
  CHECK_EQ_INT(run_until_all(&loop, o, N, 20), 0);
  for (int i = 0; i < N; i++) {
    CHECK_EQ_INT(o[i].calls, 1);
    CHECK_EQ_INT(o[i].status, STORE_OK);
  }
  x = cli(R.port, NULL, 0, (const char *[]){"DBSIZE", NULL});
  CHECK_EQ_STR(x, "100");
  free(x);
  free(val);
  rec_free(o, N);
  free(o);
  destroy_and_close(&loop, s);
  ts_redis_stop(&R);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  al_log_set_level(AL_LOG_ERROR);
  RUN(test_kill_and_restart);
  RUN(test_buffer_limit);
  RUN(test_command_timeout);
  RUN(test_oom_kept);
  return TEST_REPORT();
}
