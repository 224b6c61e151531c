/* Long documents and packing on the reference input tree (tests/data/pipeline/raw):
 * split rows concatenate to each file's whole encoding (compared with al_tok_encode of the
 * whole file), packed rows hold every document whole and in input order with correct
 * document_ids/position_ids, truncated packed documents equal the original's rows
 * (samples.jsonl), and the counts of the task equal counts recomputed from the shards. */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "harness.h"
#include "shard/safetensors.h"
#include "support.h"
#include "worker/task_exec.h"

static char *raw_dir, *tok_dir, *tmp;
static json_t *expected; /* relative path -> row of samples.jsonl */
static al_tok_bpe *bpe;
static al_tok_encoder *enc;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

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
    } else if (al_tok_classify(p) == TOK_MOD_IMAGE || al_tok_classify(p) == TOK_MOD_AUDIO ||
               al_tok_classify(p) == TOK_MOD_VIDEO) {
      free(p); /* text and code rows only: media samples are one document each (test_worker_task) */
    } else {
      *out = al_xrealloc(*out, (*n + 1) * sizeof(char *));
      (*out)[(*n)++] = p;
    }
  }
  if (d) closedir(d);
}

/* The whole encoding of a file as a document: text <bos> ids <eos>, code <CODE> ids
 * <CODE_END>; len 0 when the file is not a (non-blank) text or code file. */
static void full_encoding(const char *path, al_tok_ids *out) {
  out->len = 0;
  al_tok_modality m = al_tok_classify(path);
  if (m != TOK_MOD_TEXT && m != TOK_MOD_CODE) return;
  al_err err;
  size_t n;
  char *text = al_tok_read_text_file(path, &n, &err);
  if (!text) return;
  /* blank files (the reference has no sample for them) make no document */
  const char *relp = path + strlen(raw_dir) + 1;
  int blank = strncmp(path, raw_dir, strlen(raw_dir)) == 0 &&
              !json_is_object(json_object_get(json_object_get(expected, relp), "process"));
  if (!blank) {
    if (m == TOK_MOD_TEXT) {
      CHECK(al_tok_encode(enc, text, n, true, TOK_NO_LIMIT, out, &err) == 0);
    } else {
      al_tok_ids body = {0};
      CHECK(al_tok_encode(enc, text, n, false, TOK_NO_LIMIT, &body, &err) == 0);
      al_tok_ids_push(out, TOK_CODE);
      al_tok_ids_append(out, body.v, body.len, 0);
      al_tok_ids_push(out, TOK_CODE_END);
      al_tok_ids_free(&body);
    }
  }
  free(text);
}

/* The documents of a spec's files that make rows, in input order. */
typedef struct docs {
  char **src;
  al_tok_ids *ids;
  size_t n;
} docs;

static void docs_free(docs *d) {
  for (size_t i = 0; i < d->n; i++) {
    free(d->src[i]);
    al_tok_ids_free(&d->ids[i]);
  }
  free(d->src);
  free(d->ids);
  memset(d, 0, sizeof *d);
}

static void docs_add(docs *d, const char *src) {
  d->src = al_xrealloc(d->src, (d->n + 1) * sizeof *d->src);
  d->ids = al_xrealloc(d->ids, (d->n + 1) * sizeof *d->ids);
  d->src[d->n] = al_xstrdup(src);
  memset(&d->ids[d->n], 0, sizeof d->ids[d->n]);
  d->n++;
}

static void make_spec(worker_task_spec *s, const char *out_name, uint32_t L, shard_long_mode lm, shard_pack_mode pm) {
  memset(s, 0, sizeof *s);
  s->task_id = al_xstrdup("job-000000");
  s->job_id = al_xstrdup("job");
  s->attempt = 1;
  list_files(raw_dir, &s->files, &s->n_files);
  qsort(s->files, s->n_files, sizeof(char *), cmp_str);
  s->tokenizers_dir = al_xstrdup(tok_dir);
  s->output_dir = al_xasprintf("%s/%s/task_job-000000", tmp, out_name);
  s->max_seq_len = L;
  s->shard_size = 5;
  s->long_documents = lm;
  s->packing = pm;
}

/* Every row of the task's shards in order, as documents: unpacked rows are grouped by
 * source (consecutive rows of one source), packed rows cut where position_ids is 0.
 * Also checks padding, document/position ids and counts shard by shard. */
static void read_docs(const worker_task_outcome *o, const char *out_root, uint32_t L, int packed, docs *d,
                      uint64_t *rows, uint64_t *ids_written, uint64_t *short_rows_not_last) {
  *rows = *ids_written = *short_rows_not_last = 0;
  for (size_t s = 0; s < o->n_shards; s++) {
    char *p = al_xasprintf("%s/%s", out_root, o->shards[s].path);
    shard_st_file f;
    al_err err;
    CHECK_MSG(shard_st_load(p, &f, &err) == 0, "%s: %s", p, err.msg);
    uint64_t n = 0, len = 0;
    CHECK_MSG(shard_st_check_schema(&f, &n, &len, &err) == 0, "%s: %s", p, err.msg);
    CHECK_EQ_INT(len, L);
    CHECK_EQ_INT(f.ntensors, packed ? 6 : 4);
    const shard_st_tensor *ids = shard_st_find(&f, "input_ids"), *am = shard_st_find(&f, "attention_mask");
    const shard_st_tensor *di = shard_st_find(&f, "document_ids"), *pi = shard_st_find(&f, "position_ids");
    uint64_t shard_tokens = 0;
    size_t next_src = 0; /* packed: sources name each document where it starts */
    for (uint64_t r = 0; r < n; r++) {
      size_t rl = 0;
      while (rl < L && shard_st_u8(am, r * L + rl)) rl++;
      shard_tokens += rl;
      if (rl < L && !(s + 1 == o->n_shards && r + 1 == n)) (*short_rows_not_last)++;
      const char *src = packed ? NULL : o->shards[s].sources[r];
      for (size_t c = 0; c < rl; c++) {
        int32_t id = shard_st_i32(ids, r * L + c);
        if (packed) {
          int32_t pos = shard_st_i32(pi, r * L + c);
          if (pos == 0) {
            CHECK(next_src < o->shards[s].nsources);
            docs_add(d, next_src < o->shards[s].nsources ? o->shards[s].sources[next_src++] : "");
          } else if (d->n == 0) {
            docs_add(d, "");
          }
          al_tok_ids *cur = &d->ids[d->n - 1];
          CHECK_MSG(pos == (int32_t)cur->len, "row %llu col %zu: position %d, expected %zu",
                    (unsigned long long)r, c, pos, cur->len);
          CHECK(shard_st_i32(di, r * L + c) >= 0);
          al_tok_ids_push(cur, id);
        } else {
          if (c == 0 && (d->n == 0 || strcmp(d->src[d->n - 1], src) != 0 ||
                         d->ids[d->n - 1].len % L != 0))
            docs_add(d, src);
          al_tok_ids_push(&d->ids[d->n - 1], id);
        }
      }
      (*rows)++;
    }
    CHECK_EQ_INT(shard_tokens, o->shards[s].tokens);
    if (packed) CHECK_EQ_INT(next_src, o->shards[s].nsources);
    *ids_written += shard_tokens;
    shard_st_free(&f);
    free(p);
  }
}

static int same_ids(const al_tok_ids *a, const int32_t *b, size_t n) {
  return a->len == n && (n == 0 || memcmp(a->v, b, n * sizeof *b) == 0);
}

/* Runs the whole reference tree in one mode and checks documents and counts. */
static void run_mode(uint32_t L, shard_long_mode lm, shard_pack_mode pm, const char *name) {
  worker_tokcache *cache = worker_tokcache_new();
  worker_exec_env env = {.tokenizers = cache};
  worker_task_spec spec;
  make_spec(&spec, name, L, lm, pm);
  worker_task_outcome o;
  worker_task_execute(&spec, &env, &o);
  CHECK_MSG(o.ok, "task failed: %s", o.error ? o.error : "");
  char *out_root = al_xasprintf("%s/%s", tmp, name);
  docs got = {0};
  uint64_t rows, written, short_rows;
  read_docs(&o, out_root, L, pm == SHARD_PACK_GREEDY, &got, &rows, &written, &short_rows);

  /* Expected documents: every non-blank text/code file in order. */
  size_t k = 0, ndocs = 0;
  uint64_t encoded = 0, want_written = 0;
  al_tok_ids full = {0};
  for (size_t i = 0; i < spec.n_files; i++) {
    full_encoding(spec.files[i], &full);
    if (full.len == 0) continue;
    ndocs++;
    encoded += full.len;
    const char *relp = spec.files[i] + strlen(raw_dir) + 1;
    const int32_t *want = full.v;
    size_t want_n = full.len;
    int32_t *trunc = NULL;
    if (lm == SHARD_LONG_TRUNCATE) {
      /* the original's row (samples.jsonl, made with max_seq_len 64) */
      json_t *proc = json_object_get(json_object_get(expected, relp), "process");
      json_t *e = json_object_get(proc, "input_ids");
      want_n = json_array_size(e);
      trunc = al_xcalloc(want_n + 1, sizeof *trunc);
      for (size_t q = 0; q < want_n; q++) trunc[q] = (int32_t)json_integer_value(json_array_get(e, q));
      want = trunc;
    }
    want_written += want_n;
    if (k < got.n) {
      CHECK_MSG(same_ids(&got.ids[k], want, want_n), "%s: document %zu (%s) has %zu ids, expected %zu", name, k,
                relp, got.ids[k].len, want_n);
      CHECK_EQ_STR(got.src[k], spec.files[i]);
    }
    k++;
    free(trunc);
  }
  CHECK_EQ_INT(got.n, ndocs);
  CHECK_EQ_INT(written, want_written);
  /* counts of the task = counts recomputed from the shards and the encodings */
  CHECK_EQ_INT(o.counts.documents, ndocs);
  CHECK_EQ_INT(o.counts.ids_encoded, encoded);
  CHECK_EQ_INT(o.counts.ids_written, written);
  CHECK_EQ_INT(o.counts.ids_truncated, encoded - written);
  CHECK_EQ_INT(o.counts.rows, rows);
  CHECK_EQ_INT(o.counts.pad_ids, rows * L - written);
  CHECK_EQ_INT(o.tokens, written);
  CHECK_EQ_INT(o.samples, rows);
  if (lm == SHARD_LONG_SPLIT) CHECK_EQ_INT(o.counts.ids_truncated, 0);
  if (pm == SHARD_PACK_GREEDY) {
    CHECK_EQ_INT(short_rows, 0); /* padding only in the very last row */
    CHECK_EQ_INT(rows, (written + L - 1) / L);
  } else if (lm == SHARD_LONG_SPLIT) {
    CHECK(rows > ndocs); /* long files made several rows */
  }
  fprintf(stderr, "  %s: %zu documents, %llu rows, %llu of %llu ids written\n", name, ndocs,
          (unsigned long long)rows, (unsigned long long)written, (unsigned long long)encoded);
  al_tok_ids_free(&full);
  docs_free(&got);
  free(out_root);
  worker_task_outcome_clear(&o);
  worker_task_spec_clear(&spec);
  worker_tokcache_free(cache);
}

static void test_split_unpacked(void) { run_mode(16, SHARD_LONG_SPLIT, SHARD_PACK_NONE, "split"); }
static void test_split_packed(void) { run_mode(16, SHARD_LONG_SPLIT, SHARD_PACK_GREEDY, "split-pack"); }
static void test_truncate_packed(void) { run_mode(64, SHARD_LONG_TRUNCATE, SHARD_PACK_GREEDY, "trunc-pack"); }
static void test_truncate_counts(void) { run_mode(64, SHARD_LONG_TRUNCATE, SHARD_PACK_NONE, "trunc"); }
static void test_split_packed_long_rows(void) { run_mode(4096, SHARD_LONG_SPLIT, SHARD_PACK_GREEDY, "split-pack-4k"); }

/* A file of several read pieces (1 MiB each) with CRLF lines, non-ASCII text and long
 * lines: split rows still concatenate to the whole-file encoding. */
static void test_split_large_file(void) {
  char *dir = al_xasprintf("%s/big", tmp);
  char *big = al_xasprintf("%s/big.txt", dir);
  al_buf b = {0};
  unsigned long long rnd = 7;
  static const char *const words[] = {"the", "quick", "brown", "fox", "Ünïcödé", "naïve", "日本語", "x",
                                      "e\xcc\x81", "\r\n", "\n", "  ", "\t", "end."};
  while (b.len < (3u << 20) + 12345) {
    al_buf_puts(&b, words[ts_rand(&rnd, 14)]);
    al_buf_puts(&b, ts_rand(&rnd, 9) == 0 ? "\r\n" : " ");
  }
  ts_write_file(big, b.data, b.len);
  worker_tokcache *cache = worker_tokcache_new();
  worker_exec_env env = {.tokenizers = cache};
  worker_task_spec spec;
  make_spec(&spec, "bigout", 1000, SHARD_LONG_SPLIT, SHARD_PACK_NONE);
  for (size_t i = 0; i < spec.n_files; i++) free(spec.files[i]);
  spec.n_files = 1;
  spec.files[0] = al_xstrdup(big);
  spec.shard_size = 100;
  worker_task_outcome o;
  worker_task_execute(&spec, &env, &o);
  CHECK(o.ok);
  CHECK_EQ_INT(o.bytes_read, b.len);
  al_tok_ids full = {0};
  full_encoding(big, &full);
  docs got = {0};
  uint64_t rows, written, short_rows;
  char *out_root = al_xasprintf("%s/bigout", tmp);
  read_docs(&o, out_root, 1000, 0, &got, &rows, &written, &short_rows);
  CHECK_EQ_INT(got.n, 1);
  if (got.n == 1) CHECK_MSG(same_ids(&got.ids[0], full.v, full.len), "%zu ids, expected %zu", got.ids[0].len, full.len);
  CHECK_EQ_INT(o.counts.ids_encoded, full.len);
  CHECK_EQ_INT(rows, (full.len + 999) / 1000);
  al_tok_ids_free(&full);
  docs_free(&got);
  worker_task_outcome_clear(&o);
  worker_task_spec_clear(&spec);
  worker_tokcache_free(cache);
  al_buf_free(&b);
  free(out_root);
  free(big);
  free(dir);
}

int main(void) {
  raw_dir = ts_data_path("pipeline/raw");
  tok_dir = ts_data_path("pipeline/tokenizers");
  tmp = ts_mkdtemp("worker-rows");
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
  al_err err;
  bpe = al_tok_bpe_load(tok_dir, &err);
  CHECK_MSG(bpe != NULL, "%s", err.msg);
  enc = al_tok_encoder_new(bpe, 0);
  RUN(test_split_unpacked);
  RUN(test_split_packed);
  RUN(test_truncate_packed);
  RUN(test_truncate_counts);
  RUN(test_split_packed_long_rows);
  RUN(test_split_large_file);
  al_tok_encoder_free(enc);
  al_tok_bpe_free(bpe);
  json_decref(expected);
  ts_rmtree(tmp);
  free(tmp);
  free(raw_dir);
  free(tok_dir);
  return TEST_REPORT();
}
