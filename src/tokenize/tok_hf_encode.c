/* encode/decode of byte-level BPE tokenizers, in the order of the reference library:
 * added tokens cut the text first (those not normalized on the raw text, the others on
 * the normalized text), then each segment is normalized, pre-tokenized stage by stage
 * and merged piece by piece; the template adds its special tokens last. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenize/tok_hf.h"
#include "tokenize/tok_hf_enc.h"
#include "tokenize/tok_unicode.h"

tok_hf_enc *tok_hf_enc_new(const struct tok_hf *h) {
  tok_hf_enc *e = al_xcalloc(1, sizeof *e);
  e->h = h;
  /* 64-byte aligned lines on huge pages: the lookups are random */
  e->cache = tok_table_alloc(TOK_HF_CACHE_LINES * sizeof *e->cache, true, "the piece cache");
  for (int i = 0; i < h->n_stages; i++)
    if (h->stages[i].pat) e->md[i] = tok_pretok_md_new(h->stages[i].pat);
  return e;
}

static void free_work(tok_hf_enc *e) {
  for (int i = 0; i < TOK_HF_MAX_STAGES; i++) {
    al_buf_free(&e->prefixed[i]);
    al_buf_free(&e->spans[i]);
  }
  al_buf_free(&e->valid);
  al_buf_free(&e->norm);
  free(e->sym);
  free(e->nxt);
  free(e->prv);
  free(e->heap);
  e->sym = e->nxt = e->prv = NULL;
  e->heap = NULL;
  e->bpe_cap = 0;
}

void tok_hf_enc_free(tok_hf_enc *e) {
  if (!e) return;
  for (int i = 0; i < TOK_HF_MAX_STAGES; i++) tok_pretok_md_free(e->md[i]);
  free_work(e);
  tok_hf_store_free(&e->store);
  free(e->cache);
  free(e);
}

void tok_hf_enc_trim(tok_hf_enc *e) {
  if (e->bpe_cap > 4096 || e->valid.cap > (1u << 20) || e->norm.cap > (1u << 20)) free_work(e);
}

/* ---- pre-tokenizer stages and BPE --------------------------------------------------------- */
static void run_merging_split(tok_hf_enc *e, int k, const unsigned char *s, size_t n, al_tok_ids *out);

static void run_stage(tok_hf_enc *e, int k, const unsigned char *s, size_t n, al_tok_ids *out) {
  const struct tok_hf *h = e->h;
  if (n == 0) return;
  if (k == h->n_stages) {
    tok_hf_bpe_piece(e, s, n, out);
    return;
  }
  const tok_hf_stage *st = &h->stages[k];
  if (st->prefix_space && s[0] != ' ') {
    al_buf *b = &e->prefixed[k];
    b->len = 0;
    al_buf_append(b, " ", 1);
    al_buf_append(b, s, n);
    s = (const unsigned char *)b->data;
    n = b->len;
  }
  if (!st->pat) {
    run_stage(e, k + 1, s, n, out);
    return;
  }
  if (st->split != TOK_HF_SPLIT_ISOLATED && (st->split != TOK_HF_SPLIT_REMOVED || st->invert)) {
    run_merging_split(e, k, s, n, out);
    return;
  }
  bool removed = st->split == TOK_HF_SPLIT_REMOVED; /* Isolated keeps all, inverted or not */
  size_t pos = 0, ms, me;
  tok_pretok_scan_fn scan = tok_pretok_scanner(st->pat);
  if (scan && !removed && k + 1 == h->n_stages) { /* the common last stage: pieces straight to BPE */
    for (size_t p = 0, end; p < n; p = end) {
      end = scan(s, n, p);
      tok_hf_bpe_piece(e, s + p, end - p, out);
    }
    return;
  }
  while (tok_pretok_next(st->pat, e->md[k], s, n, pos, &ms, &me)) {
    if (ms > pos) run_stage(e, k + 1, s + pos, ms - pos, out);
    if (!removed) run_stage(e, k + 1, s + ms, me - ms, out);
    pos = me;
  }
  if (pos < n) run_stage(e, k + 1, s + pos, n - pos, out);
}

static void add_span(al_buf *b, size_t start, size_t end, bool match) {
  tok_hf_span sp = {start, end, match};
  al_buf_append(b, &sp, sizeof sp);
}

/* The Split behaviours that join spans (and Removed with invert): the pattern's matches
 * and the gaps between them, in order (with invert a gap counts as the match), are
 * folded into pieces as the library folds them, then each piece goes to the next stage. */
static void run_merging_split(tok_hf_enc *e, int k, const unsigned char *s, size_t n, al_tok_ids *out) {
  const tok_hf_stage *st = &e->h->stages[k];
  al_buf *b = &e->spans[k];
  b->len = 0;
  size_t pos = 0, ms, me;
  while (tok_pretok_next(st->pat, e->md[k], s, n, pos, &ms, &me)) {
    if (ms > pos) add_span(b, pos, ms, st->invert);
    add_span(b, ms, me, !st->invert);
    pos = me;
  }
  if (pos < n) add_span(b, pos, n, st->invert);
  tok_hf_span *v = (tok_hf_span *)(void *)b->data;
  size_t cnt = b->len / sizeof *v, first = 0, w = 0;
  bool prev = false; /* the span folded before this one was a match */
  switch (st->split) {
  case TOK_HF_SPLIT_REMOVED:
    for (size_t i = 0; i < cnt; i++)
      if (!v[i].match) v[w++] = v[i];
    break;
  case TOK_HF_SPLIT_MERGED_WITH_PREV:
    for (size_t i = 0; i < cnt; i++) {
      bool m = v[i].match;
      if (m && !prev && w > 0) v[w - 1].end = v[i].end;
      else v[w++] = v[i];
      prev = m;
    }
    break;
  case TOK_HF_SPLIT_CONTIGUOUS:
    for (size_t i = 0; i < cnt; i++) {
      bool m = v[i].match;
      if (m == prev && w > 0) v[w - 1].end = v[i].end;
      else v[w++] = v[i];
      prev = m;
    }
    break;
  case TOK_HF_SPLIT_MERGED_WITH_NEXT: /* folded from the end: pieces are v[first..cnt) */
    first = cnt;
    for (size_t i = cnt; i-- > 0;) {
      bool m = v[i].match;
      if (m && !prev && first < cnt) v[first].start = v[i].start;
      else v[--first] = v[i];
      prev = m;
    }
    w = cnt;
    break;
  default:
    w = cnt;
    break;
  }
  for (size_t i = first; i < w; i++) run_stage(e, k + 1, s + v[i].start, v[i].end - v[i].start, out);
}

/* Normalizes s[0..n) into e->norm when the tokenizer has a normalizer; returns the text
 * to use. */
static const unsigned char *normalize(tok_hf_enc *e, const unsigned char *s, size_t *n, al_err *err) {
  const struct tok_hf *h = e->h;
  if (h->norm == TOK_HF_NORM_NONE || *n == 0) return s;
  utf8proc_uint8_t *dst = NULL;
  int opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE | (h->norm == TOK_HF_NORM_NFKC ? UTF8PROC_COMPAT : 0);
  utf8proc_ssize_t r = utf8proc_map(s, (utf8proc_ssize_t)*n, &dst, (utf8proc_option_t)opts);
  if (r < 0) {
    al_err_set(err, AL_E_FAILED, "normalization failed: %s", utf8proc_errmsg(r));
    return NULL;
  }
  e->norm.len = 0;
  al_buf_append(&e->norm, dst, (size_t)r);
  free(dst);
  *n = (size_t)r;
  return (const unsigned char *)(e->norm.data ? e->norm.data : "");
}

/* ---- added tokens -------------------------------------------------------------------------- */
static bool is_word_at(const unsigned char *s, size_t n, size_t i, bool before) {
  if (before) {
    if (i == 0) return false;
    size_t j = i - 1;
    while (j > 0 && (s[j] & 0xc0) == 0x80) j--;
    i = j;
  } else if (i >= n) {
    return false;
  }
  uint32_t cp;
  tok_utf8_next(s + i, &cp);
  return cp == '_' || (tok_pretok_class(cp) & (TOK_PC_L | TOK_PC_N));
}

static size_t ws_back(const unsigned char *s, size_t from, size_t floor) {
  while (from > floor) {
    size_t j = from - 1;
    while (j > floor && (s[j] & 0xc0) == 0x80) j--;
    uint32_t cp;
    tok_utf8_next(s + j, &cp);
    if (!(tok_pretok_class(cp) & TOK_PC_WS)) break;
    from = j;
  }
  return from;
}
static size_t ws_fwd(const unsigned char *s, size_t n, size_t i) {
  while (i < n) {
    uint32_t cp;
    size_t l = tok_utf8_next(s + i, &cp);
    if (!(tok_pretok_class(cp) & TOK_PC_WS)) break;
    i += l;
  }
  return i;
}

/* The leftmost (then longest) added token of the given normalized-ness in s[pos..n):
 * returns its index or -1; *ms, *me are the bounds including stripped whitespace. */
static long find_added(const struct tok_hf *h, const unsigned char *s, size_t n, size_t pos,
                       bool normalized, size_t *ms, size_t *me) {
  const bool *first = h->added_first[normalized];
  const uint64_t *pair = h->added_pair[normalized];
  bool one = h->added_one[normalized];
  int only = h->added_first_only[normalized];
  for (size_t i = pos; i < n; i++) {
    if (only >= 0) { /* one first byte for all (Llama 3, GPT-2: '<'): memchr finds it */
      const unsigned char *f = memchr(s + i, only, n - i);
      if (!f) break;
      i = (size_t)(f - s);
    } else if (!first[s[i]]) {
      continue;
    }
    if (!one) {
      if (i + 1 >= n) break;
      unsigned k = (unsigned)s[i] << 8 | s[i + 1];
      if (!(pair[k >> 6] >> (k & 63) & 1)) continue;
    }
    long best = -1;
    size_t best_len = 0;
    for (size_t k = 0; k < h->n_added; k++) {
      const tok_hf_added *a = &h->added[k];
      if (a->normalized != normalized || a->len <= best_len || a->len > n - i) continue;
      if ((unsigned char)a->content[0] != s[i] || memcmp(a->content, s + i, a->len) != 0) continue;
      if (a->single_word && (is_word_at(s, n, i, true) || is_word_at(s, n, i + a->len, false))) continue;
      best = (long)k;
      best_len = a->len;
    }
    if (best >= 0) {
      const tok_hf_added *a = &h->added[best];
      *ms = a->lstrip ? ws_back(s, i, pos) : i;
      *me = a->rstrip ? ws_fwd(s, n, i + best_len) : i + best_len;
      return best;
    }
  }
  return -1;
}

static bool any_added(const struct tok_hf *h, bool normalized) {
  for (size_t k = 0; k < h->n_added; k++)
    if (h->added[k].normalized == normalized) return true;
  return false;
}

/* A segment between non-normalized added tokens: normalize, cut by the normalized
 * added tokens, pre-tokenize and merge the rest. */
static int encode_segment(tok_hf_enc *e, const unsigned char *s, size_t n, al_tok_ids *out, al_err *err) {
  const struct tok_hf *h = e->h;
  if (n == 0) return 0;
  s = normalize(e, s, &n, err);
  if (!s) return -1;
  if (!any_added(h, true)) {
    run_stage(e, 0, s, n, out);
    return 0;
  }
  size_t pos = 0, ms, me;
  long k;
  while (pos < n && (k = find_added(h, s, n, pos, true, &ms, &me)) >= 0) {
    run_stage(e, 0, s + pos, ms - pos, out);
    al_tok_ids_push(out, h->added[k].id);
    pos = me;
  }
  run_stage(e, 0, s + pos, n - pos, out);
  return 0;
}

int tok_hf_encode(tok_hf_enc *e, const char *text, size_t len, bool add_special_tokens,
                  int64_t max_length, al_tok_ids *out, al_err *err) {
  const struct tok_hf *h = e->h;
  out->len = 0;
  if (!tok_utf8_valid(text, len)) {
    e->valid.len = 0;
    tok_utf8_replace(text, len, false, &e->valid);
    text = e->valid.data ? e->valid.data : "";
    len = e->valid.len;
  }
  if (add_special_tokens) al_tok_ids_append(out, h->tmpl_pre, h->n_tmpl_pre, 0);
  const unsigned char *s = (const unsigned char *)text;
  size_t pos = 0, ms, me;
  long k;
  bool raw_added = any_added(h, false);
  /* the normalized segment buffer is reused per segment, so segments run one by one */
  while (raw_added && pos < len && (k = find_added(h, s, len, pos, false, &ms, &me)) >= 0) {
    if (encode_segment(e, s + pos, ms - pos, out, err) < 0) return -1;
    al_tok_ids_push(out, h->added[k].id);
    pos = me;
  }
  if (encode_segment(e, s + pos, len - pos, out, err) < 0) return -1;
  if (add_special_tokens) al_tok_ids_append(out, h->tmpl_post, h->n_tmpl_post, 0);
  if (max_length != TOK_NO_LIMIT) {
    if (max_length >= 0) {
      if (out->len > (size_t)max_length) out->len = (size_t)max_length;
    } else {
      size_t drop = (size_t)(-(max_length + 1)) + 1;
      out->len = out->len > drop ? out->len - drop : 0;
    }
  }
  return 0;
}

char *tok_hf_decode(const struct tok_hf *h, const int32_t *ids, size_t n, bool skip_special) {
  al_buf raw = {0}, out = {0};
  for (size_t i = 0; i < n; i++) {
    int32_t id = ids[i];
    if (id < 0 || (size_t)id >= h->n_ids || !h->id_bytes[id]) continue; /* unknown: dropped */
    if (skip_special && h->id_special[id]) continue;
    al_buf_append(&raw, h->id_bytes[id], h->id_len[id]);
  }
  tok_utf8_replace(raw.data ? raw.data : "", raw.len, false, &out);
  al_buf_free(&raw);
  al_buf_cstr(&out);
  return out.data;
}

/* A row: the tokenizer's own bos, the code markers when the vocabulary has them, the
 * ids of the text, its eos. No id is invented for markers it lacks; modality_mask
 * still tells code (4) from text (0). */
al_tok_sample_status tok_hf_build_sample(tok_hf_enc *e, al_tok_modality m, const char *text,
                                      size_t len, int64_t max_seq_len, al_tok_sample *out,
                                      al_err *err) {
  const struct tok_hf *h = e->h;
  al_tok_ids body = {0};
  if (tok_hf_encode(e, text, len, false, TOK_NO_LIMIT, &body, err) < 0) {
    al_tok_ids_free(&body);
    return TOK_SAMPLE_ERROR;
  }
  if (h->bos >= 0) al_tok_ids_push(&out->ids, h->bos);
  if (m == TOK_MOD_CODE && h->code >= 0) al_tok_ids_push(&out->ids, h->code);
  al_tok_ids_append(&out->ids, body.v, body.len, 0);
  if (m == TOK_MOD_CODE && h->code_end >= 0) al_tok_ids_push(&out->ids, h->code_end);
  if (h->eos >= 0) al_tok_ids_push(&out->ids, h->eos);
  al_tok_ids_free(&body);
  if (max_seq_len != TOK_NO_LIMIT) {
    if (max_seq_len >= 0) {
      if (out->ids.len > (size_t)max_seq_len) out->ids.len = (size_t)max_seq_len;
    } else {
      size_t drop = (size_t)(-(max_seq_len + 1)) + 1;
      out->ids.len = out->ids.len > drop ? out->ids.len - drop : 0;
    }
  }
  al_tok_ids_append(&out->mask, NULL, out->ids.len, (int32_t)m);
  return TOK_SAMPLE_OK;
}
