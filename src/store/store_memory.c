/* The memory state store (embedded mode and tests): a chained hash table of keys,
 * each holding a string or a list of strings. Every operation completes synchronously:
 * its callback runs before the call returns, so FIFO completion order is trivially
 * kept. Values are copied in; nothing is shared with callers (the original handed out
 * references, §21.6). */
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "store/store.h"

typedef struct mem_item {
  char *data;
  size_t len;
} mem_item;

enum { MEM_STR = 0, MEM_LIST = 1, MEM_SET = 2 };

typedef struct mem_entry {
  struct mem_entry *next;
  char *key;
  uint64_t hash;
  int kind; /* MEM_STR, MEM_LIST, MEM_SET */
  double expires; /* 0 = never; monotonic seconds */
  mem_item str;
  /* list or set: items[head .. head+count) (a set keeps members unique) */
  mem_item *items;
  size_t head, count, cap;
} mem_entry;

typedef struct mem_store {
  store base;
  double (*clock)(void *ud);
  void *clock_ud;
  mem_entry **buckets;
  size_t nbuckets;
  size_t nkeys;
} mem_store;

static uint64_t mem_hash(const char *s) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static double mem_now(mem_store *m) { return m->clock ? m->clock(m->clock_ud) : al_mono_s(); }

static void mem_entry_free(mem_entry *e) {
  free(e->key);
  free(e->str.data);
  for (size_t i = 0; i < e->count; i++) free(e->items[e->head + i].data);
  free(e->items);
  free(e);
}

static void mem_resize(mem_store *m) {
  size_t nb = m->nbuckets * 2;
  mem_entry **b = al_xcalloc(nb, sizeof *b);
  for (size_t i = 0; i < m->nbuckets; i++) {
    mem_entry *e = m->buckets[i];
    while (e) {
      mem_entry *next = e->next;
      size_t k = e->hash & (nb - 1);
      e->next = b[k];
      b[k] = e;
      e = next;
    }
  }
  free(m->buckets);
  m->buckets = b;
  m->nbuckets = nb;
}

/* Unlinks and frees the entry for key, if any. Returns 1 when one was removed. */
static int mem_remove(mem_store *m, const char *key) {
  uint64_t h = mem_hash(key);
  mem_entry **pp = &m->buckets[h & (m->nbuckets - 1)];
  for (; *pp; pp = &(*pp)->next) {
    if ((*pp)->hash == h && strcmp((*pp)->key, key) == 0) {
      mem_entry *e = *pp;
      *pp = e->next;
      mem_entry_free(e);
      m->nkeys--;
      return 1;
    }
  }
  return 0;
}

/* Finds a live entry (expired ones are dropped on the way). */
static mem_entry *mem_find(mem_store *m, const char *key) {
  uint64_t h = mem_hash(key);
  for (mem_entry *e = m->buckets[h & (m->nbuckets - 1)]; e; e = e->next) {
    if (e->hash == h && strcmp(e->key, key) == 0) {
      if (e->expires > 0 && mem_now(m) >= e->expires) {
        mem_remove(m, key);
        return NULL;
      }
      return e;
    }
  }
  return NULL;
}

static mem_entry *mem_create(mem_store *m, const char *key, int kind) {
  if (m->nkeys + 1 > m->nbuckets) mem_resize(m);
  mem_entry *e = al_xcalloc(1, sizeof *e);
  e->key = al_xstrdup(key);
  e->hash = mem_hash(key);
  e->kind = kind;
  size_t k = e->hash & (m->nbuckets - 1);
  e->next = m->buckets[k];
  m->buckets[k] = e;
  m->nkeys++;
  return e;
}

static void reply(store_cb cb, void *ud, int status, const char *v, size_t len, int64_t n,
                  const char *msg) {
  if (!cb) return;
  store_reply r = {status, v, len, n, msg, NULL, NULL, 0};
  cb(ud, &r);
}

static void mem_set(store *s, const char *key, const char *val, size_t len, double ttl_s,
                    store_cb cb, void *ud) {
  mem_store *m = (mem_store *)s;
  mem_entry *e = mem_find(m, key);
  if (e && e->kind != MEM_STR) {
    mem_remove(m, key);
    e = NULL;
  }
  if (!e) e = mem_create(m, key, MEM_STR);
  free(e->str.data);
  e->str.data = al_xstrndup(val, len);
  e->str.len = len;
  e->expires = ttl_s > 0 ? mem_now(m) + ttl_s : 0;
  reply(cb, ud, STORE_OK, NULL, 0, 0, NULL);
}

static void mem_get(store *s, const char *key, store_cb cb, void *ud) {
  mem_store *m = (mem_store *)s;
  mem_entry *e = mem_find(m, key);
  if (!e) { reply(cb, ud, STORE_NOT_FOUND, NULL, 0, 0, NULL); return; }
  if (e->kind != MEM_STR) { reply(cb, ud, STORE_ERROR, NULL, 0, 0, "WRONGTYPE: key holds a list or set"); return; }
  reply(cb, ud, STORE_OK, e->str.data, e->str.len, 0, NULL);
}

static void mem_del(store *s, const char *key, store_cb cb, void *ud) {
  mem_store *m = (mem_store *)s;
  int n = mem_find(m, key) ? mem_remove(m, key) : 0;
  reply(cb, ud, STORE_OK, NULL, 0, n, NULL);
}

static void mem_exists(store *s, const char *key, store_cb cb, void *ud) {
  mem_store *m = (mem_store *)s;
  reply(cb, ud, STORE_OK, NULL, 0, mem_find(m, key) ? 1 : 0, NULL);
}

static mem_entry *mem_list(mem_store *m, const char *key, int create, store_cb cb, void *ud) {
  mem_entry *e = mem_find(m, key);
  if (e && e->kind != MEM_LIST) {
    reply(cb, ud, STORE_ERROR, NULL, 0, 0, "WRONGTYPE: key does not hold a list");
    return NULL;
  }
  if (!e && create) e = mem_create(m, key, MEM_LIST);
  return e;
}

/* Appends a copy of data[0..len) to a list's or set's items. Space freed at the front
 * by pops is reclaimed (one memmove) once it exceeds the items kept, so a queue that is
 * pushed and popped forever costs amortised O(1) and at most twice its length. */
static void append_item(mem_entry *e, const char *data, size_t len) {
  if (e->head + e->count == e->cap) {
    if (e->head > e->count) {
      memmove(e->items, e->items + e->head, e->count * sizeof *e->items);
      e->head = 0;
    } else {
      e->cap = e->cap ? e->cap * 2 : 8;
      e->items = al_xrealloc(e->items, e->cap * sizeof *e->items);
    }
  }
  mem_item *it = &e->items[e->head + e->count++];
  it->data = al_xstrndup(data, len);
  it->len = len;
}

static void mem_rpush(store *s, const char *key, const char *val, size_t len, store_cb cb,
                      void *ud) {
  mem_store *m = (mem_store *)s;
  mem_entry *e = mem_list(m, key, 1, cb, ud);
  if (!e) return;
  append_item(e, val, len);
  reply(cb, ud, STORE_OK, NULL, 0, (int64_t)e->count, NULL);
}

/* Redis deletes a list that becomes empty; so do we. */
static void mem_list_gc(mem_store *m, mem_entry *e) {
  if (e->count == 0) mem_remove(m, e->key);
}

static void mem_lpop(store *s, const char *key, store_cb cb, void *ud) {
  mem_store *m = (mem_store *)s;
  mem_entry *e = mem_list(m, key, 0, cb, ud);
  if (!e) {
    if (!mem_find(m, key)) reply(cb, ud, STORE_NOT_FOUND, NULL, 0, 0, NULL);
    return;
  }
  mem_item it = e->items[e->head++];
  e->count--;
  reply(cb, ud, STORE_OK, it.data, it.len, 0, NULL);
  free(it.data);
  mem_list_gc(m, e);
}

static void mem_lrem(store *s, const char *key, const char *val, size_t len, store_cb cb,
                     void *ud) {
  mem_store *m = (mem_store *)s;
  mem_entry *e = mem_list(m, key, 0, cb, ud);
  if (!e) {
    if (!mem_find(m, key)) reply(cb, ud, STORE_OK, NULL, 0, 0, NULL);
    return;
  }
  for (size_t i = 0; i < e->count; i++) {
    mem_item *it = &e->items[e->head + i];
    if (it->len == len && memcmp(it->data, val, len) == 0) {
      free(it->data);
      if (i == 0) {
        e->head++;
      } else {
        memmove(it, it + 1, (e->count - i - 1) * sizeof *it);
      }
      e->count--;
      mem_list_gc(m, e);
      { reply(cb, ud, STORE_OK, NULL, 0, 1, NULL); return; }
    }
  }
  reply(cb, ud, STORE_OK, NULL, 0, 0, NULL);
}

static void mem_llen(store *s, const char *key, store_cb cb, void *ud) {
  mem_store *m = (mem_store *)s;
  mem_entry *e = mem_list(m, key, 0, cb, ud);
  if (!e && mem_find(m, key)) return;
  reply(cb, ud, STORE_OK, NULL, 0, e ? (int64_t)e->count : 0, NULL);
}

static void mem_sync(store *s, store_cb cb, void *ud) { reply(cb, ud, STORE_OK, NULL, 0, 0, NULL); }

static void mem_destroy(store *s) {
  mem_store *m = (mem_store *)s;
  for (size_t i = 0; i < m->nbuckets; i++) {
    mem_entry *e = m->buckets[i];
    while (e) {
      mem_entry *next = e->next;
      mem_entry_free(e);
      e = next;
    }
  }
  free(m->buckets);
  free(m);
}

/* ---- sets: a small unique array (the set of unfinished jobs stays small); membership
 * tests are linear. */

static mem_entry *mem_set_entry(mem_store *m, const char *key, int create, store_cb cb, void *ud) {
  mem_entry *e = mem_find(m, key);
  if (e && e->kind != MEM_SET) {
    reply(cb, ud, STORE_ERROR, NULL, 0, 0, "WRONGTYPE: key does not hold a set");
    return NULL;
  }
  if (!e && create) e = mem_create(m, key, MEM_SET);
  return e;
}

static size_t mem_set_index(const mem_entry *e, const char *member, size_t len) {
  for (size_t i = 0; i < e->count; i++) {
    const mem_item *it = &e->items[e->head + i];
    if (it->len == len && memcmp(it->data, member, len) == 0) return i;
  }
  return SIZE_MAX;
}

static int mem_wrongtype(mem_store *m, const char *key, int kind) {
  mem_entry *e = mem_find(m, key);
  return e && e->kind != kind;
}

static void mem_sadd(store *s, const char *key, const char *member, store_cb cb, void *ud) {
  mem_store *m = (mem_store *)s;
  if (mem_wrongtype(m, key, MEM_SET)) {
    mem_set_entry(m, key, 0, cb, ud);
    return;
  }
  mem_entry *e = mem_set_entry(m, key, 1, cb, ud);
  size_t len = strlen(member);
  if (mem_set_index(e, member, len) != SIZE_MAX) {
    reply(cb, ud, STORE_OK, NULL, 0, 0, NULL);
    return;
  }
  append_item(e, member, len);
  reply(cb, ud, STORE_OK, NULL, 0, 1, NULL);
}

static void mem_srem(store *s, const char *key, const char *member, store_cb cb, void *ud) {
  mem_store *m = (mem_store *)s;
  if (mem_wrongtype(m, key, MEM_SET)) {
    mem_set_entry(m, key, 0, cb, ud);
    return;
  }
  mem_entry *e = mem_set_entry(m, key, 0, cb, ud);
  size_t i = e ? mem_set_index(e, member, strlen(member)) : SIZE_MAX;
  if (i == SIZE_MAX) {
    reply(cb, ud, STORE_OK, NULL, 0, 0, NULL);
    return;
  }
  mem_item *it = &e->items[e->head + i];
  free(it->data);
  memmove(it, it + 1, (e->count - i - 1) * sizeof *it);
  e->count--;
  mem_list_gc(m, e); /* Redis deletes an empty set too */
  reply(cb, ud, STORE_OK, NULL, 0, 1, NULL);
}

static void mem_smembers(store *s, const char *key, store_cb cb, void *ud) {
  mem_store *m = (mem_store *)s;
  if (mem_wrongtype(m, key, MEM_SET)) {
    mem_set_entry(m, key, 0, cb, ud);
    return;
  }
  mem_entry *e = mem_set_entry(m, key, 0, cb, ud);
  size_t n = e ? e->count : 0;
  const char **vals = al_xcalloc(n ? n : 1, sizeof *vals);
  size_t *lens = al_xcalloc(n ? n : 1, sizeof *lens);
  for (size_t i = 0; i < n; i++) {
    vals[i] = e->items[e->head + i].data;
    lens[i] = e->items[e->head + i].len;
  }
  if (cb) {
    store_reply r = {STORE_OK, NULL, 0, (int64_t)n, NULL, vals, lens, n};
    cb(ud, &r);
  }
  free(vals);
  free(lens);
}

static void mem_expire(store *s, const char *key, double ttl_s, store_cb cb, void *ud) {
  mem_store *m = (mem_store *)s;
  mem_entry *e = mem_find(m, key);
  if (!e) {
    reply(cb, ud, STORE_OK, NULL, 0, 0, NULL);
    return;
  }
  if (ttl_s <= 0) { /* as Redis: a non-positive TTL deletes the key */
    mem_remove(m, key);
  } else {
    e->expires = mem_now(m) + ttl_s;
  }
  reply(cb, ud, STORE_OK, NULL, 0, 1, NULL);
}

static int mem_writable(store *s) {
  (void)s;
  return 1;
}

static const store_ops mem_ops = {"memory",  mem_set,      mem_get,    mem_del,     mem_exists,
                                  mem_rpush, mem_lpop,     mem_lrem,   mem_llen,    mem_sync,
                                  mem_destroy, mem_sadd,   mem_srem,   mem_smembers, mem_expire,
                                  mem_writable};

store *store_memory_new(double (*clock)(void *ud), void *clock_ud) {
  mem_store *m = al_xcalloc(1, sizeof *m);
  m->base.ops = &mem_ops;
  m->clock = clock;
  m->clock_ud = clock_ud;
  m->nbuckets = 64;
  m->buckets = al_xcalloc(m->nbuckets, sizeof *m->buckets);
  return &m->base;
}

size_t store_memory_key_count(store *s) {
  mem_store *m = (mem_store *)s;
  size_t n = 0;
  double now = mem_now(m);
  for (size_t i = 0; i < m->nbuckets; i++)
    for (mem_entry *e = m->buckets[i]; e; e = e->next)
      if (!(e->expires > 0 && now >= e->expires)) n++;
  return n;
}

size_t store_memory_list_len(store *s, const char *key) {
  mem_store *m = (mem_store *)s;
  mem_entry *e = mem_find(m, key);
  return e && e->kind == MEM_LIST ? e->count : 0;
}
