/* String-keyed hash map with chaining; doubles its bucket array at load factor 1. */
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "coord/coord_map.h"

struct coord_map_entry {
  coord_map_entry *next;
  size_t hash, klen;
  char *key;
  void *val;
};

static size_t map_hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return (size_t)h;
}

void coord_map_init(coord_map *m) {
  m->nbuckets = 16;
  m->count = 0;
  m->buckets = al_xcalloc(m->nbuckets, sizeof *m->buckets);
}

void coord_map_free(coord_map *m) {
  for (size_t i = 0; i < m->nbuckets; i++) {
    coord_map_entry *e = m->buckets[i];
    while (e) {
      coord_map_entry *n = e->next;
      free(e->key);
      free(e);
      e = n;
    }
  }
  free(m->buckets);
  m->buckets = NULL;
  m->nbuckets = m->count = 0;
}

static coord_map_entry **map_slot(const coord_map *m, const char *key, size_t klen, size_t h) {
  coord_map_entry **pp = &m->buckets[h & (m->nbuckets - 1)];
  for (; *pp; pp = &(*pp)->next)
    if ((*pp)->hash == h && (*pp)->klen == klen && memcmp((*pp)->key, key, klen) == 0) break;
  return pp;
}

void *coord_map_get(const coord_map *m, const char *key, size_t klen) {
  coord_map_entry **pp = map_slot(m, key, klen, map_hash(key, klen));
  return *pp ? (*pp)->val : NULL;
}

static void map_grow(coord_map *m) {
  size_t nb = m->nbuckets * 2;
  coord_map_entry **b = al_xcalloc(nb, sizeof *b);
  for (size_t i = 0; i < m->nbuckets; i++) {
    coord_map_entry *e = m->buckets[i];
    while (e) {
      coord_map_entry *n = e->next;
      e->next = b[e->hash & (nb - 1)];
      b[e->hash & (nb - 1)] = e;
      e = n;
    }
  }
  free(m->buckets);
  m->buckets = b;
  m->nbuckets = nb;
}

void coord_map_put(coord_map *m, const char *key, void *val) {
  size_t klen = strlen(key), h = map_hash(key, klen);
  coord_map_entry **pp = map_slot(m, key, klen, h);
  if (*pp) {
    (*pp)->val = val;
    return;
  }
  if (m->count + 1 > m->nbuckets) {
    map_grow(m);
    pp = map_slot(m, key, klen, h);
  }
  coord_map_entry *e = al_xcalloc(1, sizeof *e);
  e->hash = h;
  e->klen = klen;
  e->key = al_xstrndup(key, klen);
  e->val = val;
  *pp = e;
  m->count++;
}

void *coord_map_del(coord_map *m, const char *key) {
  size_t klen = strlen(key);
  coord_map_entry **pp = map_slot(m, key, klen, map_hash(key, klen));
  if (!*pp) return NULL;
  coord_map_entry *e = *pp;
  void *v = e->val;
  *pp = e->next;
  free(e->key);
  free(e);
  m->count--;
  return v;
}
