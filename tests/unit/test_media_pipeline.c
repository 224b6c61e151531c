/* Pipeline rows for the media files of tests/data/pipeline equal the original worker's
 * (samples.jsonl, max_seq_len 64, and samples_edge_max_seq_len.jsonl, 0..3), through
 * med_build_sample, the function the worker and `sample` use. Files the original cannot
 * read but this build can (WebP) must give a row; every other original skip a skip. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "harness.h"
#include "media/media.h"
#include "support.h"

static med_set SET;

static int loaded(al_tok_modality m) {
  return (m == TOK_MOD_IMAGE && SET.image) || (m == TOK_MOD_AUDIO && SET.audio) || (m == TOK_MOD_VIDEO && SET.video);
}

static int same_ids(const al_tok_ids *a, json_t *arr) {
  if (!json_is_array(arr) || json_array_size(arr) != a->len) return 0;
  for (size_t i = 0; i < a->len; i++)
    if (a->v[i] != json_integer_value(json_array_get(arr, i))) return 0;
  return 1;
}

/* Returns the number of media rows checked in file rel; counts per modality in n[]. */
static size_t check_file(const char *rel, int edge, size_t n[4]) {
  char *path = ts_data_path(rel);
  FILE *f = fopen(path, "r");
  CHECK_MSG(f != NULL, "%s", path);
  free(path);
  if (!f) return 0;
  char line[1 << 17];
  size_t rows = 0;
  while (fgets(line, sizeof line, f)) {
    json_t *row = json_loads(line, 0, NULL);
    const char *p = json_string_value(json_object_get(row, "path"));
    char *r = al_xasprintf("pipeline/raw/%s", p);
    char *fp = ts_data_path(r);
    free(r);
    al_tok_modality m = al_tok_classify(fp);
    int64_t msl = edge ? json_integer_value(json_object_get(row, "max_seq_len")) : 64;
    if (m >= TOK_MOD_IMAGE && m <= TOK_MOD_VIDEO && loaded(m)) {
      json_t *want = json_object_get(row, "worker");
      al_tok_sample s = {0};
      al_err err = {0};
      al_tok_sample_status st = med_build_sample(&SET, m, fp, msl, &s, &err);
      const char *ext = strrchr(p, '.');
      int ours_only = ext && strcasecmp(ext, ".webp") == 0;
      if (json_is_object(want)) {
        CHECK_MSG(st == TOK_SAMPLE_OK, "%s (max_seq_len %lld): %s", p, (long long)msl, err.msg);
        CHECK_MSG(st != TOK_SAMPLE_OK || same_ids(&s.ids, json_object_get(want, "input_ids")),
                  "%s (max_seq_len %lld): input_ids differ", p, (long long)msl);
        CHECK_MSG(st != TOK_SAMPLE_OK || same_ids(&s.mask, json_object_get(want, "modality_mask")),
                  "%s (max_seq_len %lld): modality_mask differs", p, (long long)msl);
      } else if (ours_only) {
        CHECK_MSG(st == TOK_SAMPLE_OK, "%s: %s", p, err.msg);
      } else {
        CHECK_MSG(st == TOK_SAMPLE_ERROR && err.msg[0], "%s: the original skips it (%s)", p,
                  json_string_value(json_object_get(row, "worker_skip_reason")));
      }
      al_tok_sample_free(&s);
      n[m]++;
      rows++;
    }
    free(fp);
    json_decref(row);
  }
  fclose(f);
  return rows;
}

static void test_rows(void) {
  size_t n[4] = {0};
  size_t rows = check_file("pipeline/samples.jsonl", 0, n);
  rows += check_file("pipeline/samples_edge_max_seq_len.jsonl", 1, n);
  fprintf(stderr, "media rows checked: %zu (image %zu, audio %zu, video %zu)\n", rows, n[1], n[2], n[3]);
  CHECK(n[TOK_MOD_IMAGE] >= 8);
}

static void test_no_tokenizer(void) {
  med_set empty = {0};
  al_tok_sample s = {0};
  al_err err = {0};
  CHECK(med_build_sample(&empty, TOK_MOD_IMAGE, "x.png", 64, &s, &err) == TOK_SAMPLE_ERROR);
  CHECK_EQ_STR(err.msg, "no tokenizer for modality 'image'");
  al_tok_sample_free(&s);
}

int main(void) {
  char *dir = ts_data_path("pipeline/tokenizers");
  al_err err = {0};
  CHECK_MSG(med_set_load(dir, &SET, &err) == 0, "%s", err.msg);
  free(dir);
  RUN(test_rows);
  RUN(test_no_tokenizer);
  med_set_clear(&SET);
  return TEST_REPORT();
}
