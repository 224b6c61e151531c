/* index.json: shards and skipped files of several tasks, results arriving out of order
 * and twice, relative paths, totals, skip reasons, atomic write. */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "shard/index.h"
#include "shard/shard.h"
#include "support.h"

static shard_writer *write_task(const char *root, const char *task, int samples, int base) {
  char *dir = al_xasprintf("%s/%s", root, task);
  al_err err;
  CHECK(shard_dir_reset(dir, &err) >= 0);
  shard_writer *w = shard_writer_open(dir, 8, 2, &err);
  for (int i = 0; i < samples; i++) {
    int32_t ids[4] = {2, base + i, base + i + 1, 3};
    char src[64];
    snprintf(src, sizeof src, "/data/in/%s_%d.txt", task, i);
    CHECK_EQ_INT(shard_writer_add_raw(w, ids, NULL, 4, src, &err), 0);
  }
  CHECK_EQ_INT(shard_writer_finish(w, &err), 0);
  free(dir);
  return w;
}

static void put(shard_index *x, const char *task, shard_writer *w, const shard_skip *sk, size_t nsk) {
  shard_index_put_task(x, task, shard_writer_count(w) ? shard_writer_info(w, 0) : NULL,
                       shard_writer_count(w), sk, nsk);
}

static void test_index_json(void) {
  char *root = ts_mkdtemp("shard_index");
  shard_writer *wb = write_task(root, "task_job1_0001", 3, 500);
  shard_writer *wa = write_task(root, "task_job1_0000", 4, 100);
  shard_index *x = shard_index_new(root, "job1", "demo");
  shard_index_set_params(x, 8, 2);
  shard_skip sb[] = {{"/data/in/z.bin", "unclassified"}, {"/data/in/blank.txt", "blank text"}};
  shard_skip sa[] = {{"/data/in/a.py", "no tokenizer"}, {"/data/in/\xff.txt", "unclassified"}};
  /* Task 1 first, then task 0, then task 1 again (a duplicate result). */
  put(x, "job1_0001", wb, sb, 2);
  put(x, "job1_0000", wa, sa, 2);
  put(x, "job1_0001", wb, sb, 2);
  CHECK_EQ_INT(shard_index_nshards(x), 4);
  CHECK_EQ_INT(shard_index_total_samples(x), 7);
  CHECK_EQ_INT(shard_index_nskipped(x), 4);
  al_err err;
  CHECK_EQ_INT(shard_index_write(x, "completed", &err), 0);
  char *path = al_xasprintf("%s/index.json", root);
  size_t len;
  char *text = ts_read_file(path, &len);
  CHECK(text && len > 0 && text[len - 1] == '\n');
  json_error_t je;
  json_t *j = json_loads(text ? text : "", 0, &je);
  CHECK_MSG(j != NULL, "%s", je.text);
  CHECK_EQ_STR(json_string_value(json_object_get(j, "job_id")), "job1");
  CHECK_EQ_STR(json_string_value(json_object_get(j, "job_name")), "demo");
  CHECK_EQ_STR(json_string_value(json_object_get(j, "status")), "completed");
  CHECK_EQ_INT(json_integer_value(json_object_get(j, "max_seq_len")), 8);
  CHECK_EQ_INT(json_integer_value(json_object_get(j, "shard_size")), 2);
  json_t *tot = json_object_get(j, "totals");
  CHECK_EQ_INT(json_integer_value(json_object_get(tot, "shards")), 4);
  CHECK_EQ_INT(json_integer_value(json_object_get(tot, "samples")), 7);
  CHECK_EQ_INT(json_integer_value(json_object_get(tot, "tokens")), 28);
  CHECK_EQ_INT(json_integer_value(json_object_get(tot, "files")), 11);
  CHECK_EQ_INT(json_integer_value(json_object_get(tot, "skipped")), 4);
  uint64_t bytes = 0;
  json_t *shards = json_object_get(j, "shards");
  CHECK_EQ_INT(json_array_size(shards), 4);
  const char *want_paths[4] = {"task_job1_0000/shard_000000.safetensors",
                               "task_job1_0000/shard_000001.safetensors",
                               "task_job1_0001/shard_000000.safetensors",
                               "task_job1_0001/shard_000001.safetensors"};
  for (size_t i = 0; i < 4; i++) {
    json_t *s = json_array_get(shards, i);
    CHECK_EQ_STR(json_string_value(json_object_get(s, "path")), want_paths[i]);
    shard_writer *w = i < 2 ? wa : wb;
    const shard_info *info = shard_writer_info(w, i % 2);
    CHECK_EQ_STR(json_string_value(json_object_get(s, "sha256")), info->sha256);
    CHECK_EQ_INT(json_integer_value(json_object_get(s, "bytes")), info->bytes);
    CHECK_EQ_INT(json_integer_value(json_object_get(s, "samples")), info->samples);
    CHECK_EQ_INT(json_integer_value(json_object_get(s, "tokens")), info->samples * 4);
    json_t *src = json_object_get(s, "sources");
    CHECK_EQ_INT(json_array_size(src), info->nsources);
    CHECK_EQ_STR(json_string_value(json_array_get(src, 0)), info->sources[0]);
    bytes += info->bytes;
    /* the file the manifest names exists with that size */
    char *p = al_xasprintf("%s/%s", root, want_paths[i]);
    size_t flen = 0;
    char *fb = ts_read_file(p, &flen);
    CHECK_EQ_INT(flen, info->bytes);
    free(fb);
    free(p);
  }
  CHECK_EQ_INT(json_integer_value(json_object_get(tot, "bytes")), bytes);
  json_t *sk = json_object_get(j, "skipped");
  CHECK_EQ_INT(json_array_size(sk), 4);
  CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(sk, 0), "path")), "/data/in/a.py");
  CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(sk, 0), "reason")), "no tokenizer");
  CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(sk, 1), "path")), "/data/in/blank.txt");
  CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(sk, 3), "path")), "/data/in/\xEF\xBF\xBD.txt");
  json_t *reasons = json_object_get(j, "skip_reasons");
  CHECK_EQ_INT(json_integer_value(json_object_get(reasons, "unclassified")), 2);
  CHECK_EQ_INT(json_integer_value(json_object_get(reasons, "blank text")), 1);
  CHECK_EQ_INT(json_integer_value(json_object_get(reasons, "no tokenizer")), 1);
  json_decref(j);
  free(text);
  /* No temporary left next to it; a rewrite with another status replaces it. */
  DIR *d = opendir(root);
  struct dirent *de;
  int tmps = 0;
  while ((de = readdir(d)) != NULL) tmps += strstr(de->d_name, ".tmp.") != NULL;
  closedir(d);
  CHECK_EQ_INT(tmps, 0);
  shard_index_drop_task(x, "job1_0001");
  CHECK_EQ_INT(shard_index_write(x, "completed_with_errors", &err), 0);
  text = ts_read_file(path, &len);
  j = json_loads(text ? text : "", 0, &je);
  CHECK_EQ_STR(json_string_value(json_object_get(j, "status")), "completed_with_errors");
  CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(j, "totals"), "samples")), 4);
  json_decref(j);
  free(text);
  /* Unwritable root: the error names the path. */
  shard_index *bad = shard_index_new("/proc/no_such_dir/out", NULL, NULL);
  CHECK_EQ_INT(shard_index_write(bad, "failed", &err), -1);
  CHECK_CONTAINS(err.msg, "/proc/no_such_dir");
  char *empty = shard_index_to_json(bad, "failed");
  j = json_loads(empty, 0, &je);
  CHECK(json_is_null(json_object_get(j, "job_id")));
  CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(j, "totals"), "shards")), 0);
  json_decref(j);
  free(empty);
  shard_index_free(bad);
  shard_index_free(x);
  shard_writer_free(wa);
  shard_writer_free(wb);
  free(path);
  ts_rmtree(root);
  free(root);
}

/* Many tasks put, replaced and dropped in any order: every count stays exact (the
 * index is keyed by task id, so a 1M-task job's manifest is linear to build). */
static void test_many_tasks(void) {
  shard_index *x = shard_index_new("/out", "job", NULL);
  enum { N = 300000 };
  char id[32], path[128];
  for (int i = 0; i < N; i++) {
    snprintf(id, sizeof id, "job-%06d", i);
    snprintf(path, sizeof path, "/out/task_%s/shard_000000.safetensors", id);
    shard_info si = {.path = path, .name = path, .samples = 1, .tokens = 3, .bytes = 80};
    shard_index_put_task(x, id, &si, 1, NULL, 0);
  }
  CHECK_EQ_INT(shard_index_nshards(x), N);
  /* a result delivered again replaces the earlier one */
  for (int i = 0; i < N; i += 3) {
    snprintf(id, sizeof id, "job-%06d", i);
    snprintf(path, sizeof path, "/out/task_%s/shard_000000.safetensors", id);
    shard_info si = {.path = path, .name = path, .samples = 2, .tokens = 3, .bytes = 80};
    shard_index_put_task(x, id, &si, 1, NULL, 0);
  }
  CHECK_EQ_INT(shard_index_nshards(x), N);
  CHECK_EQ_INT(shard_index_total_samples(x), N + N / 3);
  /* dropping moves the last entry into the hole; every task stays findable */
  for (int i = 1; i < N; i += 2) {
    snprintf(id, sizeof id, "job-%06d", i);
    shard_index_drop_task(x, id);
  }
  CHECK_EQ_INT(shard_index_nshards(x), N / 2);
  for (int i = 1; i < N; i += 2) { /* dropping again is a no-op */
    snprintf(id, sizeof id, "job-%06d", i);
    shard_index_drop_task(x, id);
  }
  CHECK_EQ_INT(shard_index_nshards(x), N / 2);
  for (int i = 0; i < N; i += 2) { /* the survivors: replace each once more */
    snprintf(id, sizeof id, "job-%06d", i);
    snprintf(path, sizeof path, "/out/task_%s/shard_000000.safetensors", id);
    shard_info si = {.path = path, .name = path, .samples = 5, .tokens = 3, .bytes = 80};
    shard_index_put_task(x, id, &si, 1, NULL, 0);
  }
  CHECK_EQ_INT(shard_index_nshards(x), N / 2);
  CHECK_EQ_INT(shard_index_total_samples(x), (N / 2) * 5);
  shard_index_free(x);
}

int main(void) {
  RUN(test_index_json);
  RUN(test_many_tasks);
  return TEST_REPORT();
}
