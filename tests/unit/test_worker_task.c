/* Worker task execution on the reference input tree: every text and code sample read
 * back from the written shards equals the original's `process` sample
 * (tests/data/pipeline/samples.jsonl); every other file is skipped with the right
 * reason; bad tokenizers/outputs fail the task; cancel removes output; a FIFO does not
 * hang; the tokenizer is loaded once and shared. */
#include <dirent.h>
#include <jansson.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/al.h"
#include "harness.h"
#include "shard/safetensors.h"
#include "support.h"
#include "worker/task_exec.h"

#define L 64

static char *raw_dir, *tok_dir, *tmp;
static json_t *expected; /* path (relative) -> row of samples.jsonl */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* All regular files under dir, sorted by full path string (the worker order). */
static void list_files(const char *dir, char ***out, size_t *n) {
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *p = al_xasprintf("%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
      list_files(p, out, n);
      free(p);
    } else {
      *out = al_xrealloc(*out, (*n + 1) * sizeof(char *));
      (*out)[(*n)++] = p;
    }
  }
  if (d) closedir(d);
}

static void make_spec(worker_task_spec *s, const char *out_name) {
  memset(s, 0, sizeof *s);
  s->task_id = al_xstrdup("job-000000");
  s->job_id = al_xstrdup("job");
  s->attempt = 1;
  list_files(raw_dir, &s->files, &s->n_files);
  qsort(s->files, s->n_files, sizeof(char *), cmp_str);
  s->tokenizers_dir = al_xstrdup(tok_dir);
  s->output_dir = al_xasprintf("%s/%s/task_job-000000", tmp, out_name);
  s->max_seq_len = L;
  s->shard_size = 8;
}

static const char *rel(const char *path) { return path + strlen(raw_dir) + 1; }

/* WebP is read here (libavcodec) but not by the original, which has no sample for it. */
static int ours_only(const char *path) {
  const char *dot = strrchr(path, '.');
  return dot && strcasecmp(dot, ".webp") == 0;
}

static void check_rows(const worker_task_outcome *o, const char *out_root) {
  size_t rows = 0, matched = 0, extra = 0;
  for (size_t s = 0; s < o->n_shards; s++) {
    char *p = al_xasprintf("%s/%s", out_root, o->shards[s].path);
    shard_st_file f;
    al_err err;
    CHECK_MSG(shard_st_load(p, &f, &err) == 0, "%s: %s", p, err.msg);
    uint64_t n = 0, len = 0;
    CHECK(shard_st_check_schema(&f, &n, &len, &err) == 0);
    CHECK_EQ_INT(len, L);
    CHECK_EQ_INT(n, o->shards[s].samples);
    const shard_st_tensor *ids = shard_st_find(&f, "input_ids"), *mask = shard_st_find(&f, "modality_mask");
    for (uint64_t r = 0; r < n; r++, rows++) {
      const char *src = o->shards[s].sources[r];
      json_t *row = json_object_get(expected, rel(src));
      json_t *proc = json_object_get(row, "process");
      if (!json_is_object(proc) && ours_only(src)) {
        extra++;
        continue;
      }
      CHECK_MSG(proc && json_is_object(proc), "no expected sample for %s", src);
      if (!proc || !json_is_object(proc)) continue;
      json_t *eids = json_object_get(proc, "input_ids"), *emask = json_object_get(proc, "modality_mask");
      int ok = 1;
      for (uint64_t k = 0; k < L; k++) {
        int32_t want = k < json_array_size(eids) ? (int32_t)json_integer_value(json_array_get(eids, k)) : 0;
        uint8_t wantm = k < json_array_size(emask) ? (uint8_t)json_integer_value(json_array_get(emask, k)) : 0;
        if (shard_st_i32(ids, r * L + k) != want || shard_st_u8(mask, r * L + k) != wantm) ok = 0;
      }
      CHECK_MSG(ok, "row for %s differs from the reference", src);
      matched += ok;
    }
    shard_st_free(&f);
    free(p);
  }
  CHECK_EQ_INT(rows, o->samples);
  CHECK_EQ_INT(matched + extra, rows);
  fprintf(stderr, "  %zu rows matched the reference samples\n", matched);
}

static const char *skip_reason(const worker_task_outcome *o, const char *relpath) {
  for (size_t i = 0; i < o->n_skips; i++)
    if (!strcmp(rel(o->skips[i].path), relpath)) return o->skips[i].reason;
  return NULL;
}

static void test_reference_tree(void) {
  worker_tokcache *cache = worker_tokcache_new();
  worker_task_spec spec;
  make_spec(&spec, "ref");
  worker_exec_env env = {.tokenizers = cache};
  worker_task_outcome o;
  worker_task_execute(&spec, &env, &o);
  CHECK_MSG(o.ok, "task failed: %s", o.error ? o.error : "");
  CHECK_EQ_STR(o.status, "success");
  /* Expected: every text/code file with a non-null `process` sample, every media file
   * with a `worker` sample (tokenizers/ has image, audio and video), and WebP. */
  size_t want_samples = 0;
  const char *k;
  json_t *row;
  json_object_foreach(expected, k, row) {
    const char *m = json_string_value(json_object_get(row, "modality"));
    if (m && (!strcmp(m, "text") || !strcmp(m, "code")) && json_is_object(json_object_get(row, "process")))
      want_samples++;
    else if (m && (!strcmp(m, "image") || !strcmp(m, "audio") || !strcmp(m, "video")) &&
             (json_is_object(json_object_get(row, "worker")) || ours_only(k)))
      want_samples++;
  }
  CHECK_EQ_INT(o.samples, want_samples);
  CHECK_EQ_INT(o.samples + o.n_skips, spec.n_files);
  CHECK_EQ_INT(o.n_shards, (want_samples + 7) / 8);
  CHECK(o.tokens > 0);
  CHECK_EQ_STR(skip_reason(&o, "paper.pdf"), "unclassified");
  CHECK_EQ_STR(skip_reason(&o, "Makefile"), "unclassified");
  CHECK(skip_reason(&o, "photo.png") == NULL);
  CHECK(skip_reason(&o, "audio.wav") == NULL);
  CHECK(skip_reason(&o, "clip.avi") == NULL);
  CHECK_CONTAINS(skip_reason(&o, "short.wav"), "audio too short");
  CHECK_CONTAINS(skip_reason(&o, "song.mp3"), "cannot decode audio");
  CHECK_EQ_STR(skip_reason(&o, "blank.txt"), "blank text");
  CHECK_EQ_STR(skip_reason(&o, "empty.py"), "blank text");
  CHECK(skip_reason(&o, "script.py") == NULL);       /* code is tokenized, unlike the original worker */
  CHECK(skip_reason(&o, "invalid_utf8.txt") == NULL); /* U+FFFD replacement, as the original */
  char *out_root = al_xasprintf("%s/ref", tmp);
  check_rows(&o, out_root);
  /* The attempt writes into its own staging directory; publishing is the coordinator's. */
  CHECK_EQ_STR(o.shards[0].path, ".staging/task_job-000000.a1.w/shard_000000.safetensors");
  struct stat pst;
  CHECK(stat(spec.output_dir, &pst) != 0); /* nothing written where output is published */
  CHECK_EQ_INT(strlen(o.shards[0].sha256), 64);

  /* A rerun of the same attempt into the same staging directory replaces its output:
   * same shards, no temporaries. */
  worker_task_outcome o2;
  worker_task_execute(&spec, &env, &o2);
  CHECK(o2.ok);
  CHECK_EQ_INT(o2.n_shards, o.n_shards);
  CHECK_EQ_STR(o2.shards[0].sha256, o.shards[0].sha256);
  char *stage = worker_task_staging_dir(&spec);
  DIR *d = opendir(stage);
  free(stage);
  struct dirent *e;
  int files = 0, tmps = 0;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    files++;
    if (strstr(e->d_name, ".tmp")) tmps++;
  }
  if (d) closedir(d);
  CHECK_EQ_INT(files, (int)o.n_shards);
  CHECK_EQ_INT(tmps, 0);
  CHECK_EQ_INT(worker_tokcache_loads(cache), 1); /* loaded once, shared */
  /* the rerun took the first run's (warm) encoder from the pool, with the same bytes out */
  CHECK_EQ_INT(worker_tokcache_encoders_made(cache), 1);
  worker_task_outcome_clear(&o);
  worker_task_outcome_clear(&o2);
  worker_task_spec_clear(&spec);
  worker_tokcache_free(cache);
  free(out_root);
}

static void test_task_errors(void) {
  worker_tokcache *cache = worker_tokcache_new();
  worker_exec_env env = {.tokenizers = cache};
  worker_task_spec spec;
  worker_task_outcome o;

  make_spec(&spec, "notok");
  free(spec.tokenizers_dir);
  spec.tokenizers_dir = al_xasprintf("%s/no-such-tokenizers", tmp);
  worker_task_execute(&spec, &env, &o);
  CHECK(!o.ok);
  CHECK_CONTAINS(o.error, "No tokenizers found in");
  CHECK_CONTAINS(o.error, "no-such-tokenizers");
  worker_task_outcome_clear(&o);
  worker_task_spec_clear(&spec);

  /* Output under a regular file: cannot be created. */
  char *blocker = al_xasprintf("%s/blocker", tmp);
  ts_write_file(blocker, "x", 1);
  make_spec(&spec, "blocker/sub");
  worker_task_execute(&spec, &env, &o);
  CHECK(!o.ok);
  CHECK_CONTAINS(o.error, "blocker");
  worker_task_outcome_clear(&o);
  worker_task_spec_clear(&spec);
  free(blocker);

  /* Output outside the confinement root. */
  make_spec(&spec, "outside");
  env.output_root = raw_dir;
  worker_task_execute(&spec, &env, &o);
  CHECK(!o.ok);
  CHECK_CONTAINS(o.error, "outside the worker's output root");
  env.output_root = NULL;
  worker_task_outcome_clear(&o);
  worker_task_spec_clear(&spec);

  /* Cancel before the first file: nothing left behind. */
  atomic_int cancel;
  atomic_init(&cancel, 1);
  env.cancel = &cancel;
  make_spec(&spec, "cancelled");
  worker_task_execute(&spec, &env, &o);
  CHECK(!o.ok);
  CHECK(o.cancelled);
  struct stat st;
  CHECK(stat(spec.output_dir, &st) != 0);
  worker_task_outcome_clear(&o);
  worker_task_spec_clear(&spec);
  worker_tokcache_free(cache);
}

static void test_bad_files(void) {
  worker_tokcache *cache = worker_tokcache_new();
  worker_exec_env env = {.tokenizers = cache};
  char *dir = al_xasprintf("%s/bad", tmp);
  mkdir(dir, 0755);
  char *fifo = al_xasprintf("%s/pipe.txt", dir);
  mkfifo(fifo, 0644);
  char *bin = al_xasprintf("%s/binary.txt", dir);
  ts_write_file(bin, "\x00\x01\xff\xfe garbage \x80", 13);
  char *subdir = al_xasprintf("%s/dir.txt", dir);
  mkdir(subdir, 0755);
  worker_task_spec spec;
  make_spec(&spec, "badout");
  for (size_t i = 0; i < spec.n_files; i++) free(spec.files[i]);
  free(spec.files);
  spec.n_files = 5;
  spec.files = al_xcalloc(5, sizeof(char *));
  spec.files[0] = al_xstrdup(fifo);
  spec.files[1] = al_xstrdup(bin);
  spec.files[2] = al_xasprintf("%s/vanished.txt", dir);
  spec.files[3] = al_xstrdup(subdir);
  spec.files[4] = al_xasprintf("%s/dangling.txt", dir);
  CHECK_EQ_INT(symlink("no-such-target.txt", spec.files[4]), 0);
  double t0 = al_mono_s();
  worker_task_outcome o;
  worker_task_execute(&spec, &env, &o);
  CHECK(al_mono_s() - t0 < 5);
  CHECK(o.ok);
  CHECK_EQ_INT(o.samples, 1); /* binary garbage decodes to U+FFFD text, as the original */
  CHECK_EQ_INT(o.n_skips, 4);
  CHECK_EQ_STR(o.skips[0].reason, "not a regular file: a FIFO");
  CHECK_CONTAINS(o.skips[1].reason, "vanished since scan");
  CHECK_EQ_STR(o.skips[2].reason, "not a regular file: a directory");
  if (o.n_skips == 4) CHECK_CONTAINS(o.skips[3].reason, "dangling symbolic link");
  worker_task_outcome_clear(&o);

  /* Only skipped files: no_samples, no shard written. */
  free(spec.files[1]);
  spec.files[1] = al_xstrdup(fifo);
  worker_task_execute(&spec, &env, &o);
  CHECK(o.ok);
  CHECK_EQ_STR(o.status, "no_samples");
  CHECK_EQ_INT(o.n_shards, 0);
  worker_task_outcome_clear(&o);
  worker_task_spec_clear(&spec);
  worker_tokcache_free(cache);
  free(dir); free(fifo); free(bin); free(subdir);
}

/* Input confinement: a symlink out of the job's input_dir and a file outside
 * worker_input_roots are skipped with a reason and never read; a symlink that stays
 * inside is read. */
static void test_input_confinement(void) {
  worker_tokcache *cache = worker_tokcache_new();
  char *in = al_xasprintf("%s/conf_in", tmp), *outside = al_xasprintf("%s/conf_secret.txt", tmp);
  mkdir(in, 0755);
  ts_write_file(outside, "top secret words here\n", 22);
  char *ok = al_xasprintf("%s/ok.txt", in), *link_out = al_xasprintf("%s/x.txt", in),
       *link_in = al_xasprintf("%s/alias.txt", in);
  ts_write_file(ok, "hello world from inside\n", 24);
  CHECK(symlink(outside, link_out) == 0);
  CHECK(symlink(ok, link_in) == 0);
  worker_task_spec spec;
  make_spec(&spec, "confined");
  for (size_t i = 0; i < spec.n_files; i++) free(spec.files[i]);
  free(spec.files);
  spec.n_files = 4;
  spec.files = al_xcalloc(4, sizeof(char *));
  spec.files[0] = al_xstrdup(ok);
  spec.files[1] = al_xstrdup(link_out);
  spec.files[2] = al_xstrdup(link_in);
  spec.files[3] = al_xstrdup(outside); /* a path the coordinator would have refused */
  spec.input_dir = al_xstrdup(in);
  worker_exec_env env = {.tokenizers = cache};
  worker_task_outcome o;
  worker_task_execute(&spec, &env, &o);
  CHECK(o.ok);
  CHECK_EQ_INT(o.samples, 2);
  CHECK_EQ_INT(o.n_skips, 2);
  char *want = al_xasprintf("outside the job's input_dir %s (resolves to ", in);
  CHECK_CONTAINS(o.skips[0].reason, want);
  CHECK_EQ_STR(o.skips[0].path, link_out);
  CHECK_CONTAINS(o.skips[1].reason, want);
  worker_task_outcome_clear(&o);
  /* worker_input_roots narrower than the job's input_dir: nothing is read */
  env.input_roots = "/nonexistent-root:/proc/self";
  worker_task_execute(&spec, &env, &o);
  CHECK(o.ok);
  CHECK_EQ_INT(o.samples, 0);
  CHECK_EQ_INT(o.n_skips, 4);
  CHECK_CONTAINS(o.skips[0].reason, "outside worker_input_roots /nonexistent-root:/proc/self (resolves to ");
  worker_task_outcome_clear(&o);
  worker_task_spec_clear(&spec);
  free(want);
  free(ok);
  free(link_out);
  free(link_in);
  free(in);
  free(outside);
  worker_tokcache_free(cache);
}

static void test_tokenizer_reload(void) {
  /* A copy of the tokenizer: shared while unchanged, reloaded once its files change,
   * and the old load stays valid for a holder until released. */
  char *dir = al_xasprintf("%s/tokcopy/text", tmp);
  const char *names[3] = {"vocab.json", "merges.txt", "config.json"};
  for (int i = 0; i < 3; i++) {
    char *src = al_xasprintf("%s/text/%s", tok_dir, names[i]), *dst = al_xasprintf("%s/%s", dir, names[i]);
    size_t n;
    char *d = ts_read_file(src, &n);
    ts_write_file(dst, d, n);
    free(d); free(src); free(dst);
  }
  char *root = al_xasprintf("%s/tokcopy", tmp);
  worker_tokcache *c = worker_tokcache_new();
  worker_tok_ref a, b, x;
  al_err err;
  CHECK_EQ_INT(worker_tokcache_acquire(c, root, &a, &err), 0);
  CHECK_EQ_INT(worker_tokcache_acquire(c, root, &b, &err), 0);
  CHECK(a.bpe == b.bpe);
  CHECK_EQ_INT(worker_tokcache_loads(c), 1);
  /* Rewrite config.json with another merge depth (different size and mtime). */
  char *cfg = al_xasprintf("%s/config.json", dir);
  size_t n;
  char *d = ts_read_file(cfg, &n);
  char *pos = strstr(d, "\"max_merge_depth\": 50");
  CHECK(pos != NULL);
  if (pos) {
    al_buf nb = {0};
    al_buf_append(&nb, d, (size_t)(pos - d));
    al_buf_puts(&nb, "\"max_merge_depth\": 1000000");
    al_buf_puts(&nb, pos + strlen("\"max_merge_depth\": 50"));
    ts_write_file(cfg, nb.data, nb.len);
    al_buf_free(&nb);
  }
  CHECK_EQ_INT(worker_tokcache_acquire(c, root, &x, &err), 0);
  CHECK_EQ_INT(worker_tokcache_loads(c), 2);
  CHECK(x.generation != a.generation);
  CHECK_EQ_INT(al_tok_bpe_max_merge_depth(x.bpe), 1000000);
  CHECK_EQ_INT(al_tok_bpe_max_merge_depth(a.bpe), 50); /* the old load is still usable */
  worker_tokcache_release(c, &a);
  worker_tokcache_release(c, &b);
  worker_tokcache_release(c, &x);
  /* A broken tokenizer: an error naming the file, nothing cached. */
  ts_write_file(cfg, "{not json", 9);
  CHECK_EQ_INT(worker_tokcache_acquire(c, root, &x, &err), -1);
  CHECK_CONTAINS(err.msg, "config.json");
  worker_tokcache_free(c);
  free(d); free(cfg); free(root); free(dir);
}

/* The byte-level kinds: a change to tokenizer.json or to the *.tiktoken rank file
 * reloads the tokenizer as a change to vocab.json does. */
static void test_tokenizer_reload_byte_level(void) {
  const char *kinds[2][2] = {{"hf/gpt2/text", "tokenizer.json"}, {"hf/cl100k/text", "cl100k_base.tiktoken"}};
  for (int k = 0; k < 2; k++) {
    char *root = al_xasprintf("%s/blcopy%d", tmp, k);
    char *src_dir = ts_data_path(kinds[k][0]);
    const char *names[2] = {kinds[k][1], "config.json"};
    for (int i = 0; i < 2; i++) {
      char *src = al_xasprintf("%s/%s", src_dir, names[i]), *dst = al_xasprintf("%s/text/%s", root, names[i]);
      size_t n;
      char *d = ts_read_file(src, &n);
      if (d) ts_write_file(dst, d, n); /* gpt2 has no config.json */
      free(d); free(src); free(dst);
    }
    worker_tokcache *c = worker_tokcache_new();
    worker_tok_ref a, b;
    al_err err;
    CHECK_EQ_INT(worker_tokcache_acquire(c, root, &a, &err), 0);
    worker_tokcache_release(c, &a);
    CHECK_EQ_INT(worker_tokcache_acquire(c, root, &b, &err), 0);
    worker_tokcache_release(c, &b);
    CHECK_EQ_INT(worker_tokcache_loads(c), 1);
    /* the same bytes, a newer mtime: the cache cannot know the content is equal */
    char *f = al_xasprintf("%s/text/%s", root, kinds[k][1]);
    struct timespec ts[2] = {{0, UTIME_OMIT}, {time(NULL) + 100, 0}};
    CHECK_EQ_INT(utimensat(AT_FDCWD, f, ts, 0), 0);
    CHECK_EQ_INT(worker_tokcache_acquire(c, root, &b, &err), 0);
    CHECK_MSG(worker_tokcache_loads(c) == 2, "%s: a touched %s was not reloaded", kinds[k][0], kinds[k][1]);
    CHECK(b.generation != a.generation);
    worker_tokcache_release(c, &b);
    worker_tokcache_free(c);
    free(f); free(src_dir); free(root);
  }
}

static void test_large_file_counts(void) {
  /* A 3 MB text file: the row holds the first L ids; the whole file is encoded (in
   * bounded pieces) so that the ids dropped by truncation are counted exactly. */
  worker_tokcache *cache = worker_tokcache_new();
  worker_exec_env env = {.tokenizers = cache};
  char *big = al_xasprintf("%s/big/big.txt", tmp);
  al_buf b = {0};
  while (b.len < 3u << 20) al_buf_puts(&b, "the quick brown fox jumps over the lazy dog\n");
  ts_write_file(big, b.data, b.len);
  worker_task_spec spec;
  make_spec(&spec, "bigout");
  for (size_t i = 0; i < spec.n_files; i++) free(spec.files[i]);
  spec.n_files = 1;
  spec.files[0] = al_xstrdup(big);
  worker_task_outcome o;
  worker_task_execute(&spec, &env, &o);
  CHECK(o.ok);
  CHECK_EQ_INT(o.samples, 1);
  CHECK_EQ_INT(o.bytes_read, b.len);
  CHECK_EQ_INT(o.tokens, L);
  CHECK_EQ_INT(o.counts.documents, 1);
  CHECK_EQ_INT(o.counts.ids_written, L);
  CHECK(o.counts.ids_encoded > 600000); /* 9 words a line, ~70k lines */
  CHECK_EQ_INT(o.counts.ids_truncated, o.counts.ids_encoded - L);
  worker_task_outcome_clear(&o);
  worker_task_spec_clear(&spec);
  worker_tokcache_free(cache);
  al_buf_free(&b);
  free(big);
}

int main(void) {
  raw_dir = ts_data_path("pipeline/raw");
  tok_dir = ts_data_path("pipeline/tokenizers");
  tmp = ts_mkdtemp("worker-task");
  char *jl = ts_data_path("pipeline/samples.jsonl");
  size_t n;
  char *text = ts_read_file(jl, &n);
  expected = json_object();
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    json_t *row = json_loads(line, 0, NULL);
    if (row) json_object_set_new(expected, json_string_value(json_object_get(row, "path")), row);
  }
  free(text);
  free(jl);
  RUN(test_reference_tree);
  RUN(test_task_errors);
  RUN(test_bad_files);
  RUN(test_input_confinement);
  RUN(test_tokenizer_reload);
  RUN(test_tokenizer_reload_byte_level);
  RUN(test_large_file_counts);
  json_decref(expected);
  ts_rmtree(tmp);
  free(tmp);
  free(raw_dir);
  free(tok_dir);
  return TEST_REPORT();
}
