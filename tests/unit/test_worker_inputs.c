/* Inputs beyond extensions: detect-text (well-known names, sniffed content), JSON Lines
 * (one document per line, bad lines counted with their reason, sources "file:line"),
 * compressed files in every format (rows equal the plain file's, classified by the
 * inner name), corrupt streams and a zip bomb skipped within the limit, nothing written. */
#include <bzlib.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "harness.h"
#include "shard/source.h"
#include "shard/safetensors.h"
#include "support.h"
#include "worker/inputs.h"
#include "worker/task_exec.h"

static char *tok_dir, *tmp;
static al_tok_bpe *bpe;
static al_tok_encoder *enc;
static const char *TEXT =
    "The harbour cranes lift containers off the ship.\nNaïve café owners sell crêpes.\r\n"
    "Numbers 12345 and symbols !? appear too.\n";

static char *path_in(const char *dir, const char *name) { return al_xasprintf("%s/%s/%s", tmp, dir, name); }

static void put(const char *dir, const char *name, const void *data, size_t n) {
  char *p = path_in(dir, name);
  ts_write_file(p, data, n);
  free(p);
}

/* Runs a task over the given files (split, L 16) and returns its outcome. */
static void run(char **files, size_t n, int detect, const char *field, uint64_t limit, const char *out,
                worker_task_outcome *o) {
  worker_tokcache *cache = worker_tokcache_new();
  worker_exec_env env = {.tokenizers = cache};
  worker_task_spec s = {0};
  s.task_id = al_xstrdup("j-000000");
  s.job_id = al_xstrdup("j");
  s.attempt = 1;
  s.files = al_xcalloc(n, sizeof *s.files);
  for (size_t i = 0; i < n; i++) s.files[i] = al_xstrdup(files[i]);
  s.n_files = n;
  s.tokenizers_dir = al_xstrdup(tok_dir);
  s.output_dir = al_xasprintf("%s/%s/task_j-000000", tmp, out);
  s.max_seq_len = 16;
  s.shard_size = 1000;
  s.long_documents = SHARD_LONG_SPLIT;
  s.detect_text = detect;
  s.jsonl_field = field ? al_xstrdup(field) : NULL;
  s.decomp_limit = limit;
  worker_task_execute(&s, &env, o);
  worker_task_spec_clear(&s);
  worker_tokcache_free(cache);
}

static const char *skip_of(const worker_task_outcome *o, const char *suffix) {
  for (size_t i = 0; i < o->n_skips; i++) {
    size_t a = strlen(o->skips[i].path), b = strlen(suffix);
    if (a >= b && !strcmp(o->skips[i].path + a - b, suffix)) return o->skips[i].reason;
  }
  return NULL;
}

/* A shard's sources with runs of records "<file>:<a>-<b>" expanded to one name each. */
static char **expand_sources(const shard_info *si, size_t *n) {
  size_t cap = 16;
  char **v = al_xmalloc(cap * sizeof *v);
  *n = 0;
  for (size_t k = 0; k < si->nsources; k++) {
    size_t fl;
    uint64_t a = 1, b = 0;
    int run = shard_source_record(si->sources[k], &fl, &a, &b) && b > a;
    for (uint64_t l = a; run ? l <= b : l == a; l++) {
      if (*n == cap) v = al_xrealloc(v, (cap *= 2) * sizeof *v);
      v[(*n)++] = run ? al_xasprintf("%.*s:%llu", (int)fl, si->sources[k], (unsigned long long)l)
                      : al_xstrdup(si->sources[k]);
      if (!run) break;
    }
  }
  return v;
}

/* The ids of every row of the task in order, and the sources of the rows. */
static void rows_of(const worker_task_outcome *o, const char *out, al_tok_ids *ids, char ***src, size_t *nsrc) {
  ids->len = 0;
  *nsrc = 0;
  size_t cap = 0;
  for (size_t s = 0; s < o->n_shards; s++) {
    char *p = al_xasprintf("%s/%s/%s", tmp, out, o->shards[s].path);
    shard_st_file f;
    al_err err;
    CHECK_MSG(shard_st_load(p, &f, &err) == 0, "%s", err.msg);
    uint64_t n, L;
    CHECK(shard_st_check_schema(&f, &n, &L, &err) == 0);
    const shard_st_tensor *t = shard_st_find(&f, "input_ids"), *am = shard_st_find(&f, "attention_mask");
    size_t ne;
    char **names = expand_sources(&o->shards[s], &ne);
    CHECK_EQ_INT(ne, n);
    for (uint64_t r = 0; r < n; r++) {
      for (uint64_t c = 0; c < L && shard_st_u8(am, r * L + c); c++) al_tok_ids_push(ids, shard_st_i32(t, r * L + c));
      if (*nsrc == cap) { /* doubling: a 1 MiB document gives tens of thousands of rows */
        cap = cap ? 2 * cap : 64;
        *src = al_xrealloc(*src, cap * sizeof **src);
      }
      (*src)[(*nsrc)++] = r < ne ? al_xstrdup(names[r]) : al_xstrdup("(missing)");
    }
    for (size_t k = 0; k < ne; k++) free(names[k]);
    free(names);
    shard_st_free(&f);
    free(p);
  }
}

static void free_srcs(char **src, size_t n) {
  for (size_t i = 0; i < n; i++) free(src[i]);
  free(src);
}

/* <bos> encode(text) <eos>, or the code form. */
static void expected(const char *text, int code, al_tok_ids *out) {
  al_err err;
  if (!code) {
    al_tok_encode(enc, text, strlen(text), true, TOK_NO_LIMIT, out, &err);
    return;
  }
  al_tok_ids body = {0};
  al_tok_encode(enc, text, strlen(text), false, TOK_NO_LIMIT, &body, &err);
  out->len = 0;
  al_tok_ids_push(out, TOK_CODE);
  al_tok_ids_append(out, body.v, body.len, 0);
  al_tok_ids_push(out, TOK_CODE_END);
  al_tok_ids_free(&body);
}

static void test_well_known_names(void) {
  CHECK(worker_well_known_text_name("README"));
  CHECK(worker_well_known_text_name("readme.old"));
  CHECK(worker_well_known_text_name("LICENSE-MIT"));
  CHECK(worker_well_known_text_name("COPYING"));
  CHECK(worker_well_known_text_name("Makefile"));
  CHECK(worker_well_known_text_name("Dockerfile"));
  CHECK(worker_well_known_text_name("CHANGELOG"));
  CHECK(worker_well_known_text_name("NEWS"));
  CHECK(!worker_well_known_text_name("READMEX"));
  CHECK(!worker_well_known_text_name("data.bin"));
  worker_input in;
  worker_input_classify("/x/notes.txt.gz", false, &in);
  CHECK_EQ_INT(in.m, TOK_MOD_TEXT);
  CHECK(in.zkind != 0);
  worker_input_classify("/x/lib.c.ZST", false, &in);
  CHECK_EQ_INT(in.m, TOK_MOD_CODE);
  worker_input_classify("/x/data.jsonl.xz", false, &in);
  CHECK(in.jsonl);
  worker_input_classify("/x/.gz", false, &in);
  CHECK_EQ_INT(in.zkind, 0);
  worker_input_classify("/x/blob", false, &in);
  CHECK_EQ_INT(in.m, TOK_MOD_NONE);
  CHECK(!in.sniff);
  worker_input_classify("/x/blob", true, &in);
  CHECK(in.sniff);
}

static void test_detect_text(void) {
  char *d = al_xasprintf("%s/dt", tmp);
  mkdir(d, 0755);
  put("dt", "README", TEXT, strlen(TEXT));
  put("dt", "LICENSE-MIT", TEXT, strlen(TEXT));
  put("dt", "notes", TEXT, strlen(TEXT));
  put("dt", "blob", "ab\0cd", 5);
  put("dt", "latin1", "caf\xe9 au lait", 13);
  char *files[5] = {path_in("dt", "LICENSE-MIT"), path_in("dt", "README"), path_in("dt", "blob"), path_in("dt", "latin1"),
                    path_in("dt", "notes")};
  worker_task_outcome o;
  run(files, 5, 0, NULL, 0, "dt-off", &o);
  CHECK(o.ok);
  CHECK_EQ_INT(o.counts.documents, 0);
  CHECK_EQ_STR(skip_of(&o, "/README"), "unclassified");
  worker_task_outcome_clear(&o);
  run(files, 5, 1, NULL, 0, "dt-on", &o);
  CHECK(o.ok);
  CHECK_EQ_INT(o.counts.documents, 3);
  CHECK_EQ_STR(skip_of(&o, "/blob"), "unclassified (content is not text)");
  CHECK_EQ_STR(skip_of(&o, "/latin1"), "unclassified (content is not text)");
  al_tok_ids got = {0}, want = {0}, one = {0};
  char **src = NULL;
  size_t ns;
  rows_of(&o, "dt-on", &got, &src, &ns);
  for (int i = 0; i < 3; i++) {
    expected(TEXT, 0, &one);
    al_tok_ids_append(&want, one.v, one.len, 0);
  }
  CHECK_EQ_INT(got.len, want.len);
  CHECK(got.len == want.len && !memcmp(got.v, want.v, got.len * 4));
  free_srcs(src, ns);
  al_tok_ids_free(&got);
  al_tok_ids_free(&want);
  al_tok_ids_free(&one);
  worker_task_outcome_clear(&o);
  for (int i = 0; i < 5; i++) free(files[i]);
  free(d);
}

static void test_jsonl(void) {
  char *d = al_xasprintf("%s/jl", tmp);
  mkdir(d, 0755);
  const char *jl = "{\"text\": \"first record\", \"id\": 1}\n"
                   "\n"
                   "{not json}\n"
                   "{\"id\": 3}\n"
                   "{\"text\": 42}\n"
                   "[\"text\"]\n"
                   "{\"text\": \"   \"}\n"
                   "{\"text\": \"line two\\nwith caf\\u00e9\", \"content\": \"other\"}\r\n"
                   "{\"text\": \"no newline at the end\"}";
  put("jl", "data.jsonl", jl, strlen(jl));
  char *files[1] = {path_in("jl", "data.jsonl")};
  worker_task_outcome o;
  run(files, 1, 0, NULL, 0, "jl", &o);
  CHECK(o.ok);
  CHECK_EQ_INT(o.counts.documents, 3);
  CHECK_EQ_INT(o.n_skips, 5);
  CHECK_CONTAINS(skip_of(&o, "data.jsonl:3"), "bad JSON Lines record: not JSON");
  CHECK_EQ_STR(skip_of(&o, "data.jsonl:4"), "bad JSON Lines record: no field \"text\"");
  CHECK_EQ_STR(skip_of(&o, "data.jsonl:5"), "bad JSON Lines record: field \"text\" is not a string");
  CHECK_EQ_STR(skip_of(&o, "data.jsonl:6"), "bad JSON Lines record: not a JSON object");
  CHECK_EQ_STR(skip_of(&o, "data.jsonl:7"), "bad JSON Lines record: blank text");
  al_tok_ids got = {0}, want = {0}, one = {0};
  const char *docs[3] = {"first record", "line two\nwith café", "no newline at the end"};
  for (int i = 0; i < 3; i++) {
    expected(docs[i], 0, &one);
    al_tok_ids_append(&want, one.v, one.len, 0);
  }
  char **src = NULL;
  size_t ns;
  rows_of(&o, "jl", &got, &src, &ns);
  CHECK(got.len == want.len && !memcmp(got.v, want.v, got.len * 4));
  CHECK(ns >= 3);
  if (ns >= 1) CHECK_CONTAINS(src[0], "data.jsonl:1");
  if (ns >= 1) CHECK_CONTAINS(src[ns - 1], "data.jsonl:9");
  free_srcs(src, ns);
  worker_task_outcome_clear(&o);
  /* another field */
  run(files, 1, 0, "content", 0, "jl2", &o);
  CHECK_EQ_INT(o.counts.documents, 1);
  worker_task_outcome_clear(&o);
  al_tok_ids_free(&got);
  al_tok_ids_free(&want);
  al_tok_ids_free(&one);
  free(files[0]);
  free(d);
}

/* Consecutive records become runs, in the sources and in the skips (one reason). */
static void test_jsonl_runs(void) {
  char *d = al_xasprintf("%s/jlr", tmp);
  mkdir(d, 0755);
  al_buf b = {0};
  for (int i = 1; i <= 15; i++) {
    if (i <= 5 || (i >= 10 && i <= 12) || i == 15) al_buf_printf(&b, "{\"text\": \"record %d\"}\n", i);
    else if (i == 13) al_buf_printf(&b, "{\"id\": %d}\n", i);
    else al_buf_printf(&b, "{bad %d\n", i); /* 6-9 and 14 */
  }
  put("jlr", "runs.jsonl", (const char *)b.data, b.len);
  char *files[1] = {path_in("jlr", "runs.jsonl")};
  worker_task_outcome o;
  run(files, 1, 0, NULL, 0, "jlr", &o);
  CHECK(o.ok);
  CHECK_EQ_INT(o.counts.documents, 9);
  CHECK_EQ_INT(o.n_skips, 3);
  CHECK_EQ_INT(o.skipped, 6);
  CHECK_CONTAINS(skip_of(&o, "runs.jsonl:6-9"), "bad JSON Lines record: not JSON");
  CHECK_EQ_STR(skip_of(&o, "runs.jsonl:13"), "bad JSON Lines record: no field \"text\"");
  CHECK_CONTAINS(skip_of(&o, "runs.jsonl:14"), "bad JSON Lines record: not JSON");
  CHECK_EQ_INT(o.n_shards, 1);
  if (o.n_shards == 1) {
    CHECK_EQ_INT(o.shards[0].nsources, 3);
    const char *want[3] = {"runs.jsonl:1-5", "runs.jsonl:10-12", "runs.jsonl:15"};
    for (size_t k = 0; k < 3 && k < o.shards[0].nsources; k++) {
      size_t a = strlen(o.shards[0].sources[k]), w = strlen(want[k]);
      CHECK_MSG(a >= w && !strcmp(o.shards[0].sources[k] + a - w, want[k]), "source %zu is %s, want ...%s", k,
                o.shards[0].sources[k], want[k]);
    }
  }
  al_tok_ids got = {0};
  char **src = NULL;
  size_t ns;
  rows_of(&o, "jlr", &got, &src, &ns);
  CHECK_EQ_INT(ns, 9);
  if (ns == 9) CHECK_CONTAINS(src[5], "runs.jsonl:10");
  free_srcs(src, ns);
  al_tok_ids_free(&got);
  worker_task_outcome_clear(&o);
  al_buf_free(&b);
  free(files[0]);
  free(d);
}

/* Compresses data in every format, at the fastest settings (the least memory: xz -0 and
 * bzip2 -1 keep the sanitizer build's allocations small). */
static void write_compressed(const char *dir, const char *base, const char *data, size_t n) {
  char name[256];
  size_t cap = n * 2 + 1024;
  unsigned char *out = al_xmalloc(cap);
  /* gzip: a gzip header through deflateInit2 with windowBits 31 */
  z_stream z = {0};
  deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (unsigned char *)data;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  deflate(&z, Z_FINISH);
  snprintf(name, sizeof name, "%s.gz", base);
  put(dir, name, out, z.total_out);
  deflateEnd(&z);
  size_t zn = ZSTD_compress(out, cap, data, n, 1);
  snprintf(name, sizeof name, "%s.zst", base);
  put(dir, name, out, zn);
  size_t xpos = 0;
  lzma_easy_buffer_encode(0, LZMA_CHECK_CRC64, NULL, (const uint8_t *)data, n, out, &xpos, cap);
  snprintf(name, sizeof name, "%s.xz", base);
  put(dir, name, out, xpos);
  unsigned bn = (unsigned)cap;
  BZ2_bzBuffToBuffCompress((char *)out, &bn, (char *)data, (unsigned)n, 1, 0, 0);
  snprintf(name, sizeof name, "%s.bz2", base);
  put(dir, name, out, bn);
  free(out);
}

static void test_compressed(void) {
  char *d = al_xasprintf("%s/z", tmp);
  mkdir(d, 0755);
  al_buf big = {0};
  while (big.len < (1u << 20) + 777) al_buf_puts(&big, TEXT); /* two read pieces */
  al_buf_cstr(&big);
  write_compressed("z", "big.txt", big.data, big.len);
  const char *code = "int main(void) { return 0; }\n";
  write_compressed("z", "lib.c", code, strlen(code));
  static const char *const ext[4] = {"gz", "zst", "xz", "bz2"};
  al_tok_ids want = {0}, wantc = {0};
  expected(big.data, 0, &want);
  expected(code, 1, &wantc);
  for (int k = 0; k < 4; k++) {
    char *files[2];
    char n1[64], n2[64], out[32];
    snprintf(n1, sizeof n1, "big.txt.%s", ext[k]);
    snprintf(n2, sizeof n2, "lib.c.%s", ext[k]);
    snprintf(out, sizeof out, "z-%s", ext[k]);
    files[0] = path_in("z", n1);
    files[1] = path_in("z", n2);
    worker_task_outcome o;
    run(files, 2, 0, NULL, 0, out, &o);
    CHECK_MSG(o.ok && o.counts.documents == 2, "%s: %zu skips, first %s", ext[k], o.n_skips,
              o.n_skips ? o.skips[0].reason : "-");
    al_tok_ids got = {0};
    char **src = NULL;
    size_t ns;
    rows_of(&o, out, &got, &src, &ns);
    CHECK_MSG(got.len == want.len + wantc.len && !memcmp(got.v, want.v, want.len * 4) &&
                  !memcmp(got.v + want.len, wantc.v, wantc.len * 4),
              "%s: %zu ids, expected %zu", ext[k], got.len, want.len + wantc.len);
    free_srcs(src, ns);
    al_tok_ids_free(&got);
    worker_task_outcome_clear(&o);
    /* truncated stream: skipped as corrupt, nothing written */
    size_t zn;
    char *zd = ts_read_file(files[0], &zn);
    char tn[64];
    snprintf(tn, sizeof tn, "cut.txt.%s", ext[k]);
    put("z", tn, zd, zn / 2);
    free(zd);
    char *cut = path_in("z", tn);
    snprintf(out, sizeof out, "zc-%s", ext[k]);
    run(&cut, 1, 0, NULL, 0, out, &o);
    CHECK(o.ok);
    CHECK_EQ_INT(o.counts.documents, 0);
    CHECK_EQ_INT(o.n_shards, 0);
    CHECK_MSG(o.n_skips == 1 && strstr(o.skips[0].reason, "corrupt"), "%s: %s", ext[k],
              o.n_skips ? o.skips[0].reason : "no skip");
    worker_task_outcome_clear(&o);
    free(cut);
    free(files[0]);
    free(files[1]);
  }
  al_tok_ids_free(&want);
  al_tok_ids_free(&wantc);
  al_buf_free(&big);
  free(d);
}

static void test_zip_bomb(void) {
  /* 16 MiB of one byte compresses to a few KiB; with a 1 MiB limit it is skipped before
   * anything is written, after decompressing about the limit. */
  char *d = al_xasprintf("%s/bomb", tmp);
  mkdir(d, 0755);
  size_t n = (size_t)16 << 20;
  char *zeros = al_xmalloc(n);
  memset(zeros, 'a', n);
  size_t cap = ZSTD_compressBound(n);
  char *out = al_xmalloc(cap);
  size_t zn = ZSTD_compress(out, cap, zeros, n, 1);
  put("bomb", "bomb.txt.zst", out, zn);
  free(zeros);
  free(out);
  char *f = path_in("bomb", "bomb.txt.zst");
  worker_task_outcome o;
  double t0 = al_mono_s();
  run(&f, 1, 0, NULL, 1u << 20, "bomb-out", &o);
  CHECK(al_mono_s() - t0 < 5);
  CHECK(o.ok);
  CHECK_EQ_INT(o.n_shards, 0);
  CHECK_EQ_INT(o.counts.documents, 0);
  CHECK_MSG(o.n_skips == 1 && strstr(o.skips[0].reason, "decompressed size over 1048576 bytes"), "%s",
            o.n_skips ? o.skips[0].reason : "no skip");
  worker_task_outcome_clear(&o);
  free(f);
  free(d);
}

int main(void) {
  tok_dir = ts_data_path("pipeline/tokenizers");
  tmp = ts_mkdtemp("worker-inputs");
  al_err err;
  bpe = al_tok_bpe_load(tok_dir, &err);
  CHECK_MSG(bpe != NULL, "%s", err.msg);
  enc = al_tok_encoder_new(bpe, 0);
  RUN(test_well_known_names);
  RUN(test_detect_text);
  RUN(test_jsonl);
  RUN(test_jsonl_runs);
  RUN(test_compressed);
  RUN(test_zip_bomb);
  al_tok_encoder_free(enc);
  al_tok_bpe_free(bpe);
  ts_rmtree(tmp);
  free(tmp);
  free(tok_dir);
  return TEST_REPORT();
}
