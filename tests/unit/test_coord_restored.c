/* The check a task restored as completed after a coordinator restart must pass before
 * it counts (coord_outdir_check_shard, coord_commit_check_restored): a real shard
 * written by the shard writer passes; a path outside the output directory, a missing
 * file, a symlink, another size, other rows and a wrong hash each fail with an error
 * naming the shard. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/al.h"
#include "coord/coord_commit.h"
#include "coord/coord_jm.h"
#include "coord/coord_outdir.h"
#include "harness.h"
#include "shard/shard.h"
#include "support.h"

enum { L = 16 };

/* Writes task_<id>/shard_000000.safetensors under root with n rows; fills *info. */
static void write_shard(const char *root, const char *task, int n, shard_info *info) {
  char *dir = al_xasprintf("%s/task_%s", root, task);
  al_err err;
  shard_writer *w = shard_writer_open(dir, L, 100, &err);
  CHECK_MSG(w != NULL, "%s", err.msg);
  int32_t ids[L];
  for (int k = 0; k < L; k++) ids[k] = k + 1;
  for (int i = 0; i < n; i++) CHECK_EQ_INT(shard_writer_add_raw(w, ids, NULL, 5, "in/a.txt", &err), 0);
  CHECK_EQ_INT(shard_writer_finish(w, &err), 0);
  CHECK_EQ_INT(shard_writer_count(w), 1);
  shard_info_copy(info, shard_writer_info(w, 0));
  shard_writer_free(w);
  free(dir);
}

static void test_check_shard(void) {
  char *root = ts_mkdtemp("restored");
  shard_info info;
  write_shard(root, "j-000000", 3, &info);
  const char *rel = "task_j-000000/shard_000000.safetensors";
  int64_t bytes = (int64_t)info.bytes;
  al_err err;
  al_err_clear(&err);
  CHECK_EQ_INT(coord_outdir_check_shard(root, rel, bytes, 3, L, info.sha256, 1, &err), 0);
  CHECK_EQ_INT(coord_outdir_check_shard(root, rel, bytes, 3, L, NULL, 0, &err), 0); /* header only */
  CHECK_EQ_INT(coord_outdir_check_shard(root, "../x/shard.safetensors", bytes, 3, L, NULL, 0, &err), -1);
  CHECK_CONTAINS(err.msg, "not a path inside the output directory");
  CHECK_EQ_INT(coord_outdir_check_shard(root, "/etc/passwd", bytes, 3, L, NULL, 0, &err), -1);
  CHECK_EQ_INT(coord_outdir_check_shard(root, rel, bytes + 1, 3, L, NULL, 0, &err), -1);
  CHECK_CONTAINS(err.msg, "recorded");
  CHECK_CONTAINS(err.msg, "shard_000000.safetensors");
  CHECK_EQ_INT(coord_outdir_check_shard(root, rel, bytes, 4, L, NULL, 0, &err), -1);
  CHECK_CONTAINS(err.msg, "input_ids is not 4 x 16");
  CHECK_EQ_INT(coord_outdir_check_shard(root, rel, bytes, 3, L * 2, NULL, 0, &err), -1);
  CHECK_EQ_INT(coord_outdir_check_shard(root, rel, bytes, 3, L, "00ff", 1, &err), -1);
  CHECK_CONTAINS(err.msg, "sha256");
  /* a symlink to the real file is not a published shard */
  char *link = al_xasprintf("%s/task_j-000000/shard_000001.safetensors", root);
  CHECK_EQ_INT(symlink(info.path, link), 0);
  CHECK_EQ_INT(coord_outdir_check_shard(root, "task_j-000000/shard_000001.safetensors", bytes, 3, L, NULL, 0, &err),
               -1);
  CHECK_CONTAINS(err.msg, "not a regular file");
  /* deleted after it was recorded */
  CHECK_EQ_INT(unlink(info.path), 0);
  CHECK_EQ_INT(coord_outdir_check_shard(root, rel, bytes, 3, L, NULL, 0, &err), -1);
  CHECK_CONTAINS(err.msg, "No such file");
  free(link);
  shard_info_clear(&info);
  ts_rmtree(root);
  free(root);
}

/* The restored result's shards as a job manager task holds them. */
static void test_check_restored_task(void) {
  char *root = ts_mkdtemp("restored-task");
  shard_info a, b;
  write_shard(root, "j-000000", 2, &a);
  write_shard(root, "j-000001", 1, &b);
  coord_job job;
  memset(&job, 0, sizeof job);
  job.id = "j";
  job.config.output_dir = root;
  job.config.max_seq_len = L;
  coord_shard_info sh[2];
  memset(sh, 0, sizeof sh);
  sh[0].path = "task_j-000000/shard_000000.safetensors";
  sh[0].samples = 2;
  sh[0].bytes = (int64_t)a.bytes;
  /* a --resume task may hold another task directory's shards */
  sh[1].path = "task_j-000001/shard_000000.safetensors";
  sh[1].samples = 1;
  sh[1].bytes = (int64_t)b.bytes;
  char *files[1] = {"in/a.txt"};
  coord_task t;
  memset(&t, 0, sizeof t);
  t.id = "j-000000";
  t.job = &job;
  t.files = files;
  t.n_files = 1;
  t.result.shards = sh;
  t.result.n_shards = 2;
  al_err err;
  al_err_clear(&err);
  CHECK_EQ_INT(coord_commit_check_restored(&t, 0, &err), 0);
  CHECK_EQ_INT(unlink(b.path), 0);
  CHECK_EQ_INT(coord_commit_check_restored(&t, 0, &err), -1);
  CHECK_CONTAINS(err.msg, "task_j-000001/shard_000000.safetensors");
  t.result.n_shards = 0; /* a task that wrote nothing (no_samples) has nothing to check */
  CHECK_EQ_INT(coord_commit_check_restored(&t, 0, &err), 0);
  job.config.output_dir = "/nonexistent/out";
  CHECK_EQ_INT(coord_commit_check_restored(&t, 0, &err), -1);
  CHECK_CONTAINS(err.msg, "/nonexistent/out");
  shard_info_clear(&a);
  shard_info_clear(&b);
  ts_rmtree(root);
  free(root);
}

int main(void) {
  RUN(test_check_shard);
  RUN(test_check_restored_task);
  return TEST_REPORT();
}
