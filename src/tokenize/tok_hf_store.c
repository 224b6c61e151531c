/* Second-level piece cache of byte-level BPE encoders (tok_hf_store.h): open addressing
 * with linear probing over TOK_HF_STORE_SLOTS slots, the pieces' ids and bytes in one
 * arena. */
#include "tokenize/tok_hf_store.h"

#include <stdlib.h>
#include <string.h>

#include "common/al.h"

#define MAX_USED (TOK_HF_STORE_SLOTS / 4 * 3)

/* The first level indexes by the hash's low bits; the high bits spread this table. */
static inline size_t home(uint64_t hv) { return (size_t)(hv >> 40) & (TOK_HF_STORE_SLOTS - 1); }

void tok_hf_store_free(tok_hf_store *s) {
  free(s->slots);
  free(s->arena);
  memset(s, 0, sizeof *s);
}

const int32_t *tok_hf_store_get(const tok_hf_store *s, uint64_t hv, const unsigned char *p, size_t n,
                                size_t *nids) {
  if (!s->slots) return NULL;
  for (size_t i = home(hv);; i = (i + 1) & (TOK_HF_STORE_SLOTS - 1)) {
    const tok_hf_store_slot *sl = &s->slots[i];
    if (sl->klen == 0) return NULL;
    if (sl->hash != hv || sl->klen != n) continue;
    const unsigned char *at = s->arena + sl->off;
    if (memcmp(at + (size_t)sl->nids * sizeof(int32_t), p, n) != 0) continue;
    *nids = sl->nids;
    return (const int32_t *)(const void *)at;
  }
}

static void empty(tok_hf_store *s) {
  memset(s->slots, 0, TOK_HF_STORE_SLOTS * sizeof *s->slots);
  s->used = 0;
  s->arena_len = 0;
}

void tok_hf_store_put(tok_hf_store *s, uint64_t hv, const unsigned char *p, size_t n, const int32_t *ids,
                      size_t nids) {
  if (n == 0 || n > TOK_HF_STORE_KEY || nids > TOK_HF_STORE_IDS) return;
  /* ids first keeps them 4-byte aligned; each entry is padded to a multiple of 4 */
  size_t need = (nids * sizeof(int32_t) + n + 3) & ~(size_t)3;
  if (!s->slots) s->slots = al_xcalloc(TOK_HF_STORE_SLOTS, sizeof *s->slots);
  if (s->used >= MAX_USED || s->arena_len + need > TOK_HF_STORE_ARENA) empty(s);
  if (s->arena_len + need > s->arena_cap) {
    size_t c = s->arena_cap ? s->arena_cap : 64 * 1024;
    while (c < s->arena_len + need) c *= 2;
    if (c > TOK_HF_STORE_ARENA) c = TOK_HF_STORE_ARENA;
    s->arena = al_xrealloc(s->arena, c);
    s->arena_cap = c;
  }
  unsigned char *at = s->arena + s->arena_len;
  if (nids) memcpy(at, ids, nids * sizeof(int32_t));
  memcpy(at + nids * sizeof(int32_t), p, n);
  size_t i = home(hv);
  while (s->slots[i].klen != 0) i = (i + 1) & (TOK_HF_STORE_SLOTS - 1);
  s->slots[i] = (tok_hf_store_slot){hv, (uint32_t)s->arena_len, (uint16_t)n, (uint16_t)nids};
  s->arena_len += need;
  s->used++;
}
