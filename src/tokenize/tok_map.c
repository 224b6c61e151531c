/* Hash maps used by the tokenizer: string -> int and symbol pair -> merge. */
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_internal.h"

static size_t pow2_at_least(size_t n) {
  size_t c = 16;
  while (c < n) c <<= 1;
  return c;
}

void tok_strmap_init(tok_strmap *m, size_t cap_hint) {
  m->cap = pow2_at_least(cap_hint * 2);
  m->count = 0;
  m->slots = al_xcalloc(m->cap, sizeof *m->slots);
}

void tok_strmap_free(tok_strmap *m) {
  if (!m->slots) return;
  for (size_t i = 0; i < m->cap; i++) free(m->slots[i].key);
  free(m->slots);
  m->slots = NULL;
  m->cap = m->count = 0;
}

int32_t *tok_strmap_get(const tok_strmap *m, const char *key, size_t klen) {
  uint64_t h = tok_hash_bytes(key, klen);
  size_t mask = m->cap - 1;
  for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
    struct tok_strmap_slot *s = &m->slots[i];
    if (!s->key) return NULL;
    if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0) return &s->val;
  }
}

static void strmap_grow(tok_strmap *m) {
  struct tok_strmap_slot *old = m->slots;
  size_t oldcap = m->cap;
  m->cap *= 2;
  m->slots = al_xcalloc(m->cap, sizeof *m->slots);
  size_t mask = m->cap - 1;
  for (size_t i = 0; i < oldcap; i++) {
    if (!old[i].key) continue;
    size_t j = (size_t)old[i].hash & mask;
    while (m->slots[j].key) j = (j + 1) & mask;
    m->slots[j] = old[i];
  }
  free(old);
}

bool tok_strmap_put(tok_strmap *m, const char *key, size_t klen, int32_t val) {
  int32_t *v = tok_strmap_get(m, key, klen);
  if (v) { *v = val; return false; }
  if ((m->count + 1) * 2 > m->cap) strmap_grow(m);
  uint64_t h = tok_hash_bytes(key, klen);
  size_t mask = m->cap - 1;
  size_t i = (size_t)h & mask;
  while (m->slots[i].key) i = (i + 1) & mask;
  char *k = al_xmalloc(klen + 1);
  memcpy(k, key, klen);
  k[klen] = 0;
  m->slots[i].key = k;
  m->slots[i].klen = (uint32_t)klen;
  m->slots[i].val = val;
  m->slots[i].hash = h;
  m->count++;
  return true;
}

static inline uint64_t pair_key(int32_t l, int32_t r) {
  return (((uint64_t)(uint32_t)l << 32) | (uint32_t)r) + 1;
}
static inline size_t pair_hash(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  return (size_t)k;
}

void tok_pairmap_init(tok_pairmap *m, size_t cap_hint) {
  m->cap = pow2_at_least(cap_hint * 2);
  m->count = 0;
  m->slots = al_xcalloc(m->cap, sizeof *m->slots);
}

void tok_pairmap_free(tok_pairmap *m) {
  free(m->slots);
  m->slots = NULL;
  m->cap = m->count = 0;
}

const struct tok_pair_slot *tok_pairmap_get(const tok_pairmap *m, int32_t l, int32_t r) {
  uint64_t k = pair_key(l, r);
  size_t mask = m->cap - 1;
  for (size_t i = pair_hash(k) & mask;; i = (i + 1) & mask) {
    if (m->slots[i].key == k) return &m->slots[i];
    if (!m->slots[i].key) return NULL;
  }
}

bool tok_pairmap_put(tok_pairmap *m, int32_t l, int32_t r, int32_t rank, int32_t result) {
  if (tok_pairmap_get(m, l, r)) return false;
  if ((m->count + 1) * 2 > m->cap) {
    struct tok_pair_slot *old = m->slots;
    size_t oldcap = m->cap;
    m->cap *= 2;
    m->slots = al_xcalloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < oldcap; i++) {
      if (!old[i].key) continue;
      size_t j = pair_hash(old[i].key) & (m->cap - 1);
      while (m->slots[j].key) j = (j + 1) & (m->cap - 1);
      m->slots[j] = old[i];
    }
    free(old);
  }
  uint64_t k = pair_key(l, r);
  size_t i = pair_hash(k) & (m->cap - 1);
  while (m->slots[i].key) i = (i + 1) & (m->cap - 1);
  m->slots[i].key = k;
  m->slots[i].rank = rank;
  m->slots[i].result = result;
  m->count++;
  return true;
}
