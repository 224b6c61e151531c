/* The model shared by tokenizer.json and rank-file tokenizers: token bytes per id,
 * the vocabulary map, merge pairs, and the freeing of it all. */
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_hf.h"

void tok_hf_ids_init(struct tok_hf *h, size_t n_ids) {
  h->n_ids = n_ids;
  h->id_bytes = al_xcalloc(n_ids ? n_ids : 1, sizeof *h->id_bytes);
  h->id_len = al_xcalloc(n_ids ? n_ids : 1, sizeof *h->id_len);
  h->id_special = al_xcalloc(n_ids ? n_ids : 1, sizeof *h->id_special);
  for (int b = 0; b < 256; b++) h->byte_id[b] = h->byte_fallback_id[b] = -1;
  h->unk_id = h->bos = h->eos = h->code = h->code_end = -1;
}

int tok_hf_set_id(struct tok_hf *h, int32_t id, const char *bytes, size_t n, bool special) {
  if (id < 0 || (size_t)id >= h->n_ids) return -1;
  free(h->id_bytes[id]);
  h->id_bytes[id] = al_xmalloc(n + 1); /* tokens may hold NUL bytes */
  memcpy(h->id_bytes[id], bytes, n);
  h->id_bytes[id][n] = 0;
  h->id_len[id] = (uint32_t)n;
  h->id_special[id] = special;
  return 0;
}

/* tiktoken merges: two adjacent parts merge when their concatenation is a token, with
 * that token's rank. Every such pair is found by splitting each token in two. */
void tok_hf_pairs_from_ranks(struct tok_hf *h) {
  tok_pairmap_init(&h->pairs, h->vocab.count * 2);
  for (size_t s = 0; s < h->vocab.cap; s++) {
    const struct tok_strmap_slot *sl = &h->vocab.slots[s];
    if (!sl->key || sl->klen < 2) continue;
    for (uint32_t k = 1; k < sl->klen; k++) {
      const int32_t *a = tok_strmap_get(&h->vocab, sl->key, k);
      const int32_t *b = a ? tok_strmap_get(&h->vocab, sl->key + k, sl->klen - k) : NULL;
      if (b) tok_pairmap_put(&h->pairs, *a, *b, sl->val, sl->val);
    }
  }
}

void tok_hf_finish(struct tok_hf *h) {
  for (int b = 0; b < 256; b++) {
    char c = (char)b;
    const int32_t *v = tok_strmap_get(&h->vocab, &c, 1);
    h->byte_id[b] = v ? *v : -1;
  }
  for (size_t i = 0; i < h->n_added; i++) {
    const tok_hf_added *a = &h->added[i];
    const unsigned char *c = (const unsigned char *)a->content;
    h->added_first[a->normalized][c[0]] = true;
    if (a->len == 1) {
      h->added_one[a->normalized] = true;
    } else {
      unsigned k = (unsigned)c[0] << 8 | c[1];
      h->added_pair[a->normalized][k >> 6] |= (uint64_t)1 << (k & 63);
    }
  }
  for (int norm = 0; norm < 2; norm++) {
    int only = -1, count = 0;
    for (int b = 0; b < 256; b++)
      if (h->added_first[norm][b]) { only = b; count++; }
    h->added_first_only[norm] = count == 1 ? only : -1;
  }
}

void tok_hf_free(struct tok_hf *h) {
  if (!h) return;
  for (size_t i = 0; i < h->n_ids; i++) free(h->id_bytes[i]);
  free(h->id_bytes);
  free(h->id_len);
  free(h->id_special);
  tok_strmap_free(&h->vocab);
  tok_pairmap_free(&h->pairs);
  for (int i = 0; i < h->n_stages; i++) tok_pretok_free(h->stages[i].pat);
  for (size_t i = 0; i < h->n_added; i++) free(h->added[i].content);
  free(h->added);
  free(h->tmpl_pre);
  free(h->tmpl_post);
  free(h);
}
