/* Loading a text tokenizer directory as the original's BPETokenizer.load does. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tokenize/tok_cpu.h"
#include "tokenize/tok_hf.h"
#include "tokenize/tok_internal.h"
#include "tokenize/tok_unicode.h"

static const char *const SPECIAL_NAMES[16] = {
    "<pad>", "<unk>", "<bos>", "<eos>", "<IMG>", "<IMG_END>", "<AUDIO>", "<AUDIO_END>",
    "<VIDEO>", "<VIDEO_END>", "<FUSE>", "<SEP>", "<MASK>", "<CODE>", "<CODE_END>", "<THINK>"};

char *tok_slurp(const char *path, size_t *len, al_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    al_err_set(err, errno, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  al_buf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) al_buf_append(&b, chunk, n);
  if (ferror(f)) {
    al_err_set(err, EIO, "%s: read error", path);
    fclose(f);
    al_buf_free(&b);
    return NULL;
  }
  fclose(f);
  al_buf_cstr(&b);
  if (len) *len = b.len;
  return b.data;
}

static bool is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void build_bmp_symbols(struct al_tok_bpe *t) {
  for (size_t id = 0; id < t->n_syms; id++) {
    const unsigned char *s = (const unsigned char *)t->sym_str[id];
    uint32_t cp;
    if (t->sym_len[id] < 2 || t->sym_len[id] > 3) continue;
    if (tok_utf8_next(s, &cp) != t->sym_len[id] || cp < 0x80 || cp > 0xffff) continue;
    int32_t **page = &t->bmp_sym[cp >> 8];
    if (!*page) {
      *page = al_xmalloc(256 * sizeof **page);
      for (int k = 0; k < 256; k++) (*page)[k] = -1;
    }
    (*page)[cp & 255] = (int32_t)id;
  }
}

int32_t tok_bpe_intern(struct al_tok_bpe *t, const char *s, size_t n) {
  int32_t *v = tok_strmap_get(&t->syms, s, n);
  if (v) return *v;
  if (t->n_syms == t->cap_syms) {
    t->cap_syms = t->cap_syms ? t->cap_syms * 2 : 1024;
    t->sym_str = al_xrealloc(t->sym_str, t->cap_syms * sizeof *t->sym_str);
    t->sym_len = al_xrealloc(t->sym_len, t->cap_syms * sizeof *t->sym_len);
    t->sym_vocab = al_xrealloc(t->sym_vocab, t->cap_syms * sizeof *t->sym_vocab);
  }
  int32_t id = (int32_t)t->n_syms++;
  t->sym_str[id] = al_xstrndup(s, n);
  t->sym_len[id] = (uint32_t)n;
  int32_t *vid = tok_strmap_get(&t->vocab, s, n);
  t->sym_vocab[id] = vid ? *vid : -1;
  tok_strmap_put(&t->syms, s, n, id);
  return id;
}

static int load_config(struct al_tok_bpe *t, const char *path, al_err *err) {
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  if (!root) {
    return al_err_set(err, 1, "%s:%d:%d: invalid JSON: %s", path, je.line, je.column, je.text);
  }
  int rc = -1;
  if (!json_is_object(root)) {
    al_err_set(err, 1, "%s: expected a JSON object at the top level", path);
    goto out;
  }
  struct { const char *key; int64_t *dst; int64_t def; } ints[] = {
      {"vocab_size", &t->vocab_size, 32000},
      {"min_frequency", &t->min_frequency, 2},
      {"max_merge_depth", &t->max_merge_depth, 50}};
  for (size_t i = 0; i < AL_ARRAY_LEN(ints); i++) {
    json_t *v = json_object_get(root, ints[i].key);
    if (!v) { *ints[i].dst = ints[i].def; continue; }
    if (!json_is_integer(v)) {
      al_err_set(err, 1, "%s: key \"%s\" must be an integer", path, ints[i].key);
      goto out;
    }
    *ints[i].dst = json_integer_value(v);
  }
  json_t *lc = json_object_get(root, "lowercase");
  if (lc && !json_is_boolean(lc) && !json_is_integer(lc) && !json_is_null(lc)) {
    al_err_set(err, 1, "%s: key \"lowercase\" must be true or false", path);
    goto out;
  }
  t->lowercase = lc && (json_is_true(lc) || (json_is_integer(lc) && json_integer_value(lc) != 0));
  for (int i = 0; i < 16; i++) {
    t->special_ids[i] = i;
    t->special_names[i] = al_xstrdup(SPECIAL_NAMES[i]);
  }
  json_t *sp = json_object_get(root, "special_tokens");
  if (sp && !json_is_object(sp)) {
    al_err_set(err, 1, "%s: key \"special_tokens\" must be an object", path);
    goto out;
  }
  if (sp) {
    for (int i = 0; i < 16; i++) {
      json_t *v = json_object_get(sp, SPECIAL_NAMES[i]);
      if (!v) continue;
      if (!json_is_integer(v)) {
        al_err_set(err, 1, "%s: special_tokens[\"%s\"] must be an integer", path, SPECIAL_NAMES[i]);
        goto out;
      }
      t->special_ids[i] = (int32_t)json_integer_value(v);
    }
  }
  t->bos = t->special_ids[TOK_BOS];
  t->eos = t->special_ids[TOK_EOS];
  rc = 0;
out:
  json_decref(root);
  return rc;
}

static int load_vocab(struct al_tok_bpe *t, const char *path, al_err *err) {
  json_error_t je;
  json_t *root = json_load_file(path, JSON_ALLOW_NUL, &je);
  if (!root) {
    return al_err_set(err, 1, "%s:%d:%d: invalid JSON: %s", path, je.line, je.column, je.text);
  }
  if (!json_is_object(root)) {
    json_decref(root);
    return al_err_set(err, 1, "%s: expected a JSON object mapping token to id", path);
  }
  size_t n = json_object_size(root);
  tok_strmap_init(&t->vocab, n + 16);
  int64_t max_id = -1;
  const char *key;
  json_t *v;
  json_object_foreach(root, key, v) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX - 1) {
      al_err_set(err, 1, "%s: token \"%s\": id must be a non-negative integer", path, key);
      json_decref(root);
      return -1;
    }
    if (json_integer_value(v) > max_id) max_id = json_integer_value(v);
  }
  t->n_ids = (size_t)(max_id + 1);
  t->id_to_tok = al_xcalloc(t->n_ids ? t->n_ids : 1, sizeof *t->id_to_tok);
  /* Iteration follows file order (jansson keeps insertion order), so the last key of a
   * shared id wins, as in the original's {v: k for k, v in vocab.items()}. */
  void *it = json_object_iter(root);
  while (it) {
    const char *k = json_object_iter_key(it);
    size_t klen = json_object_iter_key_len(it);
    int32_t id = (int32_t)json_integer_value(json_object_iter_value(it));
    tok_strmap_put(&t->vocab, k, klen, id);
    free(t->id_to_tok[id]);
    t->id_to_tok[id] = al_xstrndup(k, klen);
    it = json_object_iter_next(root, it);
  }
  t->vocab_len = n;
  json_decref(root);
  return 0;
}

/* Python str.strip(): drops leading/trailing str.isspace() characters. */
static void py_strip(const char **s, size_t *n) {
  const unsigned char *p = (const unsigned char *)*s;
  size_t a = 0, b = *n;
  while (a < b) {
    uint32_t cp;
    size_t l = tok_utf8_next(p + a, &cp);
    if (!tok_is_space(cp)) break;
    a += l;
  }
  while (b > a) {
    size_t k = b - 1;
    while (k > a && (p[k] & 0xc0) == 0x80) k--;
    uint32_t cp;
    tok_utf8_next(p + k, &cp);
    if (!tok_is_space(cp)) break;
    b = k;
  }
  *s += a;
  *n = b - a;
}

static int load_merges(struct al_tok_bpe *t, const char *path, al_err *err) {
  size_t raw_len;
  char *raw = tok_slurp(path, &raw_len, err);
  if (!raw) return -1;
  if (!tok_utf8_valid(raw, raw_len)) {
    /* name the first bad line */
    size_t line = 1, start = 0;
    for (size_t i = 0; i <= raw_len; i++) {
      if (i == raw_len || raw[i] == '\n') {
        if (!tok_utf8_valid(raw + start, i - start)) break;
        line++;
        start = i + 1;
      }
    }
    free(raw);
    return al_err_set(err, 1, "%s:%zu: invalid UTF-8", path, line);
  }
  al_buf text = {0};
  tok_utf8_replace(raw, raw_len, true, &text);
  free(raw);
  size_t cap = 1024;
  t->merges = al_xmalloc(cap * sizeof *t->merges);
  t->n_merges = 0;
  size_t line = 0, pos = 0;
  int rc = 0;
  while (pos < text.len) {
    line++;
    char *nl = memchr(text.data + pos, '\n', text.len - pos);
    size_t end = nl ? (size_t)(nl - text.data) : text.len;
    const char *s = text.data + pos;
    size_t n = end - pos;
    pos = nl ? end + 1 : text.len;
    py_strip(&s, &n);
    if (n == 0) continue;
    const char *sp = memchr(s, ' ', n);
    if (!sp) {
      rc = al_err_set(err, 1, "%s:%zu: expected two symbols separated by a space", path, line);
      break;
    }
    size_t ln = (size_t)(sp - s), rn = n - ln - 1;
    if (t->n_merges == cap) {
      cap *= 2;
      t->merges = al_xrealloc(t->merges, cap * sizeof *t->merges);
    }
    tok_merge *m = &t->merges[t->n_merges++];
    m->left = tok_bpe_intern(t, s, ln);
    m->right = tok_bpe_intern(t, sp + 1, rn);
    char *cat = al_xmalloc(n);
    memcpy(cat, s, ln);
    memcpy(cat + ln, sp + 1, rn);
    m->result = tok_bpe_intern(t, cat, ln + rn);
    free(cat);
  }
  al_buf_free(&text);
  return rc;
}

/* Rank-ordered merging equals applying rule 1 everywhere, then rule 2, ... exactly when
 * no rule's part is (re)produced by the same or a later rule: then a pair of rank k can
 * never reappear after rule k has run. */
static bool check_rank_order(const struct al_tok_bpe *t) {
  int32_t *last = al_xmalloc((t->n_syms ? t->n_syms : 1) * sizeof *last);
  for (size_t i = 0; i < t->n_syms; i++) last[i] = -1;
  for (size_t k = 0; k < t->depth; k++) last[t->merges[k].result] = (int32_t)k;
  bool ok = true;
  for (size_t k = 0; k < t->depth && ok; k++) {
    if (last[t->merges[k].left] >= (int32_t)k || last[t->merges[k].right] >= (int32_t)k) ok = false;
  }
  free(last);
  return ok;
}

#define PAIR_TAIL 8 /* spare buckets after the last, for its overflow */

/* Puts the first `depth` merges in buckets of 2^bits (plus PAIR_TAIL); false when some
 * overflow would run past the spare buckets (then more buckets are needed). */
static bool fill_pair16(struct al_tok_bpe *t, unsigned bits) {
  size_t nb = ((size_t)1 << bits) + PAIR_TAIL;
  for (size_t i = 0; i <= nb; i++) { /* and the empty bucket for "no symbol" */
    tok_pair_bucket *b = &t->pair16[i];
    for (int k = 0; k < 8; k++) {
      b->key[k] = TOK_PAIR_EMPTY;
      b->val[k] = TOK_NO_MERGE16;
    }
    b->key[7] = TOK_PAIR_META;
  }
  t->pair16_shift = 64 - bits;
  t->pair16_none = &t->pair16[nb];
  for (size_t r = 0; r < t->depth; r++) {
    uint32_t key = ((uint32_t)t->merges[r].left << 16) | (uint32_t)t->merges[r].right;
    if ((tok_pair16_get(t, key) & 0xffffu) != TOK_NO_MERGE16) continue; /* the first rank wins */
    tok_pair_bucket *b = (tok_pair_bucket *)tok_pair16_bucket(t, key);
    for (;;) {
      if (b == t->pair16 + nb) return false;
      int k = 0;
      while (k < TOK_PAIR_SLOTS && b->key[k] != TOK_PAIR_EMPTY) k++;
      if (k < TOK_PAIR_SLOTS) {
        b->key[k] = key;
        b->val[k] = (uint32_t)r | (uint32_t)t->merges[r].result << 16;
        break;
      }
      b->val[7] = TOK_PAIR_OVERFLOW;
      b++;
    }
  }
  return true;
}

/* The bucketed pair table and the dense ASCII pair table, in one block on huge pages
 * when the kernel allows (every uncached word reads both at random). About half full:
 * 512 KiB for 26k merges. */
static void build_pair16(struct al_tok_bpe *t) {
  unsigned bits = 4;
  while (((size_t)1 << bits) * TOK_PAIR_SLOTS < 2 * t->depth) bits++;
  for (;; bits++) {
    size_t pair_bytes = (((size_t)1 << bits) + PAIR_TAIL + 1) * sizeof *t->pair16;
    char *mem = tok_table_alloc(pair_bytes + (TOK_ASCII_END + 128) * sizeof *t->ascii_pairs,
                                true, "the merge-pair table");
    t->pair16 = (tok_pair_bucket *)(void *)mem;
    t->ascii_pairs = (uint32_t *)(void *)(mem + pair_bytes);
    if (fill_pair16(t, bits)) return;
    free(mem);
    t->pair16 = NULL;
    t->ascii_pairs = NULL;
  }
}

al_tok_bpe *al_tok_bpe_load(const char *dir, al_err *err) {
  /* a tokenizers root holds text/; anything else is the text directory itself */
  char *base = al_xasprintf("%s/text", dir);
  struct stat st;
  if (stat(base, &st) != 0 || !S_ISDIR(st.st_mode)) {
    free(base);
    base = al_xstrdup(dir);
  }
  {
    /* the byte-level kinds are recognised by their files */
    struct al_tok_bpe *h = al_xcalloc(1, sizeof *h);
    bool found;
    int rc = tok_hf_try_load(h, base, &found, err);
    if (found) {
      free(base);
      if (rc == 0) return h;
      al_tok_bpe_free(h);
      return NULL;
    }
    free(h);
  }
  char *vocab_p = al_xasprintf("%s/vocab.json", base);
  char *merges_p = al_xasprintf("%s/merges.txt", base);
  char *config_p = al_xasprintf("%s/config.json", base);
  struct al_tok_bpe *t = al_xcalloc(1, sizeof *t);
  bool ok = false;
  const char *missing = NULL;
  if (!is_file(vocab_p)) missing = vocab_p;
  else if (!is_file(config_p)) missing = config_p;
  else if (!is_file(merges_p)) missing = merges_p;
  if (missing) {
    al_err_set(err, ENOENT, "%s: no such file (a text tokenizer needs vocab.json, merges.txt and config.json)", missing);
    goto out;
  }
  tok_strmap_init(&t->syms, 4096);
  if (load_config(t, config_p, err) < 0) goto out;
  if (load_vocab(t, vocab_p, err) < 0) goto out;
  if (load_merges(t, merges_p, err) < 0) goto out;
  t->word_end_sym = tok_bpe_intern(t, "</w>", 4);
  for (int c = 0; c < 128; c++) {
    char ch = (char)c;
    t->ascii_sym[c] = tok_bpe_intern(t, &ch, 1);
  }
  build_bmp_symbols(t);
  int64_t d = t->max_merge_depth;
  int64_t nm = (int64_t)t->n_merges;
  t->depth = (size_t)(d >= 0 ? (d < nm ? d : nm) : (nm + d > 0 ? nm + d : 0));
  tok_pairmap_init(&t->pairs, t->depth + 16);
  for (size_t k = 0; k < t->depth; k++) {
    tok_pairmap_put(&t->pairs, t->merges[k].left, t->merges[k].right, (int32_t)k, t->merges[k].result);
  }
  t->rank_ok = check_rank_order(t);
  t->cpu_sse41 = tok_cpu_has_sse41();
  t->cpu_v3 = tok_cpu_has_v3();
  if (t->n_syms < 0xfffe && t->depth < 0xffff) build_pair16(t);
  if (t->pair16) {
    for (int a = 0; a < 128; a++) {
      for (int b = 0; b <= 128; b++) {
        int32_t right = b < 128 ? t->ascii_sym[b] : t->word_end_sym, res = 0;
        int32_t rank = tok_pair_rank(t, t->ascii_sym[a], right, &res);
        t->ascii_pairs[b < 128 ? a * 128 + b : TOK_ASCII_END + a] =
            rank >= 0 ? (uint32_t)rank | (uint32_t)res << 16 : TOK_NO_MERGE16;
      }
    }
  }
  ok = true;
out:
  free(vocab_p);
  free(merges_p);
  free(config_p);
  free(base);
  if (!ok) {
    al_tok_bpe_free(t);
    return NULL;
  }
  return t;
}

void al_tok_bpe_free(al_tok_bpe *t) {
  if (!t) return;
  tok_strmap_free(&t->vocab);
  tok_strmap_free(&t->syms);
  if (t->id_to_tok)
    for (size_t i = 0; i < t->n_ids; i++) free(t->id_to_tok[i]);
  free(t->id_to_tok);
  for (size_t i = 0; i < t->n_syms; i++) free(t->sym_str[i]);
  free(t->sym_str);
  free(t->sym_len);
  free(t->sym_vocab);
  free(t->merges);
  tok_pairmap_free(&t->pairs);
  free(t->pair16); /* with ascii_pairs */
  for (int k = 0; k < 256; k++) free(t->bmp_sym[k]);
  for (int i = 0; i < 16; i++) free(t->special_names[i]);
  tok_hf_free(t->hf);
  free(t);
}

size_t al_tok_bpe_vocab_len(const al_tok_bpe *t) {
  return t->hf ? t->hf->vocab.count + t->hf->n_added : t->vocab_len;
}
size_t al_tok_bpe_merge_count(const al_tok_bpe *t) { return t->n_merges; }
int64_t al_tok_bpe_max_merge_depth(const al_tok_bpe *t) { return t->max_merge_depth; }
bool al_tok_bpe_lowercase(const al_tok_bpe *t) { return t->lowercase; }
bool al_tok_bpe_rank_merging(const al_tok_bpe *t) { return t->rank_ok; }
int32_t al_tok_bpe_token_id(const al_tok_bpe *t, const char *token) {
  if (t->hf) {
    for (size_t i = 0; i < t->hf->n_added; i++)
      if (strcmp(t->hf->added[i].content, token) == 0) return t->hf->added[i].id;
    const int32_t *v = tok_strmap_get(&t->hf->vocab, token, strlen(token));
    return v ? *v : -1;
  }
  const int32_t *v = tok_strmap_get(&t->vocab, token, strlen(token));
  return v ? *v : -1;
}
