/* Media files inside real worker tasks: a tokenizers directory with only image, audio
 * and video tokenizers runs (text is skipped with a reason, as the original skips it),
 * bad media files are skipped with reasons without failing the task, a broken codebook
 * fails the task naming the file, and loaded media tokenizers are shared between tasks
 * (loaded once). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/al.h"
#include "harness.h"
#include "media/media.h"
#include "support.h"
#include "worker/task_exec.h"

static char *tmp, *raw;

static const char *reason_of(const worker_task_outcome *o, const char *name) {
  for (size_t i = 0; i < o->n_skips; i++) {
    const char *b = strrchr(o->skips[i].path, '/');
    if (b && !strcmp(b + 1, name)) return o->skips[i].reason;
  }
  return NULL;
}

static void copy_dir(const char *from, const char *to) {
  char *cmd = al_xasprintf("cp -r '%s' '%s'", from, to);
  CHECK(system(cmd) == 0);
  free(cmd);
}

static void run_task(const char *tokdir, char **files, size_t n, const char *out, worker_tokcache *c,
                     worker_task_outcome *o) {
  worker_task_spec s = {0};
  s.task_id = al_xstrdup("j-000000");
  s.job_id = al_xstrdup("j");
  s.attempt = 1;
  s.files = al_xmalloc(n * sizeof *s.files);
  for (size_t i = 0; i < n; i++) s.files[i] = al_xstrdup(files[i]);
  s.n_files = n;
  s.tokenizers_dir = al_xstrdup(tokdir);
  s.output_dir = al_xasprintf("%s/%s/task_j-000000", tmp, out);
  s.max_seq_len = 64;
  s.shard_size = 8;
  worker_exec_env env = {.tokenizers = c};
  worker_task_execute(&s, &env, o);
  worker_task_spec_clear(&s);
}

static void test_media_only(void) {
  char *tok = al_xasprintf("%s/tok", tmp);
  mkdir(tok, 0755);
  char *src = ts_data_path("pipeline/tokenizers");
  for (int i = 0; i < 3; i++) {
    static const char *m[3] = {"image", "audio", "video"};
    char *a = al_xasprintf("%s/%s", src, m[i]);
    copy_dir(a, tok);
    free(a);
  }
  /* Bad media next to good ones. */
  char *trunc = al_xasprintf("%s/cut.png", tmp), *zero = al_xasprintf("%s/zero.jpg", tmp),
       *bomb = al_xasprintf("%s/bomb.avi", tmp);
  size_t len;
  char *photo = al_xasprintf("%s/photo.png", raw);
  char *png = ts_read_file(photo, &len);
  free(photo);
  ts_write_file(trunc, png, len / 3);
  ts_write_file(zero, "", 0);
  ts_write_file(bomb, "RIFF\x10\x00\x00\x00" "AVI LIST", 16);
  char *files[] = {al_xasprintf("%s/photo.png", raw), al_xasprintf("%s/audio.wav", raw),
                   al_xasprintf("%s/clip.avi", raw),  al_xasprintf("%s/notes.txt", raw),
                   trunc, zero, bomb};
  size_t nf = sizeof files / sizeof *files;
  worker_tokcache *c = worker_tokcache_new();
  uint64_t loads0 = med_cache_loads();
  worker_task_outcome o;
  run_task(tok, files, nf, "a", c, &o);
  CHECK_MSG(o.ok, "%s", o.error ? o.error : "");
  CHECK_EQ_INT(o.samples, 3);
  CHECK_EQ_STR(reason_of(&o, "notes.txt"), "no tokenizer for modality 'text'");
  CHECK_CONTAINS(reason_of(&o, "cut.png"), "cannot decode png image");
  CHECK_EQ_STR(reason_of(&o, "zero.jpg"), "empty file");
  CHECK_CONTAINS(reason_of(&o, "bomb.avi"), "Cannot open video");
  worker_task_outcome_clear(&o);
  /* A second task reuses the loaded set. */
  run_task(tok, files, 1, "b", c, &o);
  CHECK(o.ok);
  CHECK_EQ_INT(med_cache_loads() - loads0, 1);
  worker_task_outcome_clear(&o);
  /* A broken codebook fails the task with the file's name. */
  char *cb = al_xasprintf("%s/image/vq_codebook.json", tok);
  ts_write_file(cb, "{\"codebook_size\": 16}", 21);
  run_task(tok, files, 1, "c", c, &o);
  CHECK(!o.ok);
  CHECK_CONTAINS(o.error, "vq_codebook.json: missing field \"feature_dim\"");
  worker_task_outcome_clear(&o);
  /* No tokenizer at all: the task fails as before. */
  char *empty = al_xasprintf("%s/empty", tmp);
  mkdir(empty, 0755);
  run_task(empty, files, 1, "d", c, &o);
  CHECK(!o.ok);
  CHECK_CONTAINS(o.error, "No tokenizers found");
  worker_task_outcome_clear(&o);
  worker_tokcache_free(c);
  med_cache_clear();
  for (size_t i = 0; i < 4; i++) free(files[i]);
  free(trunc);
  free(zero);
  free(bomb);
  free(png);
  free(cb);
  free(empty);
  free(src);
  free(tok);
}

int main(void) {
  tmp = ts_mkdtemp("media-worker");
  raw = ts_data_path("pipeline/raw");
  RUN(test_media_only);
  ts_rmtree(tmp);
  free(tmp);
  free(raw);
  return TEST_REPORT();
}
