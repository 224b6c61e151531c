/* Byte-level BPE of one pre-tokenized piece: the pair of adjacent symbols with the
 * lowest merge rank is merged first, the leftmost of equal ranks (the order of both
 * Hugging Face tokenizers' priority queue and tiktoken's scan). A binary heap of
 * candidate pairs with lazy invalidation keeps a piece of n bytes O(n log n), so a
 * 10 MB piece without spaces stays linear in practice. */
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_hf.h"
#include "tokenize/tok_hf_enc.h"

typedef struct {
  int32_t rank;
  int32_t pos;
} hent;

static inline bool less(hent a, hent b) { return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos); }

static void heap_push(hent *h, size_t *n, hent x) {
  size_t i = (*n)++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!less(x, h[p])) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = x;
}

static hent heap_pop(hent *h, size_t *n) {
  hent top = h[0], x = h[--*n];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= *n) break;
    if (c + 1 < *n && less(h[c + 1], h[c])) c++;
    if (!less(h[c], x)) break;
    h[i] = h[c];
    i = c;
  }
  if (*n) h[i] = x;
  return top;
}

static inline const struct tok_pair_slot *pair_of(const struct tok_hf *h, int32_t l, int32_t r) {
  if (l < 0 || r < 0) return NULL;
  return tok_pairmap_get(&h->pairs, l, r);
}

static void reserve(tok_hf_enc *e, size_t n) {
  if (n <= e->bpe_cap) return;
  size_t c = e->bpe_cap ? e->bpe_cap : 64;
  while (c < n) c *= 2;
  free(e->sym);
  free(e->nxt);
  free(e->prv);
  free(e->heap);
  e->sym = al_xmalloc(c * sizeof *e->sym);
  e->nxt = al_xmalloc(c * sizeof *e->nxt);
  e->prv = al_xmalloc(c * sizeof *e->prv);
  /* n - 1 first pairs, then at most two per merge and n - 1 merges */
  e->heap = al_xmalloc(3 * c * sizeof(hent));
  e->bpe_cap = c;
}

/* A byte without a token of its own: "<0xXX>" with byte_fallback, else unk, else
 * nothing (-1). */
static int32_t unknown_byte(const struct tok_hf *h, unsigned b) {
  if (h->byte_fallback_id[b] >= 0) return h->byte_fallback_id[b];
  return h->unk_id;
}

static void merge_piece(tok_hf_enc *e, const unsigned char *p, size_t n, al_tok_ids *out);

/* al_tok_ids_append without a call when there is room: a piece gives one to a few ids. */
static inline void append_ids(al_tok_ids *out, const int32_t *v, size_t n) {
  if (n == 0) return;
  if (n > out->cap - out->len) {
    al_tok_ids_append(out, v, n, 0);
    return;
  }
  int32_t *d = out->v + out->len;
  for (size_t i = 0; i < n; i++) d[i] = v[i];
  out->len += n;
}

/* The ids of a piece come from the first cache level, else the second, else merging. */
void tok_hf_bpe_piece(tok_hf_enc *e, const unsigned char *p, size_t n, al_tok_ids *out) {
  if (n == 0) return;
  if (n > TOK_HF_STORE_KEY) { /* never cached */
    merge_piece(e, p, n, out);
    return;
  }
  uint64_t hv = tok_hash_bytes(p, n);
  tok_hf_cache_line *set = NULL;
  if (n <= TOK_HF_CACHE_KEY) {
    set = &e->cache[(hv & (TOK_HF_CACHE_SETS - 1)) * TOK_HF_CACHE_WAYS];
    for (int w = 0; w < TOK_HF_CACHE_WAYS; w++) {
      tok_hf_cache_line *c = &set[w];
      if (c->hash == hv && c->klen == n && tok_key_equal(c->key, (const char *)p, n)) {
        append_ids(out, c->ids, c->nids);
        if (w > 0) { /* a hit moves one way up, so frequent pieces stay */
          tok_hf_cache_line t = set[w - 1];
          set[w - 1] = *c;
          *c = t;
        }
        return;
      }
    }
  }
  size_t before = out->len, stored_n;
  const int32_t *stored = tok_hf_store_get(&e->store, hv, p, n, &stored_n);
  if (stored) {
    append_ids(out, stored, stored_n);
  } else {
    merge_piece(e, p, n, out);
    tok_hf_store_put(&e->store, hv, p, n, out->len > before ? out->v + before : NULL /* v may be NULL */,
                     out->len - before);
  }
  size_t got = out->len - before;
  if (set && got <= TOK_HF_CACHE_IDS) { /* a new piece enters at the top, the last way leaves */
    memmove(&set[1], &set[0], (TOK_HF_CACHE_WAYS - 1) * sizeof *set);
    tok_hf_cache_line *c = &set[0];
    c->hash = hv;
    c->klen = (uint8_t)n;
    c->nids = (uint8_t)got;
    memcpy(c->key, p, n);
    if (got) memcpy(c->ids, out->v + before, got * sizeof *out->v); /* out->v may be NULL */
  }
}

static void merge_piece(tok_hf_enc *e, const unsigned char *p, size_t n, al_tok_ids *out) {
  const struct tok_hf *h = e->h;
  if (h->whole_piece_first || n == 1) {
    const int32_t *v = tok_strmap_get(&h->vocab, (const char *)p, n);
    if (v) {
      al_tok_ids_push(out, *v);
      return;
    }
  }
  reserve(e, n);
  int32_t *sym = e->sym, *nxt = e->nxt, *prv = e->prv;
  hent *heap = e->heap;
  size_t hn = 0;
  for (size_t i = 0; i < n; i++) {
    int32_t id = h->byte_id[p[i]];
    sym[i] = id >= 0 ? id : -2 - (int32_t)p[i]; /* -2-b: an unknown byte, never merges */
    nxt[i] = i + 1 < n ? (int32_t)i + 1 : -1;
  }
  for (size_t i = 0; i + 1 < n; i++) {
    const struct tok_pair_slot *s = pair_of(h, sym[i], sym[i + 1]);
    if (s) heap_push(heap, &hn, (hent){s->rank, (int32_t)i});
  }
  for (size_t i = 0; i < n; i++) prv[i] = (int32_t)i - 1;
  while (hn) {
    hent top = heap_pop(heap, &hn);
    int32_t a = top.pos;
    if (sym[a] == -1) continue; /* merged away */
    int32_t b = nxt[a];
    if (b < 0) continue;
    const struct tok_pair_slot *s = pair_of(h, sym[a], sym[b]);
    if (!s || s->rank != top.rank) continue; /* stale */
    sym[a] = s->result;
    sym[b] = -1;
    nxt[a] = nxt[b];
    if (nxt[b] >= 0) prv[nxt[b]] = a;
    if (prv[a] >= 0) {
      const struct tok_pair_slot *l = pair_of(h, sym[prv[a]], sym[a]);
      if (l) heap_push(heap, &hn, (hent){l->rank, prv[a]});
    }
    if (nxt[a] >= 0) {
      const struct tok_pair_slot *r = pair_of(h, sym[a], sym[nxt[a]]);
      if (r) heap_push(heap, &hn, (hent){r->rank, a});
    }
  }
  for (int32_t i = 0; i >= 0; i = nxt[i]) {
    int32_t id = sym[i];
    if (id <= -2) id = unknown_byte(h, (unsigned)(-2 - id));
    if (id >= 0) al_tok_ids_push(out, id);
  }
}
