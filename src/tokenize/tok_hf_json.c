/* Loader of Hugging Face tokenizer.json files whose model is byte-level BPE. Every
 * component the encoder does not implement is refused with its JSON path, so a file
 * either gives the library's ids or does not load. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize/tok_hf.h"

/* ---- ByteLevel's alphabet: bytes_to_unicode() of GPT-2 --------------------------------- */
static bool byte_visible(unsigned b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174; }

/* The byte a code point of the byte-level alphabet stands for, or -1. */
static int alphabet_byte(uint32_t cp) {
  if (cp < 256) return byte_visible(cp) ? (int)cp : -1;
  if (cp >= 256 + 68) return -1; /* 68 bytes are not visible */
  unsigned k = cp - 256, b = 0;
  for (;; b++) {
    if (byte_visible(b)) continue;
    if (k-- == 0) return (int)b;
  }
}

/* Decodes a byte-level token string into out (capacity n >= strlen). Returns the byte
 * count, or -1 when a character is outside the alphabet (such a token can never be
 * formed from text). */
static long from_alphabet(const char *s, size_t n, char *out) {
  size_t i = 0, o = 0;
  while (i < n) {
    unsigned c = (unsigned char)s[i];
    uint32_t cp;
    size_t l;
    if (c < 0x80) { cp = c; l = 1; }
    else if ((c & 0xe0) == 0xc0 && i + 1 < n) { cp = ((c & 0x1fu) << 6) | ((unsigned char)s[i + 1] & 0x3fu); l = 2; }
    else return -1;
    int b = alphabet_byte(cp);
    if (b < 0) return -1;
    out[o++] = (char)b;
    i += l;
  }
  return (long)o;
}

/* ---- helpers --------------------------------------------------------------------------- */
typedef struct {
  const char *name; /* file name for messages */
  al_err *err;
} ctx;

static int fail(ctx *c, const char *path, const char *fmt, const char *detail) {
  return al_err_set(c->err, AL_E_FORMAT, "%s: %s: %s%s", c->name, path, fmt, detail ? detail : "");
}
static const char *type_of(json_t *o) {
  json_t *t = json_object_get(o, "type");
  return json_is_string(t) ? json_string_value(t) : NULL;
}
static bool get_bool(json_t *o, const char *k, bool dflt) {
  json_t *v = json_object_get(o, k);
  return json_is_boolean(v) ? json_is_true(v) : dflt;
}
static bool null_or_empty(json_t *v) {
  return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
}

/* ---- model ------------------------------------------------------------------------------ */
static int32_t max_id(json_t *vocab, json_t *added) {
  int64_t m = -1;
  const char *k;
  json_t *v;
  json_object_foreach(vocab, k, v) if (json_is_integer(v) && json_integer_value(v) > m) m = json_integer_value(v);
  size_t i;
  json_array_foreach(added, i, v) {
    json_t *id = json_object_get(v, "id");
    if (json_is_integer(id) && json_integer_value(id) > m) m = json_integer_value(id);
  }
  return m > INT32_MAX - 1 ? -2 : (int32_t)m;
}

static int load_vocab(ctx *c, struct tok_hf *h, json_t *vocab) {
  const char *k;
  json_t *v;
  char *buf = NULL;
  size_t cap = 0;
  json_object_foreach(vocab, k, v) {
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
      free(buf);
      return fail(c, "model.vocab", "id is not a non-negative integer for token ", k);
    }
    size_t n = strlen(k);
    if (n + 1 > cap) buf = al_xrealloc(buf, cap = n + 1);
    long b = from_alphabet(k, n, buf);
    int32_t id = (int32_t)json_integer_value(v);
    if (b < 0) { /* outside the byte-level alphabet: decodes as itself, never produced */
      tok_hf_set_id(h, id, k, n, false);
      continue;
    }
    tok_hf_set_id(h, id, buf, (size_t)b, false);
    tok_strmap_put(&h->vocab, buf, (size_t)b, id);
  }
  free(buf);
  return 0;
}

/* A merge as "left right" or ["left", "right"]. */
static int merge_parts(json_t *m, const char **l, size_t *ln, const char **r, size_t *rn) {
  if (json_is_string(m)) {
    const char *s = json_string_value(m), *sp = strchr(s, ' ');
    if (!sp || strchr(sp + 1, ' ')) return -1;
    *l = s; *ln = (size_t)(sp - s); *r = sp + 1; *rn = strlen(sp + 1);
    return 0;
  }
  if (json_is_array(m) && json_array_size(m) == 2 && json_is_string(json_array_get(m, 0)) &&
      json_is_string(json_array_get(m, 1))) {
    *l = json_string_value(json_array_get(m, 0)); *ln = json_string_length(json_array_get(m, 0));
    *r = json_string_value(json_array_get(m, 1)); *rn = json_string_length(json_array_get(m, 1));
    return 0;
  }
  return -1;
}

static int load_merges(ctx *c, struct tok_hf *h, json_t *merges) {
  tok_pairmap_init(&h->pairs, json_array_size(merges) + 16);
  size_t i;
  json_t *m;
  char *buf = NULL;
  size_t cap = 0;
  char path[64];
  int rc = 0;
  json_array_foreach(merges, i, m) {
    const char *l, *r;
    size_t ln, rn;
    snprintf(path, sizeof path, "model.merges[%zu]", i);
    if (merge_parts(m, &l, &ln, &r, &rn) < 0) { rc = fail(c, path, "not \"left right\" or [left, right]", NULL); break; }
    if (ln + rn + 1 > cap) buf = al_xrealloc(buf, cap = ln + rn + 1);
    long a = from_alphabet(l, ln, buf);
    long b = a < 0 ? -1 : from_alphabet(r, rn, buf + a);
    const int32_t *ia = a >= 0 ? tok_strmap_get(&h->vocab, buf, (size_t)a) : NULL;
    const int32_t *ib = b >= 0 ? tok_strmap_get(&h->vocab, buf + a, (size_t)b) : NULL;
    const int32_t *ir = ia && ib ? tok_strmap_get(&h->vocab, buf, (size_t)(a + b)) : NULL;
    if (!ir) { rc = fail(c, path, "a part or the merged token is not in model.vocab", NULL); break; }
    tok_pairmap_put(&h->pairs, *ia, *ib, (int32_t)i, *ir);
  }
  free(buf);
  return rc;
}

static int load_model(ctx *c, struct tok_hf *h, json_t *model) {
  const char *t = type_of(model);
  if (t && strcmp(t, "BPE") != 0) return fail(c, "model.type", "unsupported model ", t);
  json_t *dropout = json_object_get(model, "dropout");
  if (dropout && !json_is_null(dropout)) return fail(c, "model.dropout", "BPE dropout is not supported", NULL);
  if (!null_or_empty(json_object_get(model, "continuing_subword_prefix")))
    return fail(c, "model.continuing_subword_prefix", "not supported with byte-level BPE", NULL);
  if (!null_or_empty(json_object_get(model, "end_of_word_suffix")))
    return fail(c, "model.end_of_word_suffix", "not supported with byte-level BPE", NULL);
  h->whole_piece_first = get_bool(model, "ignore_merges", false);
  if (load_vocab(c, h, json_object_get(model, "vocab")) < 0) return -1;
  if (load_merges(c, h, json_object_get(model, "merges")) < 0) return -1;
  json_t *unk = json_object_get(model, "unk_token");
  if (json_is_string(unk)) {
    const int32_t *v = tok_strmap_get(&h->vocab, json_string_value(unk), json_string_length(unk));
    h->unk_id = v ? *v : -1;
  }
  if (get_bool(model, "byte_fallback", false)) {
    for (int b = 0; b < 256; b++) {
      char name[8];
      snprintf(name, sizeof name, "<0x%02X>", b);
      const int32_t *v = tok_strmap_get(&h->vocab, name, 6);
      h->byte_fallback_id[b] = v ? *v : -1;
    }
  }
  return 0;
}

/* ---- normalizer ---------------------------------------------------------------------- */
static int load_normalizer(ctx *c, struct tok_hf *h, json_t *n, const char *path) {
  if (!n || json_is_null(n)) return 0;
  const char *t = type_of(n);
  if (t && strcmp(t, "Sequence") == 0) {
    json_t *list = json_object_get(n, "normalizers");
    size_t i;
    json_t *x;
    char sub[64];
    json_array_foreach(list, i, x) {
      snprintf(sub, sizeof sub, "%s.normalizers[%zu]", path, i);
      if (load_normalizer(c, h, x, sub) < 0) return -1;
    }
    return 0;
  }
  tok_hf_norm want = t && strcmp(t, "NFC") == 0 ? TOK_HF_NORM_NFC : t && strcmp(t, "NFKC") == 0 ? TOK_HF_NORM_NFKC : TOK_HF_NORM_NONE;
  if (want == TOK_HF_NORM_NONE) return fail(c, path, "unsupported normalizer ", t ? t : "(no type)");
  if (h->norm != TOK_HF_NORM_NONE && h->norm != want) return fail(c, path, "a second normalization form is not supported", NULL);
  h->norm = want;
  return 0;
}

/* ---- pre-tokenizer ------------------------------------------------------------------------ */
/* A Split's String pattern as a PCRE2 regex matching it literally. */
static char *literal_regex(const char *s) {
  al_buf b = {0};
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch >= 0x80) al_buf_append(&b, s, 1);
    else al_buf_printf(&b, "\\x{%x}", ch);
  }
  al_buf_cstr(&b);
  return b.data;
}

static int add_stage(ctx *c, struct tok_hf *h, const char *path, const char *pat, size_t plen,
                     tok_hf_split split, bool invert, bool prefix) {
  if (!pat && !prefix) return 0; /* cuts nothing, adds nothing (ByteLevel without regex) */
  if (h->n_stages == TOK_HF_MAX_STAGES) return fail(c, path, "too many pre-tokenizer stages", NULL);
  tok_hf_stage *st = &h->stages[h->n_stages];
  memset(st, 0, sizeof *st);
  if (pat) {
    al_err e = {0};
    st->pat = tok_pretok_new(pat, plen, false, &e);
    if (!st->pat) return fail(c, path, "", e.msg);
  }
  st->split = split;
  st->invert = invert;
  st->prefix_space = prefix;
  h->n_stages++;
  return 0;
}

static int load_pre(ctx *c, struct tok_hf *h, json_t *p, const char *path, bool *byte_level) {
  const char *t = type_of(p);
  char sub[80];
  if (!t) return fail(c, path, "pre-tokenizer without a type", NULL);
  if (strcmp(t, "Sequence") == 0) {
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(p, "pretokenizers"), i, x) {
      snprintf(sub, sizeof sub, "%s.pretokenizers[%zu]", path, i);
      if (load_pre(c, h, x, sub, byte_level) < 0) return -1;
    }
    return 0;
  }
  if (*byte_level) return fail(c, path, "a pre-tokenizer after ByteLevel is not supported: ", t);
  if (strcmp(t, "ByteLevel") == 0) {
    *byte_level = true;
    bool re = get_bool(p, "use_regex", true), prefix = get_bool(p, "add_prefix_space", true);
    if (!re && !prefix) return 0;
    return add_stage(c, h, path, re ? TOK_PAT_GPT2 : NULL, re ? strlen(TOK_PAT_GPT2) : 0, TOK_HF_SPLIT_ISOLATED,
                     false, prefix);
  }
  if (strcmp(t, "Split") == 0) {
    static const struct {
      const char *name;
      tok_hf_split split;
    } behaviors[] = {{"Isolated", TOK_HF_SPLIT_ISOLATED},
                     {"Removed", TOK_HF_SPLIT_REMOVED},
                     {"MergedWithPrevious", TOK_HF_SPLIT_MERGED_WITH_PREV},
                     {"MergedWithNext", TOK_HF_SPLIT_MERGED_WITH_NEXT},
                     {"Contiguous", TOK_HF_SPLIT_CONTIGUOUS}};
    json_t *beh = json_object_get(p, "behavior");
    const char *b = json_is_string(beh) ? json_string_value(beh) : "";
    size_t k = 0, nb = sizeof behaviors / sizeof behaviors[0];
    while (k < nb && strcmp(b, behaviors[k].name) != 0) k++;
    if (k == nb) {
      snprintf(sub, sizeof sub, "%s.behavior", path);
      return fail(c, sub, "unsupported Split behavior ", b);
    }
    bool invert = get_bool(p, "invert", false);
    json_t *pat = json_object_get(p, "pattern");
    json_t *rx = json_object_get(pat, "Regex"), *str = json_object_get(pat, "String");
    snprintf(sub, sizeof sub, "%s.pattern", path);
    if (json_is_string(rx))
      return add_stage(c, h, sub, json_string_value(rx), json_string_length(rx), behaviors[k].split, invert, false);
    if (json_is_string(str)) {
      char *lit = literal_regex(json_string_value(str));
      int rc = add_stage(c, h, sub, lit, strlen(lit), behaviors[k].split, invert, false);
      free(lit);
      return rc;
    }
    return fail(c, sub, "neither Regex nor String", NULL);
  }
  return fail(c, path, "unsupported pre-tokenizer ", t);
}

/* ---- added tokens, post-processor ---------------------------------------------------------- */
static int load_added(ctx *c, struct tok_hf *h, json_t *list) {
  size_t i;
  json_t *a;
  h->added = al_xcalloc(json_array_size(list) + 1, sizeof *h->added);
  json_array_foreach(list, i, a) {
    char path[64];
    snprintf(path, sizeof path, "added_tokens[%zu]", i);
    json_t *id = json_object_get(a, "id"), *content = json_object_get(a, "content");
    if (!json_is_integer(id) || !json_is_string(content) || json_string_length(content) == 0)
      return fail(c, path, "needs an integer id and a non-empty content", NULL);
    tok_hf_added *t = &h->added[h->n_added++];
    t->len = json_string_length(content);
    t->content = al_xstrndup(json_string_value(content), t->len);
    t->id = (int32_t)json_integer_value(id);
    t->special = get_bool(a, "special", false);
    t->lstrip = get_bool(a, "lstrip", false);
    t->rstrip = get_bool(a, "rstrip", false);
    t->single_word = get_bool(a, "single_word", false);
    t->normalized = get_bool(a, "normalized", !t->special);
    tok_hf_set_id(h, t->id, t->content, t->len, t->special);
  }
  return 0;
}

static int template_ids(ctx *c, json_t *specials, json_t *item, const char *path, int32_t **v, size_t *n) {
  json_t *st = json_object_get(item, "SpecialToken");
  const char *name = json_string_value(json_object_get(st, "id"));
  json_t *ids = json_object_get(json_object_get(specials, name ? name : ""), "ids");
  if (!json_is_array(ids)) return fail(c, path, "special token not in special_tokens: ", name ? name : "(none)");
  size_t i;
  json_t *x;
  json_array_foreach(ids, i, x) {
    *v = al_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = (int32_t)json_integer_value(x);
  }
  return 0;
}

static int load_post(ctx *c, struct tok_hf *h, json_t *p, const char *path) {
  if (!p || json_is_null(p)) return 0;
  const char *t = type_of(p);
  char sub[96];
  if (t && strcmp(t, "Sequence") == 0) {
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(p, "processors"), i, x) {
      snprintf(sub, sizeof sub, "%s.processors[%zu]", path, i);
      if (load_post(c, h, x, sub) < 0) return -1;
    }
    return 0;
  }
  if (t && strcmp(t, "ByteLevel") == 0) return 0; /* offsets only */
  if (!t || strcmp(t, "TemplateProcessing") != 0) return fail(c, path, "unsupported post-processor ", t ? t : "(no type)");
  if (h->n_tmpl_pre || h->n_tmpl_post) return fail(c, path, "a second TemplateProcessing is not supported", NULL);
  json_t *single = json_object_get(p, "single"), *specials = json_object_get(p, "special_tokens");
  size_t i;
  json_t *item;
  bool seen_a = false;
  json_array_foreach(single, i, item) {
    snprintf(sub, sizeof sub, "%s.single[%zu]", path, i);
    if (json_object_get(item, "Sequence")) {
      if (seen_a) return fail(c, sub, "a second sequence in single", NULL);
      seen_a = true;
    } else if (template_ids(c, specials, item, sub, seen_a ? &h->tmpl_post : &h->tmpl_pre,
                            seen_a ? &h->n_tmpl_post : &h->n_tmpl_pre) < 0) {
      return -1;
    }
  }
  if (!seen_a) return fail(c, path, "single has no $A sequence", NULL);
  return 0;
}

static int32_t added_id(const struct tok_hf *h, const char *content) {
  for (size_t i = 0; i < h->n_added; i++)
    if (strcmp(h->added[i].content, content) == 0) return h->added[i].id;
  return -1;
}

/* bos/eos and code markers of samples: the template's, else well-known added tokens. */
static void sample_markers(struct tok_hf *h) {
  static const char *bos_names[] = {"<|begin_of_text|>", "<s>"};
  static const char *eos_names[] = {"<|end_of_text|>", "<|endoftext|>", "</s>"};
  h->bos = h->n_tmpl_pre ? h->tmpl_pre[0] : -1;
  h->eos = h->n_tmpl_post ? h->tmpl_post[h->n_tmpl_post - 1] : -1;
  for (size_t i = 0; i < AL_ARRAY_LEN(bos_names) && h->bos < 0; i++) h->bos = added_id(h, bos_names[i]);
  for (size_t i = 0; i < AL_ARRAY_LEN(eos_names) && h->eos < 0; i++) h->eos = added_id(h, eos_names[i]);
  h->code = added_id(h, "<CODE>");
  h->code_end = added_id(h, "<CODE_END>");
}

struct tok_hf *tok_hf_parse_json(const char *data, size_t n, const char *name, al_err *err) {
  ctx c = {name, err};
  json_error_t je;
  json_t *root = json_loadb(data, n, 0, &je);
  if (!root) {
    al_err_set(err, AL_E_FORMAT, "%s: line %d column %d: %s", name, je.line, je.column, je.text);
    return NULL;
  }
  struct tok_hf *h = al_xcalloc(1, sizeof *h);
  int rc = -1;
  json_t *model = json_object_get(root, "model"), *added = json_object_get(root, "added_tokens");
  json_t *vocab = json_object_get(model, "vocab"), *merges = json_object_get(model, "merges");
  const char *k;
  json_t *v;
  if (!json_is_object(root)) { fail(&c, "$", "not a JSON object", NULL); goto out; }
  if (!json_is_object(model)) { fail(&c, "model", "missing or not an object", NULL); goto out; }
  if (type_of(model) && strcmp(type_of(model), "BPE") != 0) { fail(&c, "model.type", "unsupported model ", type_of(model)); goto out; }
  if (!json_is_object(vocab)) { fail(&c, "model.vocab", "missing or not an object", NULL); goto out; }
  if (!json_is_array(merges)) { fail(&c, "model.merges", "missing or not an array", NULL); goto out; }
  if (added && !json_is_array(added)) { fail(&c, "added_tokens", "not an array", NULL); goto out; }
  json_object_foreach(root, k, v) {
    if ((strcmp(k, "truncation") == 0 || strcmp(k, "padding") == 0) && !json_is_null(v)) {
      fail(&c, k, "truncation and padding are not supported (set them to null)", NULL);
      goto out;
    }
  }
  int32_t mx = max_id(vocab, added);
  if (mx < -1 || mx >= (1 << 24)) { fail(&c, "model.vocab", "ids beyond 16777215", NULL); goto out; }
  tok_hf_ids_init(h, (size_t)mx + 1);
  tok_strmap_init(&h->vocab, json_object_size(vocab) + 16);
  if (load_model(&c, h, model) < 0) goto out;
  if (load_normalizer(&c, h, json_object_get(root, "normalizer"), "normalizer") < 0) goto out;
  json_t *pre = json_object_get(root, "pre_tokenizer");
  bool byte_level = false;
  if (!pre || json_is_null(pre)) { fail(&c, "pre_tokenizer", "missing: byte-level BPE needs a ByteLevel pre-tokenizer", NULL); goto out; }
  if (load_pre(&c, h, pre, "pre_tokenizer", &byte_level) < 0) goto out;
  if (!byte_level) { fail(&c, "pre_tokenizer", "no ByteLevel pre-tokenizer (only byte-level BPE is supported)", NULL); goto out; }
  if (load_added(&c, h, added) < 0) goto out;
  if (load_post(&c, h, json_object_get(root, "post_processor"), "post_processor") < 0) goto out;
  tok_hf_finish(h);
  sample_markers(h);
  rc = 0;
out:
  json_decref(root);
  if (rc < 0) {
    tok_hf_free(h);
    return NULL;
  }
  return h;
}
