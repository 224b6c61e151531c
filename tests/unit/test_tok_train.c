/* The trainer against the original's training cases: identical vocab.json, merges.txt
 * and config.json bytes; plus a trained tokenizer loads and encodes the spec vectors. */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "harness.h"
#include "support.h"

static int same_file(const char *a, const char *b) {
  size_t la, lb;
  char *da = ts_read_file(a, &la), *db = ts_read_file(b, &lb);
  int ok = da && db && la == lb && memcmp(da, db, la) == 0;
  free(da);
  free(db);
  return ok;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_train_cases(void) {
  char *root = ts_data_path("text/train_cases");
  DIR *d = opendir(root);
  CHECK(d != NULL);
  if (!d) return;
  char *names[64];
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < 64)
    if (de->d_name[0] != '.') names[n++] = al_xstrdup(de->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, cmp_names);
  size_t matched = 0;
  char *tmp = ts_mkdtemp("toktrain");
  for (size_t i = 0; i < n; i++) {
    char *params_p = al_xasprintf("%s/%s/params.json", root, names[i]);
    char *corpus_p = al_xasprintf("%s/%s/corpus.txt", root, names[i]);
    json_error_t je;
    json_t *params = json_load_file(params_p, 0, &je);
    CHECK_MSG(params != NULL, "%s: %s", params_p, je.text);
    al_tok_train_opts o;
    al_tok_train_opts_default(&o);
    o.vocab_size = json_integer_value(json_object_get(params, "vocab_size"));
    o.min_frequency = json_integer_value(json_object_get(params, "min_frequency"));
    o.max_merge_depth = json_integer_value(json_object_get(params, "max_merge_depth"));
    o.lowercase = json_is_true(json_object_get(params, "lowercase"));
    al_err err = {0};
    size_t len;
    char *corpus = al_tok_read_text_file(corpus_p, &len, &err);
    CHECK_MSG(corpus != NULL, "%s", err.msg);
    char *out = al_xasprintf("%s/%s", tmp, names[i]);
    size_t nv = 0, nm = 0;
    int rc = al_tok_train(corpus ? corpus : "", corpus ? len : 0, &o, out, &nv, &nm, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    int ok = rc == 0;
    ok &= (long long)nv == json_integer_value(json_object_get(params, "result_vocab_len"));
    ok &= (long long)nm == json_integer_value(json_object_get(params, "result_merges"));
    const char *files[] = {"vocab.json", "merges.txt", "config.json"};
    for (int f = 0; f < 3; f++) {
      char *a = al_xasprintf("%s/%s", out, files[f]);
      char *b = al_xasprintf("%s/%s/expected/%s", root, names[i], files[f]);
      int same = same_file(a, b);
      CHECK_MSG(same, "train case %s: %s differs (cmp %s %s)", names[i], files[f], a, b);
      ok &= same;
      free(a);
      free(b);
    }
    matched += ok;
    json_decref(params);
    free(corpus);
    free(out);
    free(params_p);
    free(corpus_p);
    free(names[i]);
  }
  fprintf(stderr, "text/train_cases: %zu/%zu matched\n", matched, n);
  CHECK(n >= 10);
  if (!al_test_failures) ts_rmtree(tmp);
  free(tmp);
  free(root);
}

static void test_spec_vectors(void) {
  /* §14.6: train on "hello world test data " * 100 and encode */
  al_buf c = {0};
  for (int i = 0; i < 100; i++) al_buf_puts(&c, "hello world test data ");
  al_tok_train_opts o;
  al_tok_train_opts_default(&o);
  o.vocab_size = 500;
  char *tmp = ts_mkdtemp("tokspec");
  al_err err = {0};
  size_t nv, nm;
  CHECK_EQ_INT(al_tok_train(c.data, c.len, &o, tmp, &nv, &nm, &err), 0);
  CHECK_EQ_INT(nv, 307);
  CHECK_EQ_INT(nm, 18);
  al_tok_bpe *t = al_tok_bpe_load(tmp, &err);
  CHECK_MSG(t != NULL, "%s", err.msg);
  if (t) {
    al_tok_encoder *e = al_tok_encoder_new(t, 0);
    al_tok_ids ids = {0};
    static const int32_t want1[] = {2, 287, 292, 3};
    al_tok_encode(e, "hello world", 11, true, TOK_NO_LIMIT, &ids, &err);
    CHECK_EQ_INT(ids.len, 4);
    for (size_t i = 0; i < 4 && i < ids.len; i++) CHECK_EQ_INT(ids.v[i], want1[i]);
    static const int32_t want2[] = {2, 115, 273, 118, 211, 185, 272, 299, 111, 65, 272, 136, 272, 137, 272, 3};
    const char *s2 = "cafe\xcc\x81 data_1 x\xc2\xa0y";
    al_tok_encode(e, s2, strlen(s2), true, TOK_NO_LIMIT, &ids, &err);
    CHECK_EQ_INT(ids.len, 16);
    for (size_t i = 0; i < 16 && i < ids.len; i++) CHECK_EQ_INT(ids.v[i], want2[i]);
    al_tok_encode(e, "hello world test data", 21, true, 3, &ids, &err);
    CHECK_EQ_INT(ids.len, 3);
    al_tok_ids_free(&ids);
    al_tok_encoder_free(e);
    al_tok_bpe_free(t);
  }
  ts_rmtree(tmp);
  free(tmp);
  al_buf_free(&c);
}

static void test_untrained(void) {
  al_tok_train_opts o;
  al_tok_train_opts_default(&o);
  char *tmp = ts_mkdtemp("tokempty");
  al_err err = {0};
  size_t nv, nm;
  CHECK_EQ_INT(al_tok_train("", 0, &o, tmp, &nv, &nm, &err), 0);
  CHECK_EQ_INT(nv, 279);
  CHECK_EQ_INT(nm, 0);
  /* an invalid corpus is refused */
  CHECK_EQ_INT(al_tok_train("\xff", 1, &o, tmp, &nv, &nm, &err), -1);
  CHECK_CONTAINS(err.msg, "UTF-8");
  ts_rmtree(tmp);
  free(tmp);
}

int main(void) {
  RUN(test_train_cases);
  RUN(test_spec_vectors);
  RUN(test_untrained);
  return TEST_REPORT();
}
