/* The real auralith-pipeline binary: encode, classify, train-tokenizer. */
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "harness.h"
#include "support.h"

static int run(char *const argv[], const char *in, char **out, char **err) {
  return ts_run(argv, in, out, err, 60);
}

static void test_encode(void) {
  char *tok = ts_data_path("text/tok_full");
  char *root = ts_data_path("pipeline/tokenizers");
  char *out = NULL, *err = NULL;
  char *a1[] = {(char *)ts_pipeline_bin(), "encode", "-t", tok, NULL};
  CHECK_EQ_INT(run(a1, "hello world", &out, &err), 0);
  CHECK_EQ_STR(out, "[2, 342, 1945, 1507, 346, 936, 3]\n");
  free(out);
  free(err);
  /* the tokenizers root form, a file argument and --max-length */
  char *notes = ts_data_path("pipeline/raw/notes.txt");
  char *a2[] = {(char *)ts_pipeline_bin(), "encode", "-t", root, "--max-length", "3", notes, NULL};
  CHECK_EQ_INT(run(a2, NULL, &out, &err), 0);
  CHECK_EQ_STR(out, "[2, 311, 914]\n");
  free(out);
  free(err);
  char *a3[] = {(char *)ts_pipeline_bin(), "encode", "-t", tok, "--jsonl", "--no-special-tokens", "-", NULL};
  CHECK_EQ_INT(run(a3, "{\"text\": \"hi there\"}\n\n{\"text\": \"x\"}\n", &out, &err), 0);
  CHECK_EQ_STR(out, "[342, 1118, 1194, 906]\n[1259]\n");
  free(out);
  free(err);
  /* negative max-length follows Python slicing */
  char *a4[] = {(char *)ts_pipeline_bin(), "encode", "-t", tok, "--max-length", "-1", NULL};
  CHECK_EQ_INT(run(a4, "", &out, &err), 0);
  CHECK_EQ_STR(out, "[2]\n");
  free(out);
  free(err);
  /* errors */
  CHECK_EQ_INT(run(a3, "{\"text\": 1}\n", &out, &err), 1);
  CHECK_CONTAINS(err, "-:1");
  free(out);
  free(err);
  CHECK_EQ_INT(run(a3, "not json\n", &out, &err), 1);
  CHECK_CONTAINS(err, "invalid JSON");
  free(out);
  free(err);
  char *a5[] = {(char *)ts_pipeline_bin(), "encode", "-t", "/nonexistent_tok_dir", NULL};
  CHECK_EQ_INT(run(a5, "x", &out, &err), 1);
  CHECK_CONTAINS(err, "/nonexistent_tok_dir/vocab.json");
  free(out);
  free(err);
  char *a6[] = {(char *)ts_pipeline_bin(), "encode", NULL};
  CHECK_EQ_INT(run(a6, "x", &out, &err), 2);
  free(out);
  free(err);
  char *a7[] = {(char *)ts_pipeline_bin(), "encode", "-t", tok, "/nonexistent/in.txt", NULL};
  CHECK_EQ_INT(run(a7, NULL, &out, &err), 1);
  CHECK_CONTAINS(err, "/nonexistent/in.txt");
  free(out);
  free(err);
  free(notes);
  free(tok);
  free(root);
}

static void test_classify(void) {
  char *out = NULL, *err = NULL;
  char *a1[] = {(char *)ts_pipeline_bin(), "classify", "a.py", "images/x.npy", "Makefile", "x.\xe2\x84\xaats", NULL};
  CHECK_EQ_INT(run(a1, NULL, &out, &err), 0);
  CHECK_EQ_STR(out, "a.py\tcode\nimages/x.npy\timage\nMakefile\tnull\nx.\xe2\x84\xaats\tcode\n");
  free(out);
  free(err);
  char *a2[] = {(char *)ts_pipeline_bin(), "classify", "--json", "a.md", "b", NULL};
  CHECK_EQ_INT(run(a2, NULL, &out, &err), 0);
  CHECK_EQ_STR(out, "{\"path\":\"a.md\",\"modality\":\"text\"}\n{\"path\":\"b\",\"modality\":null}\n");
  free(out);
  free(err);
  char *a3[] = {(char *)ts_pipeline_bin(), "classify", NULL};
  CHECK_EQ_INT(run(a3, NULL, &out, &err), 2);
  free(out);
  free(err);
}

static void test_train(void) {
  char *tmp = ts_mkdtemp("tokcli");
  char *corpus_dir = al_xasprintf("%s/corpus", tmp);
  char *f1 = al_xasprintf("%s/b/z.txt", corpus_dir);
  char *f2 = al_xasprintf("%s/a.txt", corpus_dir);
  char *f3 = al_xasprintf("%s/skip.md", corpus_dir);
  const char *t1 = "hello world test data ";
  al_buf big = {0};
  for (int i = 0; i < 100; i++) al_buf_puts(&big, t1);
  ts_write_file(f1, big.data, big.len);
  al_buf xy = {0};
  for (int i = 0; i < 100; i++) al_buf_puts(&xy, "xy ");
  ts_write_file(f2, xy.data, xy.len); /* ties with "h e": the file read first wins */
  al_buf_free(&xy);
  ts_write_file(f3, "zzzz zzzz", 9);
  char *outdir = al_xasprintf("%s/out", tmp);
  char *out = NULL, *err = NULL;
  char *a1[] = {(char *)ts_pipeline_bin(), "train-tokenizer", "text", "--corpus", corpus_dir, "-o", outdir,
                "--vocab-size", "500", "--min-frequency", "1", NULL};
  CHECK_EQ_INT(run(a1, NULL, &out, &err), 0);
  CHECK_CONTAINS(out, "vocab=");
  free(out);
  free(err);
  char *cfgp = al_xasprintf("%s/config.json", outdir);
  char *cfg = ts_read_file(cfgp, NULL);
  /* default depth: every learned merge */
  char *mp = al_xasprintf("%s/merges.txt", outdir);
  size_t ml = 0;
  char *merges = ts_read_file(mp, &ml);
  int nmerges = 0;
  for (size_t i = 0; merges && i < ml; i++) nmerges += merges[i] == '\n';
  char want[64];
  snprintf(want, sizeof want, "\"max_merge_depth\": %d,", nmerges);
  CHECK_CONTAINS(cfg, want);
  CHECK(merges && strncmp(merges, "x y\n", 4) == 0); /* a.txt comes first: sorted */
  CHECK(merges && !strstr(merges, "z z")); /* .md files are not read */
  free(cfg);
  free(merges);
  char *a2[] = {(char *)ts_pipeline_bin(), "train-tokenizer", "text", "--corpus", f1, "-o", outdir,
                "--vocab-size", "300", "--max-merge-depth", "7", "--max-corpus-size", "40", NULL};
  CHECK_EQ_INT(run(a2, NULL, &out, &err), 0);
  free(out);
  free(err);
  cfg = ts_read_file(cfgp, NULL);
  CHECK_CONTAINS(cfg, "\"max_merge_depth\": 7,");
  CHECK_CONTAINS(cfg, "\"vocab_size\": 300,");
  free(cfg);
  char *a3[] = {(char *)ts_pipeline_bin(), "train-tokenizer", "text", "--help", NULL};
  CHECK_EQ_INT(run(a3, NULL, &out, &err), 0);
  CHECK_CONTAINS(out, "every merge");
  free(out);
  free(err);
  char *a4[] = {(char *)ts_pipeline_bin(), "train-tokenizer", "image", NULL};
  CHECK_EQ_INT(run(a4, NULL, &out, &err), 2); /* media trainers: src/media, test_media_train */
  CHECK_CONTAINS(err, "--images");
  free(out);
  free(err);
  char *empty = al_xasprintf("%s/empty", tmp);
  char *ef = al_xasprintf("%s/x.md", empty);
  ts_write_file(ef, "x", 1);
  char *a5[] = {(char *)ts_pipeline_bin(), "train-tokenizer", "text", "--corpus", empty, "-o", outdir, NULL};
  CHECK_EQ_INT(run(a5, NULL, &out, &err), 1);
  CHECK_CONTAINS(err, "no .txt files");
  free(out);
  free(err);
  char *bad = al_xasprintf("%s/bad.txt", tmp);
  ts_write_file(bad, "ok \xff no", 7);
  char *a6[] = {(char *)ts_pipeline_bin(), "train-tokenizer", "text", "--corpus", bad, "-o", outdir, NULL};
  CHECK_EQ_INT(run(a6, NULL, &out, &err), 1);
  CHECK_CONTAINS(err, "offset 3");
  free(out);
  free(err);
  char *a7[] = {(char *)ts_pipeline_bin(), "train-tokenizer", "text", "--corpus", "/nonexistent_corpus", "-o", outdir, NULL};
  CHECK_EQ_INT(run(a7, NULL, &out, &err), 2);
  CHECK_CONTAINS(err, "/nonexistent_corpus");
  free(out);
  free(err);
  ts_rmtree(tmp);
  free(bad);
  free(ef);
  free(empty);
  free(mp);
  free(cfgp);
  free(outdir);
  free(f1);
  free(f2);
  free(f3);
  free(corpus_dir);
  free(tmp);
  al_buf_free(&big);
}

int main(void) {
  RUN(test_encode);
  RUN(test_classify);
  RUN(test_train);
  return TEST_REPORT();
}
