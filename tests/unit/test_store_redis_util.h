/* Shared helpers of the Redis store tests: a loop runner with a deadline, a callback
 * recorder that counts how often each operation's callback fired, and a
 * redis-server started on a chosen port (so that a test can kill it and start it
 * again on the same port), optionally with an fsync-always append-only file so that
 * what Redis acknowledged survives a SIGKILL. */
#ifndef AL_TEST_STORE_REDIS_UTIL_H
#define AL_TEST_STORE_REDIS_UTIL_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "common/al.h"
#include "harness.h"
#include "store/store.h"
#include "store/store_redis.h"
#include "support.h"

/* One operation's outcome. */
typedef struct op_rec {
  int calls;
  int status;
  int64_t integer;
  char *val;
  size_t len;
  char *msg;
  size_t n_values;
  int order; /* completion sequence number */
} op_rec;

static int rec_seq;

static __attribute__((unused)) void rec_cb(void *ud, const store_reply *r) {
  op_rec *o = ud;
  o->calls++;
  o->status = r->status;
  o->integer = r->integer;
  o->order = ++rec_seq;
  free(o->val);
  free(o->msg);
  o->val = NULL;
  o->len = r->len;
  if (r->value) {
    o->val = al_xmalloc(r->len + 1);
    memcpy(o->val, r->value, r->len);
    o->val[r->len] = 0;
  }
  o->msg = r->msg ? al_xstrdup(r->msg) : NULL;
  o->n_values = r->n_values;
}

static __attribute__((unused)) void rec_free(op_rec *o, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(o[i].val);
    free(o[i].msg);
    o[i].val = o[i].msg = NULL;
  }
}

static void tick_cb(uv_timer_t *t) { (void)t; }

/* Runs loop until *flag becomes non-zero or timeout_s passes. Returns 0 or -1. */
static __attribute__((unused)) int run_until(uv_loop_t *loop, const int *flag, double timeout_s) {
  uv_timer_t tick;
  uv_timer_init(loop, &tick);
  uv_timer_start(&tick, tick_cb, 5, 5);
  double end = al_mono_s() + timeout_s;
  while (!*flag && al_mono_s() < end) uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&tick, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  return *flag ? 0 : -1;
}

/* Runs the loop for about secs. */
static __attribute__((unused)) void run_for(uv_loop_t *loop, double secs) {
  int never = 0;
  run_until(loop, &never, secs);
}

/* Runs until every one of n records has fired at least once. */
static __attribute__((unused)) int run_until_all(uv_loop_t *loop, op_rec *o, size_t n, double timeout_s) {
  double end = al_mono_s() + timeout_s;
  for (;;) {
    size_t done = 0;
    for (size_t i = 0; i < n; i++) done += o[i].calls > 0;
    if (done == n) return 0;
    if (al_mono_s() > end) return -1;
    run_for(loop, 0.02);
  }
}

/* Destroys the store and checks that the loop then closes with nothing left over. */
static __attribute__((unused)) void destroy_and_close(uv_loop_t *loop, store *s) {
  store_destroy(s);
  uv_run(loop, UV_RUN_DEFAULT);
  CHECK_EQ_INT(uv_loop_close(loop), 0);
}

/* A redis-server on a given port (dir must exist). aof: fsync every write. */
static __attribute__((unused)) pid_t redis_on(int port, const char *dir, const char *password, int aof) {
  char p[16];
  snprintf(p, sizeof p, "%d", port);
  char *log = al_xasprintf("%s/redis-%d.log", dir, port);
  char *argv[20];
  int n = 0;
  argv[n++] = "redis-server";
  argv[n++] = "--port"; argv[n++] = p;
  argv[n++] = "--bind"; argv[n++] = "127.0.0.1";
  argv[n++] = "--save"; argv[n++] = "";
  argv[n++] = "--dir"; argv[n++] = (char *)dir;
  argv[n++] = "--appendonly"; argv[n++] = aof ? "yes" : "no";
  if (aof) { argv[n++] = "--appendfsync"; argv[n++] = "always"; }
  if (password) { argv[n++] = "--requirepass"; argv[n++] = (char *)password; }
  argv[n] = NULL;
  pid_t pid = ts_spawn(argv, log);
  free(log);
  if (pid > 0) {
    int w = ts_wait_redis(pid, port, password, 10);
    if (w == -1) ts_stop(pid, 2);
    if (w != 0) return -1;
  }
  return pid;
}

static __attribute__((unused)) void redis_kill9(pid_t pid) {
  kill(pid, SIGKILL);
  ts_wait(pid, 5);
}

/* redis-cli against port (db, password may be 0/NULL); returns trimmed stdout. */
static __attribute__((unused)) char *cli(int port, const char *password, int db, const char *const args[]) {
  ts_redis r = {0};
  r.port = port;
  const char *full[32];
  int n = 0;
  char dbs[16];
  if (db) {
    snprintf(dbs, sizeof dbs, "%d", db);
    full[n++] = "-n";
    full[n++] = dbs;
  }
  for (int i = 0; args[i] && n < 30; i++) full[n++] = args[i];
  full[n] = NULL;
  char *out = ts_redis_cli(&r, password, full);
  if (!out) return al_xstrdup("");
  size_t l = strlen(out);
  while (l && (out[l - 1] == '\n' || out[l - 1] == '\r')) out[--l] = 0;
  return out;
}

/* A Redis store on 127.0.0.1:port with short timeouts (2 s: the outage tests wait for
 * them); timeout_s overrides both where a test only needs a healthy connection. */
static __attribute__((unused)) store *new_store_t(uv_loop_t *loop, int port, const char *password, int db,
                                                  const char *prefix, double timeout_s) {
  store_redis_options o;
  store_redis_options_default(&o);
  o.host = "127.0.0.1";
  o.port = port;
  o.password = password;
  o.db = db;
  o.key_prefix = prefix;
  o.connect_timeout = timeout_s;
  o.command_timeout = timeout_s;
  o.reconnect_min = 0.05;
  o.reconnect_max = 0.3;
  al_err err;
  store *s = store_redis_new(loop, &o, &err);
  CHECK(s != NULL);
  return s;
}

static __attribute__((unused)) store *new_store(uv_loop_t *loop, int port, const char *password, int db, const char *prefix) {
  return new_store_t(loop, port, password, db, prefix, 2);
}

#endif
