/* Parity of byte-level BPE tokenizers with their reference libraries: the ids of
 * tests/data/hf/refs_small.jsonl (Hugging Face `tokenizers` for tokenizer.json files,
 * tiktoken for rank files; written by tests/tools/make_hf_refs.sh) for every text of
 * texts.jsonl, and decode giving each valid text back byte for byte. With
 * AURALITH_HF_FULL=<dir of the full-size tokenizers> refs_full.jsonl is checked too. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "harness.h"

#define MAX_TEXTS 512

static struct {
  char *tag;
  char *text;
  size_t len;
  bool from_bytes;
} texts[MAX_TEXTS];
static size_t n_texts;

static char *data_dir(void) {
  const char *d = getenv("AL_DATA_DIR");
  return al_xasprintf("%s/hf", d ? d : "tests/data");
}

static int b64v(int c) {
  return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
       : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62 : c == '/' ? 63 : -1;
}
static char *unb64(const char *s, size_t *n) {
  size_t l = strlen(s), o = 0;
  char *out = al_xmalloc(l + 1);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < l; i++) {
    int v = b64v((unsigned char)s[i]);
    if (v < 0) continue;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (char)(acc >> bits);
    }
  }
  *n = o;
  return out;
}

static void load_texts(const char *dir) {
  char *p = al_xasprintf("%s/texts.jsonl", dir);
  FILE *f = fopen(p, "r");
  CHECK_MSG(f != NULL, "%s", p);
  char *line = NULL;
  size_t cap = 0;
  while (f && getline(&line, &cap, f) > 0 && n_texts < MAX_TEXTS) {
    json_t *o = json_loads(line, JSON_ALLOW_NUL, NULL);
    CHECK(o != NULL);
    if (!o) continue;
    json_t *t = json_object_get(o, "text"), *b = json_object_get(o, "bytes_b64");
    texts[n_texts].tag = al_xstrdup(json_string_value(json_object_get(o, "tag")));
    if (json_is_string(b)) {
      texts[n_texts].text = unb64(json_string_value(b), &texts[n_texts].len);
      texts[n_texts].from_bytes = true;
    } else {
      texts[n_texts].len = json_string_length(t);
      texts[n_texts].text = al_xmalloc(texts[n_texts].len + 1);
      memcpy(texts[n_texts].text, json_string_value(t), texts[n_texts].len + 1);
    }
    n_texts++;
    json_decref(o);
  }
  free(line);
  if (f) fclose(f);
  free(p);
}

static long find_text(const char *tag) {
  for (size_t i = 0; i < n_texts; i++)
    if (strcmp(texts[i].tag, tag) == 0) return (long)i;
  return -1;
}

typedef struct {
  char name[32];
  al_tok_bpe *t;
  al_tok_encoder *e;
} loaded;

/* Checks every row of refs against the tokenizers under tok_root; returns rows checked. */
static size_t check_refs(const char *refs, const char *tok_root) {
  loaded tk[8] = {0};
  size_t nt = 0, rows = 0, bad = 0;
  FILE *f = fopen(refs, "r");
  CHECK_MSG(f != NULL, "%s", refs);
  char *line = NULL;
  size_t cap = 0;
  al_tok_ids ids = {0};
  while (f && getline(&line, &cap, f) > 0) {
    json_t *o = json_loads(line, 0, NULL);
    CHECK(o != NULL);
    if (!o) continue;
    const char *name = json_string_value(json_object_get(o, "tokenizer"));
    const char *tag = json_string_value(json_object_get(o, "tag"));
    bool special = json_is_true(json_object_get(o, "add_special_tokens"));
    json_t *want = json_object_get(o, "ids");
    size_t k = 0;
    while (k < nt && strcmp(tk[k].name, name) != 0) k++;
    if (k == nt && nt < 8) {
      char *dir = al_xasprintf("%s/%s", tok_root, name);
      al_err err = {0};
      snprintf(tk[k].name, sizeof tk[k].name, "%s", name);
      tk[k].t = al_tok_bpe_load(dir, &err);
      CHECK_MSG(tk[k].t != NULL, "%s: %s", dir, err.msg);
      if (tk[k].t) tk[k].e = al_tok_encoder_new(tk[k].t, 0);
      free(dir);
      nt++;
    }
    long ti = find_text(tag);
    CHECK_MSG(ti >= 0, "text %s", tag);
    if (ti < 0 || !tk[k].e) { json_decref(o); continue; }
    al_err err = {0};
    CHECK(al_tok_encode(tk[k].e, texts[ti].text, texts[ti].len, special, TOK_NO_LIMIT, &ids, &err) == 0);
    bool same = ids.len == json_array_size(want);
    for (size_t i = 0; same && i < ids.len; i++) same = ids.v[i] == json_integer_value(json_array_get(want, i));
    rows++;
    if (!same && bad++ < 12) {
      fprintf(stderr, "%s %s special=%d: got %zu ids, want %zu\n  got ", name, tag, special, ids.len, json_array_size(want));
      for (size_t i = 0; i < ids.len && i < 40; i++) fprintf(stderr, " %d", ids.v[i]);
      fprintf(stderr, "\n  want");
      for (size_t i = 0; i < json_array_size(want) && i < 40; i++) fprintf(stderr, " %lld", json_integer_value(json_array_get(want, i)));
      fprintf(stderr, "\n");
    }
    CHECK_MSG(same, "%s %s special=%d", name, tag, special);
    /* the same text again with the same encoder: its pieces now come from the caches */
    al_tok_ids again = {0};
    CHECK(al_tok_encode(tk[k].e, texts[ti].text, texts[ti].len, special, TOK_NO_LIMIT, &again, &err) == 0);
    CHECK_MSG(again.len == ids.len && (ids.len == 0 || memcmp(again.v, ids.v, ids.len * sizeof *ids.v) == 0),
              "%s %s special=%d: a second encode differs", name, tag, special);
    al_tok_ids_free(&again);
    /* decode(encode(text)) is the text for valid UTF-8 (special tokens decode to their
     * content); texts holding NUL are left out as decode returns a C string */
    if (same && !texts[ti].from_bytes && !special && !memchr(texts[ti].text, 0, texts[ti].len)) {
      char *back = al_tok_decode(tk[k].t, ids.v, ids.len, false);
      bool nfkc = strncmp(name, "gpt2-variant", 12) == 0; /* normalizes: not reversible */
      if (!nfkc) CHECK_MSG(strlen(back) == texts[ti].len && memcmp(back, texts[ti].text, texts[ti].len) == 0,
                           "decode %s %s", name, tag);
      free(back);
    }
    json_decref(o);
  }
  free(line);
  al_tok_ids_free(&ids);
  if (f) fclose(f);
  for (size_t k = 0; k < nt; k++) {
    al_tok_encoder_free(tk[k].e);
    al_tok_bpe_free(tk[k].t);
  }
  fprintf(stderr, "%s: %zu rows, %zu differ\n", refs, rows, bad);
  return rows;
}

static void test_small(void) {
  char *dir = data_dir();
  char *refs = al_xasprintf("%s/refs_small.jsonl", dir);
  CHECK(check_refs(refs, dir) > 1000);
  free(refs);
  free(dir);
}

static void test_full(void) {
  const char *full = getenv("AURALITH_HF_FULL");
  if (!full || !*full) {
    fprintf(stderr, "AURALITH_HF_FULL not set: full-size parity skipped\n");
    return;
  }
  char *dir = data_dir();
  char *refs = al_xasprintf("%s/refs_full.jsonl", dir);
  CHECK(check_refs(refs, full) > 1000);
  free(refs);
  free(dir);
}

int main(void) {
  char *dir = data_dir();
  load_texts(dir);
  free(dir);
  RUN(test_small);
  RUN(test_full);
  for (size_t i = 0; i < n_texts; i++) {
    free(texts[i].tag);
    free(texts[i].text);
  }
  return TEST_REPORT();
}
