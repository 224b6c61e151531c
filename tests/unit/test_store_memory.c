/* Memory store: strings, TTLs, lists (FIFO, LREM, empty-list removal), wrong types,
 * barrier, and that every callback fires exactly once and synchronously. */
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "harness.h"
#include "store/store.h"

typedef struct rec {
  int calls, status;
  int64_t integer;
  char val[256];
} rec;

static void cb(void *ud, const store_reply *r) {
  rec *c = ud;
  c->calls++;
  c->status = r->status;
  c->integer = r->integer;
  c->val[0] = 0;
  if (r->value) {
    size_t n = r->len < sizeof c->val - 1 ? r->len : sizeof c->val - 1;
    memcpy(c->val, r->value, n);
    c->val[n] = 0;
  }
}

static double fake_now(void *ud) { return *(double *)ud; }

static void test_strings_and_ttl(void) {
  double now = 10;
  store *s = store_memory_new(fake_now, &now);
  rec c = {0};
  store_set(s, "job:1", "{\"a\": 1}", 8, 0, cb, &c);
  CHECK_EQ_INT(c.calls, 1);
  CHECK_EQ_INT(c.status, STORE_OK);
  store_get(s, "job:1", cb, &c);
  CHECK_EQ_INT(c.calls, 2);
  CHECK_EQ_STR(c.val, "{\"a\": 1}");
  store_get(s, "job:2", cb, &c);
  CHECK_EQ_INT(c.status, STORE_NOT_FOUND);
  store_set(s, "heartbeat:w", "x", 1, 5, NULL, NULL);
  store_exists(s, "heartbeat:w", cb, &c);
  CHECK_EQ_INT(c.integer, 1);
  now = 15.1;
  store_exists(s, "heartbeat:w", cb, &c);
  CHECK_EQ_INT(c.integer, 0);
  store_get(s, "heartbeat:w", cb, &c);
  CHECK_EQ_INT(c.status, STORE_NOT_FOUND);
  store_del(s, "job:1", cb, &c);
  CHECK_EQ_INT(c.integer, 1);
  store_del(s, "job:1", cb, &c);
  CHECK_EQ_INT(c.integer, 0);
  CHECK_EQ_INT(store_memory_key_count(s), 0);
  CHECK_EQ_INT(s->ops_issued, 9);
  store_destroy(s);
}

static void test_lists(void) {
  store *s = store_memory_new(NULL, NULL);
  rec c = {0};
  for (int i = 0; i < 100; i++) {
    char v[16];
    int n = snprintf(v, sizeof v, "t%d", i);
    store_rpush(s, "pending_tasks", v, (size_t)n, cb, &c);
  }
  CHECK_EQ_INT(c.integer, 100);
  store_lpop(s, "pending_tasks", cb, &c);
  CHECK_EQ_STR(c.val, "t0");
  store_lrem(s, "pending_tasks", "t50", 3, cb, &c);
  CHECK_EQ_INT(c.integer, 1);
  store_lrem(s, "pending_tasks", "t50", 3, cb, &c);
  CHECK_EQ_INT(c.integer, 0);
  store_lrem(s, "pending_tasks", "t1", 2, cb, &c);
  store_llen(s, "pending_tasks", cb, &c);
  CHECK_EQ_INT(c.integer, 97);
  store_lpop(s, "pending_tasks", cb, &c);
  CHECK_EQ_STR(c.val, "t2");
  for (int i = 0; i < 96; i++) store_lpop(s, "pending_tasks", NULL, NULL);
  store_lpop(s, "pending_tasks", cb, &c);
  CHECK_EQ_INT(c.status, STORE_NOT_FOUND);
  CHECK_EQ_INT(store_memory_key_count(s), 0); /* an emptied list disappears */
  /* wrong types are errors, not crashes */
  store_set(s, "k", "v", 1, 0, NULL, NULL);
  store_rpush(s, "k", "v", 1, cb, &c);
  CHECK_EQ_INT(c.status, STORE_ERROR);
  int calls = c.calls;
  store_lpop(s, "k", cb, &c);
  store_llen(s, "k", cb, &c);
  store_lrem(s, "k", "v", 1, cb, &c);
  CHECK_EQ_INT(c.calls, calls + 3);
  CHECK_EQ_INT(c.status, STORE_ERROR);
  store_rpush(s, "l", "v", 1, NULL, NULL);
  store_get(s, "l", cb, &c);
  CHECK_EQ_INT(c.status, STORE_ERROR);
  store_sync(s, cb, &c);
  CHECK_EQ_INT(c.status, STORE_OK);
  /* set over a list replaces it */
  store_set(s, "l", "str", 3, 0, NULL, NULL);
  store_get(s, "l", cb, &c);
  CHECK_EQ_STR(c.val, "str");
  CHECK_EQ_INT(store_memory_list_len(s, "l"), 0);
  store_destroy(s);
}

static void test_many_keys(void) {
  store *s = store_memory_new(NULL, NULL);
  rec c = {0};
  for (int i = 0; i < 5000; i++) {
    char k[32];
    snprintf(k, sizeof k, "task:%d", i);
    store_set(s, k, k, strlen(k), 0, NULL, NULL);
  }
  CHECK_EQ_INT(store_memory_key_count(s), 5000);
  store_get(s, "task:4321", cb, &c);
  CHECK_EQ_STR(c.val, "task:4321");
  store_destroy(s);
}

int main(void) {
  RUN(test_strings_and_ttl);
  RUN(test_lists);
  RUN(test_many_keys);
  return TEST_REPORT();
}
