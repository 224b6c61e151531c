/* BPE training identical to the original's BPETokenizer.train (§14.3), made fast by
 * counting pairs incrementally: only the words that contain the merged pair are
 * re-counted, and the best pair comes from a lazy max-heap. Ties go to the pair the
 * original's Counter saw first: the earliest (word in first-occurrence order, position
 * in that word). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tokenize/tok_internal.h"
#include "tokenize/tok_unicode.h"
#include "tokenize/tok_words.h"

static const char *const SPECIALS[16] = {
    "<pad>", "<unk>", "<bos>", "<eos>", "<IMG>", "<IMG_END>", "<AUDIO>", "<AUDIO_END>",
    "<VIDEO>", "<VIDEO_END>", "<FUSE>", "<SEP>", "<MASK>", "<CODE>", "<CODE_END>", "<THINK>"};
static const char *const ALIASES[6] = {"<image_start>", "<image_end>", "<audio_start>",
                                       "<audio_end>", "<video_start>", "<video_end>"};

void al_tok_train_opts_default(al_tok_train_opts *o) {
  o->vocab_size = 32000;
  o->min_frequency = 2;
  o->max_merge_depth = 50;
  o->lowercase = false;
}

typedef struct ivec {
  int32_t *v;
  size_t len, cap;
} ivec;
static void ivec_push(ivec *a, int32_t x) {
  if (a->len == a->cap) {
    a->cap = a->cap ? a->cap * 2 : 4;
    a->v = al_xrealloc(a->v, a->cap * sizeof *a->v);
  }
  a->v[a->len++] = x;
}

typedef struct pair_info {
  int32_t l, r;
  int64_t count;
  ivec words;        /* words that contained the pair at some point (may repeat/stale) */
  uint32_t stamp;    /* last merge step that touched the count */
  int64_t before;    /* count before that step */
} pair_info;

typedef struct heap_e {
  int64_t count;
  int32_t pair;
} heap_e;

typedef struct trainer {
  /* words */
  tok_strmap word_idx;
  ivec *wsyms;        /* symbols of each word */
  int64_t *wfreq;
  uint32_t *wstamp;
  size_t n_words, cap_words;
  /* symbols (strings) */
  tok_strmap sym_idx;
  char **sym_str;
  size_t n_syms, cap_syms;
  /* pairs */
  tok_pairmap pair_idx;   /* (l, r) -> index in pairs (stored in .rank) */
  pair_info *pairs;
  size_t n_pairs, cap_pairs;
  heap_e *heap;
  size_t heap_len, heap_cap;
  ivec changed;
  /* vocab in insertion order */
  tok_strmap vocab_pos;   /* token -> position in vocab arrays */
  char **vtok;
  int32_t *vid;
  size_t n_vocab, cap_vocab;
  int32_t next_id;
} trainer;

static int32_t sym_intern(trainer *t, const char *s, size_t n) {
  int32_t *v = tok_strmap_get(&t->sym_idx, s, n);
  if (v) return *v;
  if (t->n_syms == t->cap_syms) {
    t->cap_syms = t->cap_syms ? t->cap_syms * 2 : 1024;
    t->sym_str = al_xrealloc(t->sym_str, t->cap_syms * sizeof *t->sym_str);
  }
  int32_t id = (int32_t)t->n_syms++;
  t->sym_str[id] = al_xstrndup(s, n);
  tok_strmap_put(&t->sym_idx, s, n, id);
  return id;
}

static void vocab_set(trainer *t, const char *tokstr, int32_t id) {
  size_t n = strlen(tokstr);
  int32_t *pos = tok_strmap_get(&t->vocab_pos, tokstr, n);
  if (pos) { /* re-assigned: keeps its place, the old id is orphaned (as a dict does) */
    t->vid[*pos] = id;
  } else {
    if (t->n_vocab == t->cap_vocab) {
      t->cap_vocab = t->cap_vocab ? t->cap_vocab * 2 : 1024;
      t->vtok = al_xrealloc(t->vtok, t->cap_vocab * sizeof *t->vtok);
      t->vid = al_xrealloc(t->vid, t->cap_vocab * sizeof *t->vid);
    }
    t->vtok[t->n_vocab] = al_xstrndup(tokstr, n);
    t->vid[t->n_vocab] = id;
    tok_strmap_put(&t->vocab_pos, tokstr, n, (int32_t)t->n_vocab);
    t->n_vocab++;
  }
  if (id >= t->next_id) t->next_id = id + 1;
}

static void count_word(void *ctx, const char *w, size_t n) {
  trainer *t = ctx;
  int32_t *v = tok_strmap_get(&t->word_idx, w, n);
  if (v) {
    t->wfreq[*v]++;
    return;
  }
  if (t->n_words == t->cap_words) {
    t->cap_words = t->cap_words ? t->cap_words * 2 : 1024;
    t->wsyms = al_xrealloc(t->wsyms, t->cap_words * sizeof *t->wsyms);
    t->wfreq = al_xrealloc(t->wfreq, t->cap_words * sizeof *t->wfreq);
  }
  int32_t idx = (int32_t)t->n_words++;
  memset(&t->wsyms[idx], 0, sizeof t->wsyms[idx]);
  t->wfreq[idx] = 1;
  /* symbols: its characters then "</w>" */
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t l = tok_utf8_next((const unsigned char *)w + i, &cp);
    ivec_push(&t->wsyms[idx], sym_intern(t, w + i, l));
    i += l;
  }
  ivec_push(&t->wsyms[idx], sym_intern(t, "</w>", 4));
  tok_strmap_put(&t->word_idx, w, n, idx);
}

static int32_t pair_get(trainer *t, int32_t l, int32_t r, bool create) {
  const struct tok_pair_slot *s = tok_pairmap_get(&t->pair_idx, l, r);
  if (s) return s->rank;
  if (!create) return -1;
  if (t->n_pairs == t->cap_pairs) {
    t->cap_pairs = t->cap_pairs ? t->cap_pairs * 2 : 4096;
    t->pairs = al_xrealloc(t->pairs, t->cap_pairs * sizeof *t->pairs);
  }
  int32_t id = (int32_t)t->n_pairs++;
  memset(&t->pairs[id], 0, sizeof t->pairs[id]);
  t->pairs[id].l = l;
  t->pairs[id].r = r;
  tok_pairmap_put(&t->pair_idx, l, r, id, 0);
  return id;
}

/* max-heap on count */
static void heap_push(trainer *t, int64_t count, int32_t pair) {
  if (t->heap_len == t->heap_cap) {
    t->heap_cap = t->heap_cap ? t->heap_cap * 2 : 4096;
    t->heap = al_xrealloc(t->heap, t->heap_cap * sizeof *t->heap);
  }
  size_t i = t->heap_len++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (t->heap[p].count >= count) break;
    t->heap[i] = t->heap[p];
    i = p;
  }
  t->heap[i].count = count;
  t->heap[i].pair = pair;
}

static heap_e heap_pop(trainer *t) {
  heap_e top = t->heap[0];
  heap_e x = t->heap[--t->heap_len];
  size_t i = 0, n = t->heap_len;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && t->heap[c + 1].count > t->heap[c].count) c++;
    if (t->heap[c].count <= x.count) break;
    t->heap[i] = t->heap[c];
    i = c;
  }
  if (n) t->heap[i] = x;
  return top;
}

/* Adds sign * freq of word w to each of its pairs. When adding, the word joins the word
 * list of the pairs that involve `fresh` (all pairs when fresh < 0): every other pair of
 * the word was already there before the merge and so already lists it. */
static void word_pairs(trainer *t, int32_t w, int sign, uint32_t step, int32_t fresh) {
  ivec *s = &t->wsyms[w];
  for (size_t i = 0; i + 1 < s->len; i++) {
    int32_t p = pair_get(t, s->v[i], s->v[i + 1], sign > 0);
    if (p < 0) continue;
    pair_info *pi = &t->pairs[p];
    if (pi->stamp != step) {
      pi->stamp = step;
      pi->before = pi->count;
      ivec_push(&t->changed, p);
    }
    pi->count += sign * t->wfreq[w];
    if (sign > 0 && (fresh < 0 || s->v[i] == fresh || s->v[i + 1] == fresh)) ivec_push(&pi->words, w);
  }
}

/* Position of the first occurrence of pair p in word w, or -1. */
static long first_pos(const trainer *t, int32_t w, int32_t l, int32_t r) {
  const ivec *s = &t->wsyms[w];
  for (size_t i = 0; i + 1 < s->len; i++)
    if (s->v[i] == l && s->v[i + 1] == r) return (long)i;
  return -1;
}

/* Counter insertion order of a pair: (first word, position). */
static void pair_key(const trainer *t, int32_t p, int64_t *kw, long *kp) {
  *kw = INT64_MAX;
  *kp = 0;
  const pair_info *pi = &t->pairs[p];
  for (size_t i = 0; i < pi->words.len; i++) {
    int32_t w = pi->words.v[i];
    if (w >= *kw) continue;
    long pos = first_pos(t, w, pi->l, pi->r);
    if (pos >= 0) {
      *kw = w;
      *kp = pos;
    }
  }
}

/* The pair the original picks, or -1 when there are no pairs. */
static int32_t best_pair(trainer *t) {
  ivec tied = {0};
  int64_t top = -1;
  while (t->heap_len) {
    heap_e h = t->heap[0];
    pair_info *pi = &t->pairs[h.pair];
    if (pi->count != h.count || pi->count <= 0) { heap_pop(t); continue; } /* stale */
    if (top >= 0 && h.count < top) break;
    top = h.count;
    heap_pop(t);
    bool dup = false;
    for (size_t i = 0; i < tied.len && !dup; i++) dup = tied.v[i] == h.pair;
    if (!dup) ivec_push(&tied, h.pair);
  }
  int32_t best = -1;
  int64_t bw = 0;
  long bp = 0;
  for (size_t i = 0; i < tied.len; i++) {
    int64_t kw;
    long kp;
    pair_key(t, tied.v[i], &kw, &kp);
    if (best < 0 || kw < bw || (kw == bw && kp < bp)) {
      best = tied.v[i];
      bw = kw;
      bp = kp;
    }
  }
  for (size_t i = 0; i < tied.len; i++) heap_push(t, t->pairs[tied.v[i]].count, tied.v[i]);
  free(tied.v);
  return best;
}

static void merge_pair(trainer *t, int32_t p, int32_t result, uint32_t step) {
  int32_t l = t->pairs[p].l, r = t->pairs[p].r;
  ivec words = t->pairs[p].words; /* iterate a snapshot: the list grows while merging */
  t->pairs[p].words = (ivec){0};
  t->changed.len = 0;
  for (size_t i = 0; i < words.len; i++) {
    int32_t w = words.v[i];
    if (t->wstamp[w] == step) continue;
    t->wstamp[w] = step;
    if (first_pos(t, w, l, r) < 0) continue;
    word_pairs(t, w, -1, step, -1);
    ivec *s = &t->wsyms[w];
    size_t o = 0;
    for (size_t k = 0; k < s->len;) {
      if (k + 1 < s->len && s->v[k] == l && s->v[k + 1] == r) {
        s->v[o++] = result;
        k += 2;
      } else {
        s->v[o++] = s->v[k++];
      }
    }
    s->len = o;
    word_pairs(t, w, +1, step, result);
  }
  free(words.v);
  for (size_t i = 0; i < t->changed.len; i++) {
    int32_t q = t->changed.v[i];
    if (t->pairs[q].count > 0 && t->pairs[q].count != t->pairs[q].before) heap_push(t, t->pairs[q].count, q);
  }
}

static int cmp_strp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Python json.dumps(s, ensure_ascii=False) of a string. */
static void json_str(al_buf *b, const char *s) {
  al_buf_append(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"': al_buf_puts(b, "\\\""); break;
    case '\\': al_buf_puts(b, "\\\\"); break;
    case '\n': al_buf_puts(b, "\\n"); break;
    case '\r': al_buf_puts(b, "\\r"); break;
    case '\t': al_buf_puts(b, "\\t"); break;
    case '\b': al_buf_puts(b, "\\b"); break;
    case '\f': al_buf_puts(b, "\\f"); break;
    default:
      if (*p < 0x20) al_buf_printf(b, "\\u%04x", *p);
      else al_buf_append(b, p, 1);
    }
  }
  al_buf_append(b, "\"", 1);
}

static int write_file(const char *dir, const char *name, const al_buf *b, al_err *err) {
  char *p = al_xasprintf("%s/%s", dir, name);
  FILE *f = fopen(p, "wb");
  int rc = 0;
  if (!f || (b->len && fwrite(b->data, 1, b->len, f) != b->len)) {
    rc = al_err_set(err, errno ? errno : EIO, "%s: cannot write: %s", p, strerror(errno));
  }
  if (f && fclose(f) != 0 && rc == 0) rc = al_err_set(err, errno, "%s: cannot write: %s", p, strerror(errno));
  free(p);
  return rc;
}

static int mkdir_p(const char *dir, al_err *err) {
  char *p = al_xstrdup(dir);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    mkdir(p, 0777);
    *s = '/';
  }
  int rc = 0;
  if (mkdir(p, 0777) != 0 && errno != EEXIST) rc = al_err_set(err, errno, "%s: cannot create directory: %s", p, strerror(errno));
  struct stat st;
  if (rc == 0 && (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))) rc = al_err_set(err, ENOTDIR, "%s: not a directory", p);
  free(p);
  return rc;
}

static int save(trainer *t, const al_tok_train_opts *o, const ivec *merges, const char *dir, al_err *err) {
  if (mkdir_p(dir, err) < 0) return -1;
  al_buf b = {0};
  al_buf_puts(&b, "{");
  for (size_t i = 0; i < t->n_vocab; i++) {
    al_buf_puts(&b, i ? ",\n  " : "\n  ");
    json_str(&b, t->vtok[i]);
    al_buf_printf(&b, ": %d", t->vid[i]);
  }
  al_buf_puts(&b, t->n_vocab ? "\n}" : "}");
  int rc = write_file(dir, "vocab.json", &b, err);
  b.len = 0;
  for (size_t i = 0; i + 1 < merges->len && rc == 0; i += 2) {
    al_buf_puts(&b, t->sym_str[merges->v[i]]);
    al_buf_puts(&b, " ");
    al_buf_puts(&b, t->sym_str[merges->v[i + 1]]);
    al_buf_puts(&b, "\n");
  }
  if (rc == 0) rc = write_file(dir, "merges.txt", &b, err);
  b.len = 0;
  al_buf_printf(&b,
                "{\n  \"vocab_size\": %lld,\n  \"min_frequency\": %lld,\n  \"max_merge_depth\": %lld,\n"
                "  \"lowercase\": %s,\n  \"special_tokens\": {",
                (long long)o->vocab_size, (long long)o->min_frequency,
                (long long)(o->max_merge_depth < 0 ? (int64_t)(merges->len / 2) : o->max_merge_depth),
                o->lowercase ? "true" : "false");
  for (int i = 0; i < 16; i++) al_buf_printf(&b, "%s\n    \"%s\": %d", i ? "," : "", SPECIALS[i], i);
  al_buf_puts(&b, "\n  },\n  \"word_end_marker\": \"</w>\"\n}");
  if (rc == 0) rc = write_file(dir, "config.json", &b, err);
  al_buf_free(&b);
  return rc;
}

int al_tok_train(const char *corpus, size_t len, const al_tok_train_opts *o, const char *out_dir,
              size_t *n_vocab, size_t *n_merges, al_err *err) {
  if (!tok_utf8_valid(corpus, len)) return al_err_set(err, 1, "training corpus is not valid UTF-8");
  trainer t;
  memset(&t, 0, sizeof t);
  tok_strmap_init(&t.word_idx, 1024);
  tok_strmap_init(&t.sym_idx, 1024);
  tok_strmap_init(&t.vocab_pos, 1024);
  tok_pairmap_init(&t.pair_idx, 4096);
  for (int i = 0; i < 16; i++) vocab_set(&t, SPECIALS[i], i);
  for (int i = 0; i < 6; i++) vocab_set(&t, ALIASES[i], 4 + i);
  for (int i = 0; i < 256; i++) {
    char name[16];
    snprintf(name, sizeof name, "<byte_%02x>", i);
    vocab_set(&t, name, TOK_BYTE_OFFSET + i);
  }
  tok_for_each_word(corpus, len, o->lowercase, count_word, &t);
  sym_intern(&t, "</w>", 4);
  /* base symbols: every symbol so far (characters and "</w>"), sorted by code point */
  char **base = al_xmalloc((t.n_syms + 1) * sizeof *base);
  for (size_t i = 0; i < t.n_syms; i++) base[i] = t.sym_str[i];
  qsort(base, t.n_syms, sizeof *base, cmp_strp);
  for (size_t i = 0; i < t.n_syms; i++) {
    if (!tok_strmap_get(&t.vocab_pos, base[i], strlen(base[i]))) vocab_set(&t, base[i], t.next_id);
  }
  free(base);
  t.wstamp = al_xcalloc(t.n_words ? t.n_words : 1, sizeof *t.wstamp);
  for (size_t w = 0; w < t.n_words; w++) word_pairs(&t, (int32_t)w, +1, 0, -1);
  for (size_t p = 0; p < t.n_pairs; p++) heap_push(&t, t.pairs[p].count, (int32_t)p);
  ivec merges = {0};
  uint32_t step = 0;
  while ((int64_t)t.n_vocab < o->vocab_size) {
    int32_t p = best_pair(&t);
    if (p < 0 || t.pairs[p].count < o->min_frequency) break;
    int32_t l = t.pairs[p].l, r = t.pairs[p].r;
    size_t ll = strlen(t.sym_str[l]), rl = strlen(t.sym_str[r]);
    char *cat = al_xmalloc(ll + rl + 1);
    memcpy(cat, t.sym_str[l], ll);
    memcpy(cat + ll, t.sym_str[r], rl + 1);
    int32_t result = sym_intern(&t, cat, ll + rl);
    step++;
    merge_pair(&t, p, result, step);
    ivec_push(&merges, l);
    ivec_push(&merges, r);
    vocab_set(&t, cat, t.next_id);
    free(cat);
  }
  int rc = save(&t, o, &merges, out_dir, err);
  if (n_vocab) *n_vocab = t.n_vocab;
  if (n_merges) *n_merges = merges.len / 2;
  /* release */
  free(merges.v);
  for (size_t w = 0; w < t.n_words; w++) free(t.wsyms[w].v);
  free(t.wsyms);
  free(t.wfreq);
  free(t.wstamp);
  for (size_t i = 0; i < t.n_syms; i++) free(t.sym_str[i]);
  free(t.sym_str);
  for (size_t i = 0; i < t.n_pairs; i++) free(t.pairs[i].words.v);
  free(t.pairs);
  free(t.heap);
  free(t.changed.v);
  for (size_t i = 0; i < t.n_vocab; i++) free(t.vtok[i]);
  free(t.vtok);
  free(t.vid);
  tok_strmap_free(&t.word_idx);
  tok_strmap_free(&t.sym_idx);
  tok_strmap_free(&t.vocab_pos);
  tok_pairmap_free(&t.pair_idx);
  return rc;
}
