/* BPE of one word on the linked representation: the merge algorithms for words the
 * compact path (tok_bpe16.c) does not take, the choice between them, and the emission of
 * a word's ids. */
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_internal.h"
#include "tokenize/tok_unicode.h"

#define TRIM_WORK 4096 /* symbols: longer words are rare */

void tok_merge_work_trim(tok_merge_work *wk) {
  if (wk->work_cap > TRIM_WORK) {
    free(wk->sym);
    free(wk->prev);
    free(wk->next);
    free(wk->off);
    free(wk->len);
    wk->sym = wk->prev = wk->next = NULL;
    wk->off = wk->len = NULL;
    wk->work_cap = 0;
  }
  if (wk->heap_cap > TRIM_WORK) {
    free(wk->heap);
    wk->heap = NULL;
    wk->heap_cap = wk->heap_len = 0;
  }
  free(wk->bucket); /* only very long words use these */
  free(wk->ent_pos);
  free(wk->ent_next);
  free(wk->batch);
  wk->bucket = wk->ent_pos = wk->ent_next = wk->batch = NULL;
  wk->ent_len = wk->ent_cap = wk->batch_cap = 0;
}

void tok_merge_work_free(tok_merge_work *wk) {
  free(wk->sym);
  free(wk->prev);
  free(wk->next);
  free(wk->off);
  free(wk->len);
  free(wk->heap);
  free(wk->bucket);
  free(wk->ent_pos);
  free(wk->ent_next);
  free(wk->batch);
  memset(wk, 0, sizeof *wk);
}

static void work_reserve(tok_merge_work *wk, size_t n) {
  if (n <= wk->work_cap) return;
  size_t c = wk->work_cap ? wk->work_cap : 64;
  while (c < n) c *= 2;
  wk->sym = al_xrealloc(wk->sym, c * sizeof *wk->sym);
  wk->prev = al_xrealloc(wk->prev, c * sizeof *wk->prev);
  wk->next = al_xrealloc(wk->next, c * sizeof *wk->next);
  wk->off = al_xrealloc(wk->off, c * sizeof *wk->off);
  wk->len = al_xrealloc(wk->len, c * sizeof *wk->len);
  wk->work_cap = c;
}

static inline bool heap_less(tok_heap_ent a, tok_heap_ent b) {
  return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos);
}

static void heap_push(tok_merge_work *wk, int32_t rank, int32_t pos) {
  if (wk->heap_len == wk->heap_cap) {
    wk->heap_cap = wk->heap_cap ? wk->heap_cap * 2 : 64;
    wk->heap = al_xrealloc(wk->heap, wk->heap_cap * sizeof *wk->heap);
  }
  size_t i = wk->heap_len++;
  tok_heap_ent x = {rank, pos};
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!heap_less(x, wk->heap[p])) break;
    wk->heap[i] = wk->heap[p];
    i = p;
  }
  wk->heap[i] = x;
}

static tok_heap_ent heap_pop(tok_merge_work *wk) {
  tok_heap_ent top = wk->heap[0];
  tok_heap_ent x = wk->heap[--wk->heap_len];
  size_t i = 0, n = wk->heap_len;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && heap_less(wk->heap[c + 1], wk->heap[c])) c++;
    if (!heap_less(wk->heap[c], x)) break;
    wk->heap[i] = wk->heap[c];
    i = c;
  }
  if (n) wk->heap[i] = x;
  return top;
}

static inline void push_pair(tok_merge_work *wk, int32_t pos) {
  int32_t nx = wk->next[pos];
  if (nx < 0 || wk->sym[pos] < 0 || wk->sym[nx] < 0) return;
  int32_t res = 0;
  int32_t rank = tok_pair_rank(wk->t, wk->sym[pos], wk->sym[nx], &res);
  if (rank >= 0) heap_push(wk, rank, pos);
}

static inline void merge_at(tok_merge_work *wk, int32_t pos, int32_t result) {
  int32_t nx = wk->next[pos];
  wk->sym[pos] = result;
  wk->len[pos] += wk->len[nx];
  wk->next[pos] = wk->next[nx];
  if (wk->next[nx] >= 0) wk->prev[wk->next[nx]] = pos;
  wk->next[nx] = -2; /* dead */
}

/* Lowest rank first, leftmost first among equal ranks: equal to rule-by-rule
 * application when the merge list passed check_rank_order. O(n log n). */
static void merge_ranked(tok_merge_work *wk, size_t n) {
  wk->heap_len = 0;
  for (size_t i = 0; i + 1 < n; i++) push_pair(wk, (int32_t)i);
  while (wk->heap_len) {
    tok_heap_ent h = heap_pop(wk);
    int32_t pos = h.pos;
    int32_t nx = wk->next[pos];
    if (nx < 0) continue; /* dead or last */
    if (wk->sym[pos] < 0 || wk->sym[nx] < 0) continue;
    int32_t res = 0;
    int32_t rank = tok_pair_rank(wk->t, wk->sym[pos], wk->sym[nx], &res);
    if (rank != h.rank) continue; /* stale */
    merge_at(wk, pos, res);
    if (wk->prev[pos] >= 0) push_pair(wk, wk->prev[pos]);
    push_pair(wk, pos);
  }
}

/* Short words: the rank of the pair starting at each position lives in a fixed array
 * (dead positions hold INT32_MAX), so the lowest-ranked pair is found by a branch-free
 * scan of contiguous memory, and the links give the two neighbours to update after a
 * merge. Leftmost on ties, two lookups per merge: the same order as merge_ranked. */
#define SHORT_WORD TOK_SHORT_WORD
static inline int32_t pair_rank_or_max(const struct al_tok_bpe *t, int32_t l, int32_t r,
                                       int32_t *res) {
  if (l < 0 || r < 0) return INT32_MAX;
  int32_t k = tok_pair_rank(t, l, r, res);
  return k >= 0 ? k : INT32_MAX;
}

static void merge_ranked_short(tok_merge_work *wk, size_t m) {
  const struct al_tok_bpe *t = wk->t;
  int32_t *sym = wk->sym, *next = wk->next, *prev = wk->prev;
  int32_t rank[SHORT_WORD], res[SHORT_WORD];
  size_t np = m - 1; /* positions that can start a pair */
  for (size_t i = 0; i < np; i++) rank[i] = pair_rank_or_max(t, sym[i], sym[i + 1], &res[i]);
  for (;;) {
    int32_t br = INT32_MAX;
    size_t b = 0;
    for (size_t i = 0; i < np; i++) {
      int32_t r = rank[i];
      bool lt = r < br;
      br = lt ? r : br;
      b = lt ? i : b;
    }
    if (br == INT32_MAX) break;
    int32_t nx = next[b];
    merge_at(wk, (int32_t)b, res[b]);
    if ((size_t)nx < np) rank[nx] = INT32_MAX;
    int32_t after = next[b];
    rank[b] = after >= 0 ? pair_rank_or_max(t, sym[b], sym[after], &res[b]) : INT32_MAX;
    int32_t pv = prev[b];
    if (pv >= 0) rank[pv] = pair_rank_or_max(t, sym[pv], sym[b], &res[pv]);
  }
}

/* Very long words (a file without spaces): ranks are processed in increasing order
 * with one bucket per rank, which is O(n + depth). Valid because, when the merge list
 * passed check_rank_order, every pair a merge creates has a higher rank than the merge
 * itself, so no bucket is refilled after its turn. Positions of one rank are merged left
 * to right (needed when both parts are the same symbol: "a a a" -> "aa a"). */
#define BUCKET_WORD 4096
static void bucket_push(tok_merge_work *wk, int32_t pos) {
  int32_t nx = wk->next[pos];
  if (nx < 0 || wk->sym[pos] < 0 || wk->sym[nx] < 0) return;
  int32_t res = 0;
  int32_t rank = tok_pair_rank(wk->t, wk->sym[pos], wk->sym[nx], &res);
  if (rank < 0) return;
  if (wk->ent_len == wk->ent_cap) {
    wk->ent_cap = wk->ent_cap ? wk->ent_cap * 2 : 4096;
    wk->ent_pos = al_xrealloc(wk->ent_pos, wk->ent_cap * sizeof *wk->ent_pos);
    wk->ent_next = al_xrealloc(wk->ent_next, wk->ent_cap * sizeof *wk->ent_next);
  }
  wk->ent_pos[wk->ent_len] = pos;
  wk->ent_next[wk->ent_len] = wk->bucket[rank];
  wk->bucket[rank] = (int32_t)wk->ent_len++;
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

static void merge_ranked_buckets(tok_merge_work *wk, size_t n) {
  const struct al_tok_bpe *t = wk->t;
  wk->bucket = al_xrealloc(wk->bucket, (t->depth ? t->depth : 1) * sizeof *wk->bucket);
  for (size_t r = 0; r < t->depth; r++) wk->bucket[r] = -1;
  wk->ent_len = 0;
  for (size_t i = 0; i + 1 < n; i++) bucket_push(wk, (int32_t)i);
  for (size_t r = 0; r < t->depth; r++) {
    if (wk->bucket[r] < 0) continue;
    size_t cnt = 0;
    for (int32_t x = wk->bucket[r]; x >= 0; x = wk->ent_next[x]) {
      if (cnt == wk->batch_cap) {
        wk->batch_cap = wk->batch_cap ? wk->batch_cap * 2 : 1024;
        wk->batch = al_xrealloc(wk->batch, wk->batch_cap * sizeof *wk->batch);
      }
      wk->batch[cnt++] = wk->ent_pos[x];
    }
    const tok_merge *m = &t->merges[r];
    if (m->left == m->right) qsort(wk->batch, cnt, sizeof *wk->batch, cmp_i32);
    for (size_t k = 0; k < cnt; k++) {
      int32_t pos = wk->batch[k];
      int32_t nx = wk->next[pos];
      if (nx < 0 || wk->sym[pos] != m->left || wk->sym[nx] != m->right) continue; /* stale */
      merge_at(wk, pos, m->result);
      if (wk->prev[pos] >= 0) bucket_push(wk, wk->prev[pos]);
      bucket_push(wk, pos);
    }
  }
}

/* The original's literal algorithm: rule 1 across the word, then rule 2, ... */
static void merge_sequential(tok_merge_work *wk) {
  const struct al_tok_bpe *t = wk->t;
  for (size_t k = 0; k < t->depth; k++) {
    const tok_merge *m = &t->merges[k];
    for (int32_t i = 0; i >= 0 && wk->next[i] >= 0;) {
      int32_t nx = wk->next[i];
      if (wk->sym[i] == m->left && wk->sym[nx] == m->right) {
        merge_at(wk, i, m->result);
        i = wk->next[i];
      } else {
        i = nx;
      }
    }
  }
}

static void emit_chars(const struct al_tok_bpe *t, const char *s, size_t n, al_tok_ids *out) {
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    size_t l = tok_utf8_next((const unsigned char *)s + i, &cp);
    const int32_t *v = tok_strmap_get(&t->vocab, s + i, l);
    if (v) {
      al_tok_ids_push(out, *v);
    } else {
      for (size_t k = 0; k < l; k++) al_tok_ids_push(out, TOK_BYTE_OFFSET + (unsigned char)s[i + k]);
    }
    i += l;
  }
}

/* The ids of one symbol after merging: its vocabulary id, else its characters (the
 * symbol's string, or for a character unknown to the merges the word's own bytes). */
void tok_emit_symbol(const struct al_tok_bpe *t, int32_t s, const char *own, size_t own_len,
                     al_tok_ids *out) {
  if (s >= 0 && t->sym_vocab[s] >= 0) al_tok_ids_push(out, t->sym_vocab[s]);
  else if (s >= 0) emit_chars(t, t->sym_str[s], t->sym_len[s], out);
  else emit_chars(t, own, own_len, out);
}

/* BPE of one word w[0..n) (already normalised); appends ids to out. */
void tok_bpe_word(const struct al_tok_bpe *t, tok_merge_work *wk, const char *w, size_t n,
                  al_tok_ids *out) {
  wk->t = t;
  if (tok_bpe16_usable(t) && tok_bpe16_word(t, w, n, out)) return;
  work_reserve(wk, n + 1);
  size_t m = 0, i = 0;
  while (i < n) {
    size_t l;
    wk->sym[m] = tok_char_symbol(t, w, i, &l);
    wk->off[m] = (uint32_t)i;
    wk->len[m] = (uint32_t)l;
    m++;
    i += l;
  }
  wk->sym[m] = t->word_end_sym;
  wk->off[m] = (uint32_t)n;
  wk->len[m] = 0;
  m++;
  for (size_t k = 0; k < m; k++) {
    wk->prev[k] = (int32_t)k - 1;
    wk->next[k] = k + 1 < m ? (int32_t)k + 1 : -1;
  }
  if (t->depth) {
    if (t->rank_ok && m <= SHORT_WORD) merge_ranked_short(wk, m);
    else if (t->rank_ok && m >= BUCKET_WORD && m >= t->depth / 4) merge_ranked_buckets(wk, m);
    else if (t->rank_ok) merge_ranked(wk, m);
    else merge_sequential(wk);
  }
  for (int32_t k = 0; k >= 0; k = wk->next[k])
    tok_emit_symbol(t, wk->sym[k], w + wk->off[k], wk->len[k], out);
}

