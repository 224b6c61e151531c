/* Loader errors, the rank-merging proof check with its sequential fallback (against a
 * literal re-implementation of the original's rule-by-rule merging on random merge
 * lists), thread sharing, and linear time on pathological inputs. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "harness.h"
#include "support.h"

static char *TMP;

static void write_tok(const char *dir, const char *vocab, const char *merges, const char *config) {
  char *p;
  if (vocab) { p = al_xasprintf("%s/vocab.json", dir); ts_write_file(p, vocab, strlen(vocab)); free(p); }
  if (merges) { p = al_xasprintf("%s/merges.txt", dir); ts_write_file(p, merges, strlen(merges)); free(p); }
  if (config) { p = al_xasprintf("%s/config.json", dir); ts_write_file(p, config, strlen(config)); free(p); }
}

static void expect_load_error(const char *name, const char *vocab, const char *merges, const char *config,
                              const char *want1, const char *want2) {
  char *dir = al_xasprintf("%s/%s", TMP, name);
  write_tok(dir, vocab, merges, config);
  al_err err = {0};
  al_tok_bpe *t = al_tok_bpe_load(dir, &err);
  CHECK_MSG(t == NULL, "%s loaded", name);
  al_tok_bpe_free(t);
  CHECK_CONTAINS(err.msg, want1);
  if (want2) CHECK_CONTAINS(err.msg, want2);
  free(dir);
}

static const char *CFG = "{\"vocab_size\": 10, \"max_merge_depth\": 5, \"lowercase\": false}";

static void test_load_errors(void) {
  expect_load_error("nomerges", "{\"a\": 300}", NULL, CFG, "merges.txt", "no such file");
  expect_load_error("noconfig", "{\"a\": 300}", "", NULL, "config.json", "no such file");
  expect_load_error("badjson", "{\"a\": 300,\n \"b\" 3}", "", CFG, "vocab.json:2:", "invalid JSON");
  expect_load_error("badid", "{\"a\": \"x\"}", "", CFG, "vocab.json", "\"a\"");
  expect_load_error("badmerge", "{\"a\": 300}", "a b\n\nab\n", CFG, "merges.txt:3", "space");
  expect_load_error("badutf8", "{\"a\": 300}", "a b\n\xff c\n", CFG, "merges.txt:2", "UTF-8");
  expect_load_error("badcfg", "{\"a\": 300}", "", "{\"max_merge_depth\": \"x\"}", "config.json", "max_merge_depth");
  expect_load_error("cfgnotobj", "{\"a\": 300}", "", "[1]", "config.json", "object");
  /* a root whose text/ lacks files names the file inside text/ */
  char *root = al_xasprintf("%s/root/text", TMP);
  write_tok(root, "{\"a\": 300}", NULL, CFG);
  char *rootdir = al_xasprintf("%s/root", TMP);
  al_err err = {0};
  CHECK(al_tok_bpe_load(rootdir, &err) == NULL);
  CHECK_CONTAINS(err.msg, "root/text/merges.txt");
  free(root);
  free(rootdir);
  CHECK(al_tok_bpe_load("/nonexistent_tokenizer_dir", &err) == NULL);
  CHECK_CONTAINS(err.msg, "/nonexistent_tokenizer_dir/vocab.json");
}

/* ---- literal reference: the original's algorithm on strings ---- */
typedef struct strv {
  char **v;
  size_t n;
} strv;

static void ref_word(const char *w, char **ml, char **mr, size_t depth, char **vk, int *vv, size_t nv,
                     al_tok_ids *out) {
  strv s = {al_xcalloc(strlen(w) + 2, sizeof(char *)), 0};
  for (const char *p = w; *p; p++) s.v[s.n++] = al_xstrndup(p, 1);
  s.v[s.n++] = al_xstrdup("</w>");
  for (size_t k = 0; k < depth; k++) {
    size_t o = 0;
    for (size_t i = 0; i < s.n;) {
      if (i + 1 < s.n && strcmp(s.v[i], ml[k]) == 0 && strcmp(s.v[i + 1], mr[k]) == 0) {
        char *c = al_xasprintf("%s%s", s.v[i], s.v[i + 1]);
        free(s.v[i]);
        free(s.v[i + 1]);
        s.v[o++] = c;
        i += 2;
      } else {
        s.v[o++] = s.v[i++];
      }
    }
    s.n = o;
  }
  for (size_t i = 0; i < s.n; i++) {
    int id = -1;
    for (size_t j = 0; j < nv; j++)
      if (strcmp(vk[j], s.v[i]) == 0) id = vv[j];
    if (id >= 0) {
      al_tok_ids_push(out, id);
    } else {
      for (const char *p = s.v[i]; *p; p++) {
        char one[2] = {*p, 0};
        int cid = -1;
        for (size_t j = 0; j < nv; j++)
          if (strcmp(vk[j], one) == 0) cid = vv[j];
        al_tok_ids_push(out, cid >= 0 ? cid : 16 + (unsigned char)*p);
      }
    }
    free(s.v[i]);
  }
  free(s.v);
}

static void test_random_merge_lists(void) {
  unsigned seed = 12345;
  int rank_seen = 0, seq_seen = 0, words_checked = 0, mismatches = 0;
  for (int round = 0; round < 60; round++) {
    /* symbols: a b c plus merge results; some rounds pick parts that are only produced
     * later (breaking the rank-order proof) */
    char *syms[64];
    size_t ns = 0;
    syms[ns++] = al_xstrdup("a");
    syms[ns++] = al_xstrdup("b");
    syms[ns++] = al_xstrdup("c");
    syms[ns++] = al_xstrdup("</w>");
    char *ml[24], *mr[24];
    size_t nm = 0;
    bool wild = round % 2 == 1;
    while (nm < 20) {
      seed = seed * 1103515245u + 12345u;
      size_t i = (seed >> 8) % ns, j = (seed >> 16) % ns;
      if (strcmp(syms[i], "</w>") == 0) continue;
      char *l = syms[i], *r = syms[j];
      char *cat = al_xasprintf("%s%s", l, r);
      if (strlen(cat) > 6) { free(cat); continue; }
      ml[nm] = al_xstrdup(l);
      mr[nm] = al_xstrdup(r);
      nm++;
      bool known = false;
      for (size_t k = 0; k < ns; k++) known |= strcmp(syms[k], cat) == 0;
      if (!known && ns < 64) syms[ns++] = cat;
      else free(cat);
      if (wild && nm == 10) {
        /* a rule whose part ("ab"/"ba") may be produced only later */
        ml[nm] = al_xstrdup("ab");
        mr[nm] = al_xstrdup("c");
        nm++;
        ml[nm] = al_xstrdup("a");
        mr[nm] = al_xstrdup("b");
        nm++;
      }
    }
    /* vocab: specials-free small map: chars a,b (not c: it falls back to bytes), results */
    char *vk[96];
    int vv[96];
    size_t nv = 0;
    al_buf vj = {0};
    al_buf_puts(&vj, "{");
    int next = 272;
    const char *base[] = {"a", "b", "</w>"};
    for (int k = 0; k < 3; k++) { vk[nv] = al_xstrdup(base[k]); vv[nv++] = next++; }
    for (size_t k = 0; k < nm && nv < 96; k++) {
      char *cat = al_xasprintf("%s%s", ml[k], mr[k]);
      bool have = false;
      for (size_t q = 0; q < nv; q++) have |= strcmp(vk[q], cat) == 0;
      if (have) { free(cat); continue; }
      vk[nv] = cat;
      vv[nv++] = next++;
    }
    for (size_t k = 0; k < nv; k++) al_buf_printf(&vj, "%s\"%s\": %d", k ? ", " : "", vk[k], vv[k]);
    al_buf_puts(&vj, "}");
    al_buf mj = {0};
    for (size_t k = 0; k < nm; k++) al_buf_printf(&mj, "%s %s\n", ml[k], mr[k]);
    size_t depth = (round % 3 == 0) ? nm / 2 : nm;
    char cfg[128];
    snprintf(cfg, sizeof cfg, "{\"max_merge_depth\": %zu}", depth);
    char *dir = al_xasprintf("%s/rand%d", TMP, round);
    write_tok(dir, al_buf_cstr(&vj), al_buf_cstr(&mj), cfg);
    al_err err = {0};
    al_tok_bpe *t = al_tok_bpe_load(dir, &err);
    CHECK_MSG(t != NULL, "%s", err.msg);
    if (t) {
      if (al_tok_bpe_rank_merging(t)) rank_seen++;
      else seq_seen++;
      al_tok_encoder *e = al_tok_encoder_new(t, 0);
      for (int w = 0; w < 41; w++) {
        char word[6000];
        seed = seed * 1103515245u + 12345u;
        /* short words and long ones (the heap-based path) */
        int len = w == 40 ? 5000 + (int)((seed >> 8) % 900) /* bucket-queue path */
                  : w % 8 == 7 ? 60 + (int)((seed >> 8) % 60) : 1 + (int)((seed >> 8) % 12);
        for (int k = 0; k < len; k++) {
          seed = seed * 1103515245u + 12345u;
          word[k] = "abc"[(seed >> 12) % 3];
        }
        word[len] = 0;
        al_tok_ids got = {0}, want = {0};
        al_tok_encode(e, word, (size_t)len, false, TOK_NO_LIMIT, &got, &err);
        ref_word(word, ml, mr, depth, vk, vv, nv, &want);
        bool same = got.len == want.len && memcmp(got.v, want.v, got.len * sizeof(int32_t)) == 0;
        mismatches += !same;
        words_checked++;
        CHECK_MSG(same, "round %d word %s (rank merging %d)", round, word, al_tok_bpe_rank_merging(t));
        al_tok_ids_free(&got);
        al_tok_ids_free(&want);
      }
      al_tok_encoder_free(e);
      al_tok_bpe_free(t);
    }
    free(dir);
    al_buf_free(&vj);
    al_buf_free(&mj);
    for (size_t k = 0; k < nv; k++) free(vk[k]);
    for (size_t k = 0; k < nm; k++) { free(ml[k]); free(mr[k]); }
    for (size_t k = 0; k < ns; k++) free(syms[k]);
  }
  fprintf(stderr, "random merge lists: %d words, %d mismatches; %d lists rank-merged, %d sequential\n",
          words_checked, mismatches, rank_seen, seq_seen);
  CHECK(rank_seen > 0);
  CHECK(seq_seen > 0);
}

/* ---- threads share one tokenizer ---- */
typedef struct thr {
  const al_tok_bpe *t;
  const char *text;
  size_t len;
  al_tok_ids ids;
} thr;

static void *thr_main(void *arg) {
  thr *x = arg;
  al_tok_encoder *e = al_tok_encoder_new(x->t, 256); /* small cache: exercises eviction */
  al_err err = {0};
  for (int i = 0; i < 3; i++) al_tok_encode(e, x->text, x->len, true, TOK_NO_LIMIT, &x->ids, &err);
  al_tok_encoder_free(e);
  return NULL;
}

static al_tok_bpe *load_full(void) {
  char *dir = ts_data_path("text/tok_full");
  al_err err = {0};
  al_tok_bpe *t = al_tok_bpe_load(dir, &err);
  CHECK_MSG(t != NULL, "%s", err.msg);
  free(dir);
  return t;
}

static void test_threads(void) {
  al_tok_bpe *t = load_full();
  if (!t) return;
  char *cp = ts_data_path("pipeline/raw/multilingual.txt");
  size_t len;
  al_err err = {0};
  char *text = al_tok_read_text_file(cp, &len, &err);
  CHECK(text != NULL);
  thr x[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    x[i] = (thr){t, text, len, {0}};
    pthread_create(&th[i], NULL, thr_main, &x[i]);
  }
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  al_tok_encoder *e = al_tok_encoder_new(t, 0);
  al_tok_ids ref = {0};
  al_tok_encode(e, text, len, true, TOK_NO_LIMIT, &ref, &err);
  for (int i = 0; i < 4; i++) {
    CHECK(x[i].ids.len == ref.len && memcmp(x[i].ids.v, ref.v, ref.len * 4) == 0);
    al_tok_ids_free(&x[i].ids);
  }
  al_tok_ids_free(&ref);
  al_tok_encoder_free(e);
  free(text);
  free(cp);
  al_tok_bpe_free(t);
}

/* ---- linear time: doubling the input must not quadruple the time ---- */
static double time_encode(al_tok_encoder *e, const char *s, size_t n) {
  al_tok_ids ids = {0};
  al_err err = {0};
  double best = 1e9;
  for (int r = 0; r < 3; r++) {
    double t0 = al_mono_s();
    al_tok_encode(e, s, n, true, TOK_NO_LIMIT, &ids, &err);
    double dt = al_mono_s() - t0;
    if (dt < best) best = dt;
  }
  al_tok_ids_free(&ids);
  return best;
}

static void test_linear(void) {
  al_tok_bpe *t = load_full();
  if (!t) return;
  al_tok_encoder *e = al_tok_encoder_new(t, 0);
  size_t big = 1u << 20;
  char *buf = al_xmalloc(big);
  for (int kind = 0; kind < 3; kind++) {
    unsigned seed = 7;
    for (size_t i = 0; i < big; i++) {
      seed = seed * 1103515245u + 12345u;
      buf[i] = kind == 0 ? "etaoinshrdlu"[(seed >> 10) % 12] : kind == 1 ? 'a' : (char)(seed >> 16);
    }
    double t1 = time_encode(e, buf, big / 4), t2 = time_encode(e, buf, big);
    fprintf(stderr, "kind %d: 256 KiB %.4f s, 1 MiB %.4f s\n", kind, t1, t2);
    /* Timing is reported, not asserted: wall-clock ratios flake on a shared machine.
     * bench/bench_tokenize measures linearity; here the inputs must just finish (the
     * ctest timeout catches a quadratic blow-up on 1 MiB) and give ids. */
    al_tok_ids ids = {0};
    al_err err;
    CHECK(al_tok_encode(e, buf, big, true, TOK_NO_LIMIT, &ids, &err) == 0);
    CHECK(ids.len > 2);
    /* a trimmed (pooled) encoder gives the same ids again */
    al_tok_encoder_trim(e);
    al_tok_ids again = {0};
    CHECK(al_tok_encode(e, buf, big, true, TOK_NO_LIMIT, &again, &err) == 0);
    CHECK(again.len == ids.len && memcmp(again.v, ids.v, ids.len * sizeof *ids.v) == 0);
    al_tok_encoder_trim(e);
    al_tok_ids_free(&again);
    al_tok_ids_free(&ids);
  }
  free(buf);
  al_tok_encoder_free(e);
  al_tok_bpe_free(t);
}

int main(void) {
  TMP = ts_mkdtemp("tokload");
  RUN(test_load_errors);
  RUN(test_random_merge_lists);
  RUN(test_threads);
  RUN(test_linear);
  ts_rmtree(TMP);
  free(TMP);
  return TEST_REPORT();
}
