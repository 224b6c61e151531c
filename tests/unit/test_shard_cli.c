/* `auralith-pipeline inspect` as a real process: header, a row, decoding a row back to
 * text with the reference tokenizer, JSON output, and the error paths' exit codes. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "auralith/tokenizer.h"
#include "harness.h"
#include "shard/shard.h"
#include "support.h"

static const char *TEXT = "hello world the quick brown fox";

/* A shard whose row 1 is the encoding of TEXT with the reference tokenizer. */
static char *make_shard(char **dir_out) {
  char *dir = ts_mkdtemp("shard_cli");
  char *tokdir = ts_data_path("text/tok_depth50");
  al_err err;
  al_tok_bpe *bpe = al_tok_bpe_load(tokdir, &err);
  CHECK_MSG(bpe != NULL, "%s", err.msg);
  al_tok_encoder *enc = bpe ? al_tok_encoder_new(bpe, 0) : NULL;
  al_tok_ids ids = {0};
  if (enc) CHECK_EQ_INT(al_tok_encode(enc, TEXT, strlen(TEXT), true, 64, &ids, &err), 0);
  shard_writer *w = shard_writer_open(dir, 64, 8, &err);
  int32_t first[3] = {2, 400, 3};
  uint8_t code[3] = {4, 4, 4};
  CHECK_EQ_INT(shard_writer_add_raw(w, first, code, 3, "a.py", &err), 0);
  CHECK_EQ_INT(shard_writer_add_raw(w, ids.v, NULL, ids.len, "b.txt", &err), 0);
  CHECK_EQ_INT(shard_writer_finish(w, &err), 0);
  char *path = al_xstrdup(shard_writer_info(w, 0)->path);
  shard_writer_free(w);
  al_tok_ids_free(&ids);
  al_tok_encoder_free(enc);
  al_tok_bpe_free(bpe);
  free(tokdir);
  *dir_out = dir;
  return path;
}

static void test_inspect_cli(void) {
  char *dir;
  char *path = make_shard(&dir);
  char *tokdir = ts_data_path("text/tok_depth50");
  const char *bin = ts_pipeline_bin();
  char *out = NULL, *err = NULL;

  char *a1[] = {(char *)bin, "inspect", path, NULL};
  CHECK_EQ_INT(ts_run(a1, NULL, &out, &err, 30), 0);
  CHECK_CONTAINS(out, "pipeline_version: 2.0");
  CHECK_CONTAINS(out, "num_samples: 2");
  CHECK_CONTAINS(out, "targets          I32   [2, 64]  offsets [512, 1024]");
  CHECK_CONTAINS(out, "auralith shard: yes");
  free(out);
  free(err);

  char *a2[] = {(char *)bin, "inspect", path, "--sample", "1", "-t", tokdir, "--skip-special", NULL};
  CHECK_EQ_INT(ts_run(a2, NULL, &out, &err, 30), 0);
  CHECK_CONTAINS(out, "sample 1:");
  CHECK_CONTAINS(out, "input_ids: [2, ");
  char *want = al_xasprintf("text: %s", TEXT);
  CHECK_CONTAINS(out, want);
  free(want);
  free(out);
  free(err);

  char *a3[] = {(char *)bin, "inspect", "--json", "--sample", "0", path, NULL};
  CHECK_EQ_INT(ts_run(a3, NULL, &out, &err, 30), 0);
  json_error_t je;
  json_t *j = json_loads(out ? out : "", 0, &je);
  CHECK_MSG(j != NULL, "inspect --json output is not JSON: %s", je.text);
  json_t *s = json_object_get(j, "sample");
  CHECK_EQ_INT(json_integer_value(json_array_get(json_object_get(s, "input_ids"), 1)), 400);
  CHECK_EQ_INT(json_integer_value(json_array_get(json_object_get(s, "modality_mask"), 0)), 4);
  json_decref(j);
  free(out);
  free(err);

  /* Errors: out-of-range row (1), corrupt file (1), no file argument (2), bad N (2). */
  char *a4[] = {(char *)bin, "inspect", path, "--sample", "2", NULL};
  CHECK_EQ_INT(ts_run(a4, NULL, &out, &err, 30), 1);
  CHECK_CONTAINS(err, "sample 2 is out of range");
  free(out);
  free(err);
  char *bad = al_xasprintf("%s/cut.safetensors", dir);
  size_t len;
  char *bytes = ts_read_file(path, &len);
  ts_write_file(bad, bytes, len - 10);
  free(bytes);
  char *a5[] = {(char *)bin, "inspect", bad, NULL};
  CHECK_EQ_INT(ts_run(a5, NULL, &out, &err, 30), 1);
  CHECK_CONTAINS(err, "cut.safetensors");
  CHECK_CONTAINS(err, "file length");
  free(out);
  free(err);
  char *a6[] = {(char *)bin, "inspect", NULL};
  CHECK_EQ_INT(ts_run(a6, NULL, &out, &err, 30), 2);
  free(out);
  free(err);
  char *a7[] = {(char *)bin, "inspect", path, "--sample", "-3", NULL};
  CHECK_EQ_INT(ts_run(a7, NULL, &out, &err, 30), 2);
  free(out);
  free(err);
  char *a8[] = {(char *)bin, "inspect", path, "--sample", "0", "-t", "/nonexistent/tok", NULL};
  CHECK_EQ_INT(ts_run(a8, NULL, &out, &err, 30), 1);
  CHECK_CONTAINS(err, "/nonexistent/tok");
  free(out);
  free(err);

  free(bad);
  free(tokdir);
  free(path);
  ts_rmtree(dir);
  free(dir);
}

int main(void) {
  RUN(test_inspect_cli);
  return TEST_REPORT();
}
