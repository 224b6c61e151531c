/* Every golden vector of the original's tokenizer: encode (3 tokenizers), decode, and
 * UTF-8 replacement decoding. Prints "matched/total" per file. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "harness.h"
#include "support.h"
#include "tokenize/tok_unicode.h"

static al_tok_bpe *load_tok(const char *name) {
  char *rel = al_xasprintf("text/%s", name);
  char *dir = ts_data_path(rel);
  al_err err = {0};
  al_tok_bpe *t = al_tok_bpe_load(dir, &err);
  CHECK_MSG(t != NULL, "%s", err.msg);
  free(rel);
  free(dir);
  return t;
}

typedef struct named_tok {
  const char *name;
  al_tok_bpe *t;
  al_tok_encoder *e;
} named_tok;

static named_tok TOKS[3] = {{"tok_depth50", NULL, NULL}, {"tok_full", NULL, NULL}, {"tok_lower", NULL, NULL}};

static named_tok *find_tok(const char *name) {
  for (int i = 0; i < 3; i++) {
    if (strcmp(TOKS[i].name, name) == 0) {
      if (!TOKS[i].t) {
        TOKS[i].t = load_tok(name);
        if (TOKS[i].t) TOKS[i].e = al_tok_encoder_new(TOKS[i].t, 0);
      }
      return TOKS[i].t ? &TOKS[i] : NULL;
    }
  }
  return NULL;
}

/* Iterates the rows of a JSON-lines file. */
static size_t for_each_row(const char *rel, void (*fn)(json_t *row, size_t line, int *ok)) {
  char *path = ts_data_path(rel);
  size_t n;
  char *data = ts_read_file(path, &n);
  CHECK_MSG(data != NULL, "cannot read %s", path);
  size_t total = 0, matched = 0, line = 0;
  char *save = NULL;
  for (char *l = data ? strtok_r(data, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
    line++;
    json_error_t je;
    json_t *row = json_loads(l, JSON_ALLOW_NUL, &je);
    CHECK_MSG(row != NULL, "%s:%zu: %s", rel, line, je.text);
    if (!row) continue;
    int ok = 0;
    fn(row, line, &ok);
    total++;
    matched += ok ? 1 : 0;
    json_decref(row);
  }
  fprintf(stderr, "%s: %zu/%zu matched\n", rel, matched, total);
  free(data);
  free(path);
  return total;
}

static int ids_equal(const al_tok_ids *got, json_t *want) {
  if (json_array_size(want) != got->len) return 0;
  for (size_t i = 0; i < got->len; i++)
    if (json_integer_value(json_array_get(want, i)) != got->v[i]) return 0;
  return 1;
}

static void encode_row(json_t *row, size_t line, int *ok) {
  named_tok *nt = find_tok(json_string_value(json_object_get(row, "tokenizer")));
  CHECK(nt != NULL);
  if (!nt) return;
  json_t *txt = json_object_get(row, "text");
  json_t *ml = json_object_get(row, "max_length");
  int64_t max_len = json_is_integer(ml) ? json_integer_value(ml) : TOK_NO_LIMIT;
  al_tok_ids ids = {0};
  al_err err = {0};
  int rc = al_tok_encode(nt->e, json_string_value(txt), json_string_length(txt),
                      json_is_true(json_object_get(row, "add_special_tokens")), max_len, &ids, &err);
  *ok = rc == 0 && ids_equal(&ids, json_object_get(row, "ids"));
  CHECK_MSG(*ok, "line %zu %s %s max_length=%lld: got %zu ids", line, nt->name,
            json_string_value(json_object_get(row, "tag")), (long long)max_len, ids.len);
  al_tok_ids_free(&ids);
}

static void decode_row(json_t *row, size_t line, int *ok) {
  named_tok *nt = find_tok(json_string_value(json_object_get(row, "tokenizer")));
  CHECK(nt != NULL);
  if (!nt) return;
  json_t *arr = json_object_get(row, "ids");
  size_t n = json_array_size(arr);
  int32_t *v = al_xmalloc((n + 1) * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = (int32_t)json_integer_value(json_array_get(arr, i));
  char *s = al_tok_decode(nt->t, v, n, json_is_true(json_object_get(row, "skip_special_tokens")));
  const char *want = json_string_value(json_object_get(row, "text"));
  *ok = strcmp(s, want) == 0;
  CHECK_MSG(*ok, "decode_cases.jsonl:%zu %s: got \"%s\" want \"%s\"", line,
            json_string_value(json_object_get(row, "tag")), s, want);
  free(s);
  free(v);
}

static void utf8_row(json_t *row, size_t line, int *ok) {
  const char *hex = json_string_value(json_object_get(row, "hex"));
  size_t hl = strlen(hex);
  char *bytes = al_xmalloc(hl / 2 + 1);
  for (size_t i = 0; i < hl / 2; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    bytes[i] = (char)v;
  }
  size_t len;
  char *s = al_tok_decode_utf8_replace(bytes, hl / 2, true, &len);
  json_t *want = json_object_get(row, "text");
  *ok = len == json_string_length(want) && memcmp(s, json_string_value(want), len) == 0;
  CHECK_MSG(*ok, "utf8_replace_cases.jsonl:%zu %s", line, json_string_value(json_object_get(row, "tag")));
  /* the same through a real file */
  char *dir = ts_mkdtemp("tokutf8");
  char *p = al_xasprintf("%s/f.txt", dir);
  ts_write_file(p, bytes, hl / 2);
  al_err err = {0};
  size_t flen;
  char *fs = al_tok_read_text_file(p, &flen, &err);
  CHECK(fs && flen == len && memcmp(fs, s, len) == 0);
  free(fs);
  ts_rmtree(dir);
  free(dir);
  free(p);
  free(s);
  free(bytes);
}

/* NFC against Python 3.11 (Unicode 14), including marks newer than Unicode 14. */
static void nfc_row(json_t *row, size_t line, int *ok) {
  json_t *txt = json_object_get(row, "text"), *want = json_object_get(row, "nfc");
  al_buf b = {0};
  CHECK(tok_nfc(json_string_value(txt), json_string_length(txt), &b));
  *ok = b.len == json_string_length(want) && memcmp(b.data, json_string_value(want), b.len) == 0;
  CHECK_MSG(*ok, "nfc row %zu: %s", line, json_string_value(json_object_get(row, "tag")));
  /* the encoder skips the normaliser when tok_nfc_needed says no: never where NFC acts */
  if (!tok_nfc_needed(json_string_value(txt), json_string_length(txt))) {
    bool same = json_string_length(txt) == json_string_length(want) &&
                memcmp(json_string_value(txt), json_string_value(want), json_string_length(txt)) == 0;
    CHECK_MSG(same, "nfc row %zu: normaliser skipped but NFC changes the text", line);
    *ok = *ok && same;
  }
  al_buf_free(&b);
}

static void test_nfc_cases(void) {
  CHECK(for_each_row("text/nfc_cases.jsonl", nfc_row) > 100);
  /* inert code points (skipped without utf8proc) next to everything NFC acts on */
  CHECK(for_each_row("text/nfc_inert_cases.jsonl", nfc_row) >= 600);
}

static void test_encode_cases(void) { CHECK(for_each_row("text/cases.jsonl", encode_row) >= 900); }
/* Random strings over whitespace, case, mark and script edge characters; expected ids
 * from a Python 3.11 re-statement of the original's encode (§14.4) using re,
 * unicodedata and str.lower themselves (see tests/data/text/README.md). */
static void test_diff_cases(void) { CHECK(for_each_row("text/diff_cases.jsonl", encode_row) >= 450); }

/* Large inputs are encoded in chunks: the ids of many case texts joined by whitespace
 * must equal the concatenation of their separate encodings, for every tokenizer. */
static al_buf JOIN_TEXT;
static al_tok_ids JOIN_IDS[3];
static void join_row(json_t *row, size_t line, int *ok) {
  (void)line;
  const char *name = json_string_value(json_object_get(row, "tokenizer"));
  json_t *txt = json_object_get(row, "text");
  if (strcmp(name, "tok_depth50") != 0) { *ok = 1; return; } /* each text once */
  for (int k = 0; k < 3; k++) {
    named_tok *nt = find_tok(TOKS[k].name);
    al_tok_ids ids = {0};
    al_err err = {0};
    al_tok_encode(nt->e, json_string_value(txt), json_string_length(txt), false, TOK_NO_LIMIT, &ids, &err);
    for (size_t i = 0; i < ids.len; i++) al_tok_ids_push(&JOIN_IDS[k], ids.v[i]);
    al_tok_ids_free(&ids);
  }
  al_buf_append(&JOIN_TEXT, json_string_value(txt), json_string_length(txt));
  al_buf_append(&JOIN_TEXT, line % 2 ? " " : "\n", 1);
  *ok = 1;
}

static void test_chunked_encoding(void) {
  for (int rep = 0; rep < 4; rep++) for_each_row("text/cases.jsonl", join_row);
  CHECK(JOIN_TEXT.len > 3 * 65536);
  for (int k = 0; k < 3; k++) {
    named_tok *nt = find_tok(TOKS[k].name);
    al_tok_ids ids = {0};
    al_err err = {0};
    al_tok_encode(nt->e, JOIN_TEXT.data, JOIN_TEXT.len, false, TOK_NO_LIMIT, &ids, &err);
    CHECK_MSG(ids.len == JOIN_IDS[k].len && memcmp(ids.v, JOIN_IDS[k].v, ids.len * 4) == 0,
              "%s: chunked %zu ids vs %zu", nt->name, ids.len, JOIN_IDS[k].len);
    /* and an early stop gives the same prefix */
    al_tok_encode(nt->e, JOIN_TEXT.data, JOIN_TEXT.len, false, 1000, &ids, &err);
    CHECK(ids.len == 1000 && memcmp(ids.v, JOIN_IDS[k].v, 4000) == 0);
    al_tok_ids_free(&ids);
    al_tok_ids_free(&JOIN_IDS[k]);
  }
  al_buf_free(&JOIN_TEXT);
}

static void test_decode_cases(void) { CHECK(for_each_row("text/decode_cases.jsonl", decode_row) > 0); }
static void test_utf8_cases(void) { CHECK(for_each_row("text/utf8_replace_cases.jsonl", utf8_row) > 0); }

int main(void) {
  RUN(test_encode_cases);
  RUN(test_diff_cases);
  RUN(test_chunked_encoding);
  RUN(test_decode_cases);
  RUN(test_utf8_cases);
  RUN(test_nfc_cases);
  for (int i = 0; i < 3; i++) {
    al_tok_encoder_free(TOKS[i].e);
    al_tok_bpe_free(TOKS[i].t);
  }
  return TEST_REPORT();
}
