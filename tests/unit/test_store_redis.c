/* Redis store against a real redis-server: every operation, the key prefix, TTLs as
 * Redis reports them, SELECT of a non-zero db, AUTH, completion order, the startup
 * probe's messages (refused, wrong password, missing password, bad db, unresolvable
 * host), destroy with operations outstanding, and the new set/expire operations on
 * the memory store too. */
#include "test_store_redis_util.h"

static ts_redis R; /* shared server without password */

static void test_every_operation(void) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  /* generous timeouts: the test counts connections, and a command timing out on a
   * loaded machine would reconnect */
  store *s = new_store_t(&loop, R.port, NULL, 0, "t1:", 30);
  CHECK_EQ_STR(s->ops->name, "redis");
  op_rec o[32] = {{0}};
  int k = 0;
  rec_seq = 0;
  const char *job = "{\"id\": \"j1\", \"status\": \"running\"}";
  store_set(s, "job:j1", job, strlen(job), 0, rec_cb, &o[k++]);            /* 0 */
  store_set(s, "heartbeat:w1", "{}", 2, 30, rec_cb, &o[k++]);              /* 1 */
  store_get(s, "job:j1", rec_cb, &o[k++]);                                 /* 2 */
  store_get(s, "job:none", rec_cb, &o[k++]);                               /* 3 */
  store_exists(s, "heartbeat:w1", rec_cb, &o[k++]);                        /* 4 */
  store_rpush(s, "pending_tasks", "a", 1, rec_cb, &o[k++]);                /* 5 */
  store_rpush(s, "pending_tasks", "b\0c", 3, rec_cb, &o[k++]);             /* 6: binary-safe */
  store_rpush(s, "pending_tasks", "d", 1, rec_cb, &o[k++]);                /* 7 */
  store_lrem(s, "pending_tasks", "d", 1, rec_cb, &o[k++]);                 /* 8 */
  store_lrem(s, "pending_tasks", "zz", 2, rec_cb, &o[k++]);                /* 9 */
  store_llen(s, "pending_tasks", rec_cb, &o[k++]);                         /* 10 */
  store_lpop(s, "pending_tasks", rec_cb, &o[k++]);                         /* 11 */
  store_get(s, "pending_tasks", rec_cb, &o[k++]);                          /* 12: WRONGTYPE */
  store_sadd(s, "jobs:active", "j1", rec_cb, &o[k++]);                     /* 13 */
  store_sadd(s, "jobs:active", "j1", rec_cb, &o[k++]);                     /* 14 */
  store_sadd(s, "jobs:active", "j2", rec_cb, &o[k++]);                     /* 15 */
  store_srem(s, "jobs:active", "j2", rec_cb, &o[k++]);                     /* 16 */
  store_smembers(s, "jobs:active", rec_cb, &o[k++]);                       /* 17 */
  store_smembers(s, "jobs:none", rec_cb, &o[k++]);                         /* 18 */
  store_expire(s, "job:j1", 604800, rec_cb, &o[k++]);                      /* 19 */
  store_expire(s, "job:none", 5, rec_cb, &o[k++]);                         /* 20 */
  store_set(s, "metrics:w1", "{}", 2, 60.5, rec_cb, &o[k++]);              /* 21: PX */
  store_del(s, "job:none", rec_cb, &o[k++]);                               /* 22 */
  store_sync(s, rec_cb, &o[k++]);                                          /* 23 */
  CHECK_EQ_INT(o[0].calls, 0); /* asynchronous: nothing fired yet */
  CHECK_EQ_INT(s->ops_issued, (uint64_t)k);
  CHECK_EQ_INT(run_until_all(&loop, o, (size_t)k, 10), 0);
  for (int i = 0; i < k; i++) {
    CHECK_EQ_INT(o[i].calls, 1);
    CHECK_EQ_INT(o[i].order, i + 1); /* completion in issue order */
  }
  CHECK_EQ_INT(o[0].status, STORE_OK);
  CHECK_EQ_STR(o[2].val, job);
  CHECK_EQ_INT(o[3].status, STORE_NOT_FOUND);
  CHECK_EQ_INT(o[4].integer, 1);
  CHECK_EQ_INT(o[5].integer, 1);
  CHECK_EQ_INT(o[7].integer, 3);
  CHECK_EQ_INT(o[8].integer, 1);
  CHECK_EQ_INT(o[9].integer, 0);
  CHECK_EQ_INT(o[10].integer, 2);
  CHECK_EQ_STR(o[11].val, "a");
  CHECK_EQ_INT(o[12].status, STORE_ERROR);
  CHECK_CONTAINS(o[12].msg, "WRONGTYPE");
  CHECK_EQ_INT(o[13].integer, 1);
  CHECK_EQ_INT(o[14].integer, 0);
  CHECK_EQ_INT(o[16].integer, 1);
  CHECK_EQ_INT(o[17].n_values, 1);
  CHECK_EQ_INT(o[18].n_values, 0);
  CHECK_EQ_INT(o[18].status, STORE_OK);
  CHECK_EQ_INT(o[19].integer, 1);
  CHECK_EQ_INT(o[20].integer, 0);
  CHECK_EQ_INT(o[22].integer, 0);
  CHECK_EQ_INT(o[23].status, STORE_OK);

  /* what a plain Redis client sees: prefixed keys, values, TTLs */
  char *v = cli(R.port, NULL, 0, (const char *[]){"GET", "t1:job:j1", NULL});
  CHECK_EQ_STR(v, job);
  free(v);
  v = cli(R.port, NULL, 0, (const char *[]){"EXISTS", "job:j1", NULL});
  CHECK_EQ_STR(v, "0"); /* nothing outside the prefix */
  free(v);
  v = cli(R.port, NULL, 0, (const char *[]){"TTL", "t1:heartbeat:w1", NULL});
  CHECK_MSG(atoi(v) >= 29 && atoi(v) <= 30, "TTL heartbeat = %s", v);
  free(v);
  v = cli(R.port, NULL, 0, (const char *[]){"TTL", "t1:job:j1", NULL});
  CHECK_MSG(atoi(v) > 604790 && atoi(v) <= 604800, "TTL job = %s", v);
  free(v);
  v = cli(R.port, NULL, 0, (const char *[]){"LLEN", "t1:pending_tasks", NULL});
  CHECK_EQ_STR(v, "1");
  free(v);
  op_rec b = {0};
  store_lpop(s, "pending_tasks", rec_cb, &b);
  CHECK_EQ_INT(run_until(&loop, &b.calls, 5), 0);
  CHECK_EQ_INT(b.len, 3); /* "b\0c": values are binary-safe */
  CHECK(b.val && memcmp(b.val, "b\0c", 3) == 0);
  rec_free(&b, 1);
  v = cli(R.port, NULL, 0, (const char *[]){"SMEMBERS", "t1:jobs:active", NULL});
  CHECK_EQ_STR(v, "j1");
  free(v);
  v = cli(R.port, NULL, 0, (const char *[]){"PTTL", "t1:metrics:w1", NULL});
  /* a TTL far longer than the test, so a slow machine cannot expire it first; the
   * fraction shows it went out in milliseconds (PX) */
  CHECK_MSG(atoi(v) > 0 && atoi(v) <= 60500, "PTTL metrics = %s", v);
  free(v);
  op_rec g = {0};
  store_set(s, "short", "x", 1, 0.1, NULL, NULL);
  double until = al_mono_s() + 5;
  do { /* expires (Redis expires lazily and by sampling: poll) */
    run_for(&loop, 0.05);
    g.calls = 0;
    store_exists(s, "short", rec_cb, &g);
    CHECK_EQ_INT(run_until(&loop, &g.calls, 5), 0);
  } while (g.integer != 0 && al_mono_s() < until);
  CHECK_EQ_INT(g.integer, 0);

  store_redis_stats st;
  store_redis_get_stats(s, &st);
  CHECK_EQ_INT(st.connects, 1);
  CHECK_EQ_INT(st.queued, 0);
  CHECK_EQ_INT(st.queued_bytes, 0);
  CHECK(st.commands >= (uint64_t)k + 3);
  CHECK(store_writable(s));
  CHECK(store_redis_connected(s));
  rec_free(o, 32);
  rec_free(&g, 1);
  destroy_and_close(&loop, s);
}

static void test_db_and_auth(void) {
  ts_redis P;
  CHECK_EQ_INT(ts_redis_start(&P, "pa ss:w0rd"), 0);
  uv_loop_t loop;
  uv_loop_init(&loop);
  store *s = new_store(&loop, P.port, "pa ss:w0rd", 3, "dep1:");
  al_err err;
  CHECK_EQ_INT(store_redis_probe(s, &err), 0);
  op_rec o[2] = {{0}};
  store_set(s, "task:t-000001", "{\"status\": \"failed\"}", 20, 0, rec_cb, &o[0]);
  store_sync(s, rec_cb, &o[1]);
  CHECK_EQ_INT(run_until_all(&loop, o, 2, 10), 0);
  CHECK_EQ_INT(o[0].status, STORE_OK);
  char *v = cli(P.port, "pa ss:w0rd", 3, (const char *[]){"GET", "dep1:task:t-000001", NULL});
  CHECK_EQ_STR(v, "{\"status\": \"failed\"}");
  free(v);
  v = cli(P.port, "pa ss:w0rd", 0, (const char *[]){"DBSIZE", NULL});
  CHECK_EQ_STR(v, "0"); /* db 0 untouched */
  free(v);
  rec_free(o, 2);
  destroy_and_close(&loop, s);

  /* wrong password, no password, bad db: clear errors naming host:port */
  struct {
    const char *pw;
    int db;
    const char *want;
  } cases[] = {{"nope", 0, "rejected the password (state_store_password)"},
               {NULL, 0, "requires a password; set coordinator.state_store_password"},
               {"pa ss:w0rd", 999, "refused SELECT 999 (state_store_db)"}};
  for (size_t i = 0; i < AL_ARRAY_LEN(cases); i++) {
    uv_loop_init(&loop);
    s = new_store(&loop, P.port, cases[i].pw, cases[i].db, NULL);
    al_err_clear(&err);
    CHECK_EQ_INT(store_redis_probe(s, &err), -1);
    CHECK_CONTAINS(err.msg, cases[i].want);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", P.port);
    CHECK_CONTAINS(err.msg, addr);
    /* an operation issued meanwhile waits, then fails only when the store closes */
    op_rec w = {0};
    store_set(s, "k", "v", 1, 0, rec_cb, &w);
    run_for(&loop, 0.1);
    CHECK_EQ_INT(w.calls, 0);
    store_destroy(s);
    CHECK_EQ_INT(w.calls, 1);
    CHECK_EQ_INT(w.status, STORE_ERROR);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    rec_free(&w, 1);
  }
  ts_redis_stop(&P);
}

static void test_unreachable(void) {
  int port = ts_free_port();
  uv_loop_t loop;
  uv_loop_init(&loop);
  store *s = new_store(&loop, port, NULL, 0, NULL);
  al_err err;
  double t0 = al_mono_s();
  CHECK_EQ_INT(store_redis_probe(s, &err), -1);
  CHECK_MSG(al_mono_s() - t0 < 1.5, "refusal took %.2fs (should not wait for the timeout)", al_mono_s() - t0);
  char want[96];
  snprintf(want, sizeof want, "cannot connect to Redis at 127.0.0.1:%d: Connection refused", port);
  CHECK_EQ_STR(err.msg, want);
  CHECK(!store_redis_connected(s));
  destroy_and_close(&loop, s);

  /* a host name that does not resolve */
  uv_loop_init(&loop);
  store_redis_options o;
  store_redis_options_default(&o);
  o.host = "no-such-host.invalid";
  o.port = 6399;
  o.connect_timeout = 3;
  s = store_redis_new(&loop, &o, &err);
  CHECK_EQ_INT(store_redis_probe(s, &err), -1);
  CHECK_CONTAINS(err.msg, "cannot connect to Redis at no-such-host.invalid:6399");
  destroy_and_close(&loop, s);

  /* invalid options */
  o.host = "127.0.0.1";
  o.port = 70000;
  CHECK(store_redis_new(&loop, &o, &err) == NULL);
  CHECK_CONTAINS(err.msg, "port 70000");
}

/* "localhost" goes through uv_getaddrinfo (no blocking resolver on the loop). */
static void test_hostname(void) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  store_redis_options o;
  store_redis_options_default(&o);
  o.host = "localhost";
  o.port = R.port;
  al_err err;
  store *s = store_redis_new(&loop, &o, &err);
  int rc = store_redis_probe(s, &err);
  CHECK_MSG(rc == 0, "%s", err.msg);
  destroy_and_close(&loop, s);
}

static void test_destroy_outstanding(void) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  store *s = new_store(&loop, R.port, NULL, 0, "t2:");
  op_rec o[50] = {{0}};
  for (int i = 0; i < 50; i++) store_rpush(s, "l", "x", 1, rec_cb, &o[i]);
  /* some may be answered, the rest fail exactly once when the store goes away */
  run_for(&loop, 0.0);
  store_destroy(s);
  for (int i = 0; i < 50; i++) CHECK_EQ_INT(o[i].calls, 1);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
  for (int i = 0; i < 50; i++) CHECK_EQ_INT(o[i].calls, 1);
  rec_free(o, 50);
}

/* Callbacks may issue further operations and destroy the store. */
static store *g_store;
static op_rec g_chain[3];
static void chain_cb(void *ud, const store_reply *r) {
  rec_cb(ud, r);
  op_rec *o = ud;
  if (o == &g_chain[0]) store_get(g_store, "chain", chain_cb, &g_chain[1]);
  if (o == &g_chain[1]) {
    store_set(g_store, "after", "1", 1, 0, rec_cb, &g_chain[2]);
    store_destroy(g_store); /* from inside a reply callback */
  }
}

static void test_reentrancy(void) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  g_store = new_store(&loop, R.port, NULL, 0, "t3:");
  memset(g_chain, 0, sizeof g_chain);
  store_set(g_store, "chain", "v", 1, 0, chain_cb, &g_chain[0]);
  CHECK_EQ_INT(run_until(&loop, &g_chain[2].calls, 5), 0);
  CHECK_EQ_STR(g_chain[1].val, "v");
  CHECK_EQ_INT(g_chain[2].status, STORE_ERROR);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(uv_loop_close(&loop), 0);
  for (int i = 0; i < 3; i++) CHECK_EQ_INT(g_chain[i].calls, 1);
  rec_free(g_chain, 3);
}

/* The operations store.h gained for the active-jobs index and retention, on the
 * memory store (same outcomes as Redis above). */
static double fake_now(void *ud) { return *(double *)ud; }
static void test_memory_sets_expire(void) {
  double now = 100;
  store *m = store_memory_new(fake_now, &now);
  op_rec o = {0};
  store_sadd(m, "jobs:active", "j1", rec_cb, &o);
  CHECK_EQ_INT(o.integer, 1);
  store_sadd(m, "jobs:active", "j1", rec_cb, &o);
  CHECK_EQ_INT(o.integer, 0);
  store_sadd(m, "jobs:active", "j2", rec_cb, &o);
  store_smembers(m, "jobs:active", rec_cb, &o);
  CHECK_EQ_INT(o.n_values, 2);
  store_srem(m, "jobs:active", "j1", rec_cb, &o);
  CHECK_EQ_INT(o.integer, 1);
  store_srem(m, "jobs:active", "j1", rec_cb, &o);
  CHECK_EQ_INT(o.integer, 0);
  store_srem(m, "jobs:active", "j2", rec_cb, &o);
  CHECK_EQ_INT(store_memory_key_count(m), 0); /* empty set removed, as Redis does */
  store_smembers(m, "jobs:active", rec_cb, &o);
  CHECK_EQ_INT(o.status, STORE_OK);
  CHECK_EQ_INT(o.n_values, 0);
  store_set(m, "job:1", "x", 1, 0, rec_cb, &o);
  store_sadd(m, "job:1", "m", rec_cb, &o);
  CHECK_EQ_INT(o.status, STORE_ERROR);
  store_rpush(m, "jobs:s", "a", 1, NULL, NULL);
  store_smembers(m, "jobs:s", rec_cb, &o);
  CHECK_EQ_INT(o.status, STORE_ERROR);
  store_sadd(m, "set", "a", NULL, NULL);
  store_rpush(m, "set", "a", 1, rec_cb, &o);
  CHECK_EQ_INT(o.status, STORE_ERROR);
  store_expire(m, "job:1", 10, rec_cb, &o);
  CHECK_EQ_INT(o.integer, 1);
  store_expire(m, "job:none", 10, rec_cb, &o);
  CHECK_EQ_INT(o.integer, 0);
  now = 109;
  store_exists(m, "job:1", rec_cb, &o);
  CHECK_EQ_INT(o.integer, 1);
  now = 110.5;
  store_exists(m, "job:1", rec_cb, &o);
  CHECK_EQ_INT(o.integer, 0);
  CHECK(store_writable(m));
  rec_free(&o, 1);
  store_destroy(m);
}

/* The keyspace lease: writes fenced by it behave as plain ones while it is held, are
 * refused (and change nothing) once another holder has it, and a vanished lease is
 * taken back only while the epoch counter still names ours. */
static int fenced_calls;
static void on_fenced_rec(void *ud, const char *msg) {
  (void)ud;
  fenced_calls++;
  CHECK(strncmp(msg, "FENCED", 6) == 0);
}

static void test_lease_fencing(void) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  store *s = new_store(&loop, R.port, NULL, 0, "t9:");
  store *other = new_store(&loop, R.port, NULL, 0, "t9:"); /* another process, no lease */
  op_rec o[24] = {{0}};
  fenced_calls = 0;
  store_redis_on_fenced(s, on_fenced_rec, NULL);
  store_redis_lease_acquire(s, "{\"instance\":\"a\"", 30, rec_cb, &o[0]);
  CHECK_EQ_INT(run_until_all(&loop, o, 1, 10), 0);
  store_redis_lease_acquire(other, "{\"instance\":\"b\"", 30, rec_cb, &o[1]);
  CHECK_EQ_INT(run_until_all(&loop, o, 2, 10), 0);
  CHECK_EQ_INT(o[0].n_values, 2);
  CHECK_EQ_STR(store_redis_lease_epoch(s), "1");
  CHECK_EQ_INT(o[1].n_values, 2);
  CHECK(store_redis_lease_epoch(other) == NULL); /* held by s */

  store_set(s, "job:x", "1", 1, 0, rec_cb, &o[2]);
  store_rpush(s, "l", "a\0b", 3, rec_cb, &o[3]);
  store_lpop(s, "l", rec_cb, &o[4]);
  store_expire(s, "job:x", 100, rec_cb, &o[5]);
  store_sadd(s, "set", "m", rec_cb, &o[6]);
  store_redis_lease_renew(s, rec_cb, &o[7]);
  CHECK_EQ_INT(run_until_all(&loop, o, 8, 10), 0);
  CHECK_EQ_INT(o[2].status, STORE_OK);
  CHECK_EQ_INT(o[3].integer, 1);
  CHECK_EQ_INT((int)o[4].len, 3);
  CHECK(o[4].val && memcmp(o[4].val, "a\0b", 3) == 0);
  CHECK_EQ_INT(o[5].integer, 1);
  CHECK_EQ_INT(o[6].integer, 1);
  CHECK_EQ_INT(o[7].status, STORE_OK);

  store_set(other, "coordinator:lease", "intruder", 8, 0, rec_cb, &o[8]); /* another holder */
  CHECK_EQ_INT(run_until_all(&loop, o, 9, 10), 0);
  store_set(s, "job:x", "2", 1, 0, rec_cb, &o[9]);
  store_del(s, "job:x", rec_cb, &o[10]);
  store_redis_lease_renew(s, rec_cb, &o[11]);
  CHECK_EQ_INT(run_until_all(&loop, o, 12, 10), 0);
  store_get(other, "job:x", rec_cb, &o[12]);
  CHECK_EQ_INT(run_until_all(&loop, o, 13, 10), 0);
  for (int i = 9; i <= 11; i++) {
    CHECK_EQ_INT(o[i].status, STORE_ERROR);
    CHECK(o[i].msg && strstr(o[i].msg, "FENCED the keyspace lease is held by intruder"));
  }
  CHECK_EQ_STR(o[12].val, "1"); /* unchanged */
  CHECK_EQ_INT(fenced_calls, 1); /* told once */

  store_del(other, "coordinator:lease", rec_cb, &o[13]); /* vanished, epoch still ours */
  CHECK_EQ_INT(run_until_all(&loop, o, 14, 10), 0); /* two connections: order them by waiting */
  store_set(s, "job:x", "3", 1, 0, rec_cb, &o[14]);
  CHECK_EQ_INT(run_until_all(&loop, o, 15, 10), 0);
  store_get(other, "coordinator:lease", rec_cb, &o[15]);
  CHECK_EQ_INT(run_until_all(&loop, o, 16, 10), 0);
  CHECK_EQ_INT(o[14].status, STORE_OK);
  CHECK(o[15].val && strncmp(o[15].val, "{\"instance\":\"a\",\"epoch\":1}", 26) == 0);

  store_del(other, "coordinator:lease", rec_cb, &o[16]); /* vanished after a later epoch */
  store_set(other, "coordinator:epoch", "7", 1, 0, rec_cb, &o[17]);
  CHECK_EQ_INT(run_until_all(&loop, o, 18, 10), 0);
  store_set(s, "job:x", "4", 1, 0, rec_cb, &o[18]);
  CHECK_EQ_INT(run_until_all(&loop, o, 19, 10), 0);
  store_get(other, "job:x", rec_cb, &o[19]);
  CHECK_EQ_INT(run_until_all(&loop, o, 20, 10), 0);
  CHECK_EQ_INT(o[18].status, STORE_ERROR);
  CHECK(o[18].msg && strstr(o[18].msg, "FENCED the keyspace lease expired and a later coordinator took it"));
  CHECK_EQ_STR(o[19].val, "3");

  store_redis_lease_acquire(other, "{\"instance\":\"b\"", 30, rec_cb, &o[20]); /* free now: epoch 8 */
  CHECK_EQ_INT(run_until_all(&loop, o, 21, 10), 0);
  CHECK_EQ_STR(store_redis_lease_epoch(other), "8");
  store_redis_lease_release(other, rec_cb, &o[21]);
  CHECK_EQ_INT(run_until_all(&loop, o, 22, 10), 0);
  store_exists(s, "coordinator:lease", rec_cb, &o[22]);
  CHECK_EQ_INT(run_until_all(&loop, o, 23, 10), 0);
  CHECK_EQ_INT(o[21].integer, 1);
  CHECK_EQ_INT(o[22].integer, 0);
  rec_free(o, 23);
  store_destroy(other);
  destroy_and_close(&loop, s);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  al_log_set_level(AL_LOG_ERROR);
  if (ts_redis_start(&R, NULL) != 0) {
    fprintf(stderr, "redis-server did not start\n");
    return 1;
  }
  RUN(test_every_operation);
  RUN(test_db_and_auth);
  RUN(test_unreachable);
  RUN(test_hostname);
  RUN(test_destroy_outstanding);
  RUN(test_reentrancy);
  RUN(test_memory_sets_expire);
  RUN(test_lease_fencing);
  ts_redis_stop(&R);
  return TEST_REPORT();
}
