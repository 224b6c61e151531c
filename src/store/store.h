/* State store interface: the coordinator's durable record of jobs, tasks, queues and
 * worker liveness, with the key model of the original (DESIGN §5):
 *
 *   job:<job_id>          string  JSON job record (original field names)
 *   task:<task_id>        string  JSON task record
 *   heartbeat:<worker_id> string  JSON, with a TTL
 *   metrics:<worker_id>   string  JSON
 *   tasks:<worker_id>     list    JSON task records assigned to that worker, not started
 *   pending_tasks         list    JSON task records waiting for capacity
 *
 * Every operation is asynchronous: it takes a completion callback (may be NULL for
 * fire-and-forget writes) that is fired exactly once, on the loop thread that owns
 * the store, with the operation's outcome. Operations complete in the order they were
 * issued (the Redis implementation pipelines them on one connection; the memory store
 * is FIFO by construction). store_sync() is a barrier: its callback fires once every
 * operation issued before it has been confirmed, which is how a caller acknowledges
 * a job submission only after the store holds it.
 *
 * Implementations:
 *   memory (store_memory_new): completes every operation synchronously, i.e. the
 *     callback runs before the call returns. Callers must therefore not hold state
 *     that the callback may invalidate across the call. TTLs are honoured lazily
 *     (an expired key reads as missing).
 *   redis (store_redis.h): completes on a later loop iteration.
 *
 * Prefix: store_. Keys and values are byte strings; the store copies what it is given,
 * the caller keeps ownership of its arguments. Values passed to callbacks are owned by
 * the store and valid only during the callback. */
#ifndef AL_STORE_STORE_H
#define AL_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

/* Outcome codes passed to callbacks. */
enum {
  STORE_OK = 0,
  STORE_NOT_FOUND = 1, /* get/lpop on a missing key or empty list */
  STORE_ERROR = -1     /* connection lost, wrong type, ...; msg says what */
};

typedef struct store_reply {
  int status;          /* STORE_OK, STORE_NOT_FOUND, STORE_ERROR */
  const char *value;   /* get/lpop: the value; NULL otherwise; store-owned */
  size_t len;          /* length of value */
  int64_t integer;     /* llen/lrem/exists/del: the count */
  const char *msg;     /* STORE_ERROR: a description; store-owned */
  /* smembers: the members (n_values of them, any order); store-owned like value. */
  const char *const *values;
  const size_t *lens;
  size_t n_values;
} store_reply;

/* Fired exactly once per operation on the loop thread. */
typedef void (*store_cb)(void *ud, const store_reply *r);

typedef struct store store;

typedef struct store_ops {
  const char *name; /* "memory", "redis" */
  /* ttl_s <= 0: no expiry. */
  void (*set)(store *s, const char *key, const char *val, size_t len, double ttl_s,
              store_cb cb, void *ud);
  void (*get)(store *s, const char *key, store_cb cb, void *ud);
  void (*del)(store *s, const char *key, store_cb cb, void *ud);
  void (*exists)(store *s, const char *key, store_cb cb, void *ud);
  void (*rpush)(store *s, const char *key, const char *val, size_t len, store_cb cb, void *ud);
  void (*lpop)(store *s, const char *key, store_cb cb, void *ud);
  /* Removes the first occurrence of exactly val from the list (LREM key 1 val). */
  void (*lrem)(store *s, const char *key, const char *val, size_t len, store_cb cb, void *ud);
  void (*llen)(store *s, const char *key, store_cb cb, void *ud);
  /* Barrier: cb fires after every earlier operation has completed. */
  void (*sync)(store *s, store_cb cb, void *ud);
  /* Frees the store. Callbacks of operations still in flight are fired with
   * STORE_ERROR before this returns (each exactly once). */
  void (*destroy)(store *s);
  /* ---- sets and expiry (the index of unfinished jobs, retention) ---- */
  /* SADD / SREM one member; integer = 1 when the set changed. */
  void (*sadd)(store *s, const char *key, const char *member, store_cb cb, void *ud);
  void (*srem)(store *s, const char *key, const char *member, store_cb cb, void *ud);
  /* All members of a set (values/lens/n_values); an absent key is an empty set. */
  void (*smembers)(store *s, const char *key, store_cb cb, void *ud);
  /* Sets a key's time to live (ttl_s > 0); integer = 1 when the key exists. */
  void (*expire)(store *s, const char *key, double ttl_s, store_cb cb, void *ud);
  /* 1 while the store accepts writes without growing an outage buffer past its limit;
   * 0 means the caller should stop creating new work (stop dispatching) until it is 1
   * again. Never blocks; the memory store is always writable. */
  int (*writable)(store *s);
} store_ops;

/* Every implementation embeds this as its first member. */
struct store {
  const store_ops *ops;
  uint64_t ops_issued; /* count of operations issued, for tests and stats */
};

static inline void store_set(store *s, const char *key, const char *val, size_t len,
                             double ttl_s, store_cb cb, void *ud) {
  s->ops_issued++;
  s->ops->set(s, key, val, len, ttl_s, cb, ud);
}
static inline void store_get(store *s, const char *key, store_cb cb, void *ud) {
  s->ops_issued++;
  s->ops->get(s, key, cb, ud);
}
static inline void store_del(store *s, const char *key, store_cb cb, void *ud) {
  s->ops_issued++;
  s->ops->del(s, key, cb, ud);
}
static inline void store_exists(store *s, const char *key, store_cb cb, void *ud) {
  s->ops_issued++;
  s->ops->exists(s, key, cb, ud);
}
static inline void store_rpush(store *s, const char *key, const char *val, size_t len,
                               store_cb cb, void *ud) {
  s->ops_issued++;
  s->ops->rpush(s, key, val, len, cb, ud);
}
static inline void store_lpop(store *s, const char *key, store_cb cb, void *ud) {
  s->ops_issued++;
  s->ops->lpop(s, key, cb, ud);
}
static inline void store_lrem(store *s, const char *key, const char *val, size_t len,
                              store_cb cb, void *ud) {
  s->ops_issued++;
  s->ops->lrem(s, key, val, len, cb, ud);
}
static inline void store_llen(store *s, const char *key, store_cb cb, void *ud) {
  s->ops_issued++;
  s->ops->llen(s, key, cb, ud);
}
static inline void store_sync(store *s, store_cb cb, void *ud) {
  s->ops_issued++;
  s->ops->sync(s, cb, ud);
}
static inline void store_destroy(store *s) {
  if (s) s->ops->destroy(s);
}
static inline void store_sadd(store *s, const char *key, const char *member, store_cb cb,
                              void *ud) {
  s->ops_issued++;
  s->ops->sadd(s, key, member, cb, ud);
}
static inline void store_srem(store *s, const char *key, const char *member, store_cb cb,
                              void *ud) {
  s->ops_issued++;
  s->ops->srem(s, key, member, cb, ud);
}
static inline void store_smembers(store *s, const char *key, store_cb cb, void *ud) {
  s->ops_issued++;
  s->ops->smembers(s, key, cb, ud);
}
static inline void store_expire(store *s, const char *key, double ttl_s, store_cb cb, void *ud) {
  s->ops_issued++;
  s->ops->expire(s, key, ttl_s, cb, ud);
}
static inline int store_writable(store *s) { return s->ops->writable ? s->ops->writable(s) : 1; }

/* The memory store. clock returns the current monotonic time in seconds (used for
 * TTLs); NULL means al_mono_s. Caller owns the result; free with store_destroy. */
store *store_memory_new(double (*clock)(void *ud), void *clock_ud);

/* Memory-store introspection for tests and the embedded status command: number of
 * live keys, and the length of a list (0 when missing). */
size_t store_memory_key_count(store *s);
size_t store_memory_list_len(store *s, const char *key);

#endif
