/* Shard writer: tensors equal to the original's (reference shards.json, worker and
 * process paths), an independent byte-level format check of every file written, atomic
 * replacement of an earlier attempt's output, streaming beyond the in-memory limit,
 * edge lengths and abort. */
#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "shard/safetensors.h"
#include "shard/shard.h"
#include "shard/source.h"
#include "support.h"

/* ---- independent format check ---------------------------------------------------
 * Written against the format description only (§18.1 and the HF writer's byte format),
 * without the module's reader. */
static uint64_t le64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static int32_t le32(const unsigned char *p) {
  return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static void sha256_hex(const void *data, size_t n, char out[65]) {
  unsigned char d[32];
  unsigned dl = 0;
  EVP_Digest(data, n, d, &dl, EVP_sha256(), NULL);
  for (unsigned i = 0; i < dl; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

/* Checks one file; returns the number of rows (or -1) and its bytes via *buf_out. */
static long check_format(const char *path, uint32_t shard_id, uint64_t L, unsigned char **buf_out,
                         size_t *len_out) {
  size_t len = 0;
  unsigned char *buf = (unsigned char *)ts_read_file(path, &len);
  CHECK_MSG(buf != NULL, "%s unreadable", path);
  if (!buf) return -1;
  *buf_out = buf;
  *len_out = len;
  CHECK(len >= 8);
  uint64_t N = le64(buf);
  CHECK_MSG(N % 8 == 0, "%s: header length %" PRIu64 " not a multiple of 8", path, N);
  CHECK(8 + N <= len);
  if (8 + N > len) return -1;
  /* JSON then only spaces (at most 7). */
  size_t end = (size_t)N;
  while (end > 0 && buf[8 + end - 1] == ' ') end--;
  CHECK(buf[8 + end - 1] == '}');
  CHECK(N - end < 8);
  json_error_t je;
  json_t *h = json_loadb((const char *)buf + 8, end, 0, &je);
  CHECK_MSG(h != NULL, "%s: header not JSON: %s", path, je.text);
  if (!h) return -1;
  json_t *ids = json_object_get(h, "input_ids");
  long n = (long)json_integer_value(json_array_get(json_object_get(ids, "shape"), 0));
  /* The exact bytes the HF writer produces for these tensors and this metadata. */
  uint64_t a = 4 * (uint64_t)n * L, b = (uint64_t)n * L;
  char *want = al_xasprintf(
      "{\"__metadata__\":{\"pipeline_version\":\"2.0\",\"schema_version\":\"2\",\"shard_id\":\"%u\","
      "\"num_samples\":\"%ld\",\"seq_length\":\"%" PRIu64 "\"},"
      "\"input_ids\":{\"dtype\":\"I32\",\"shape\":[%ld,%" PRIu64 "],\"data_offsets\":[0,%" PRIu64 "]},"
      "\"targets\":{\"dtype\":\"I32\",\"shape\":[%ld,%" PRIu64 "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]},"
      "\"attention_mask\":{\"dtype\":\"U8\",\"shape\":[%ld,%" PRIu64 "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]},"
      "\"modality_mask\":{\"dtype\":\"U8\",\"shape\":[%ld,%" PRIu64 "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}}",
      shard_id, n, L, n, L, a, n, L, a, 2 * a, n, L, 2 * a, 2 * a + b, n, L, 2 * a + b, 2 * a + 2 * b);
  CHECK_MSG(end == strlen(want) && memcmp(buf + 8, want, end) == 0, "%s: header\n got %.*s\nwant %s",
            path, (int)end, buf + 8, want);
  free(want);
  /* Semantics, read from the parsed JSON. */
  static const char *names[4] = {"input_ids", "targets", "attention_mask", "modality_mask"};
  static const char *dtypes[4] = {"I32", "I32", "U8", "U8"};
  uint64_t off = 0;
  for (int t = 0; t < 4; t++) {
    json_t *o = json_object_get(h, names[t]);
    CHECK_EQ_STR(json_string_value(json_object_get(o, "dtype")), dtypes[t]);
    json_t *shape = json_object_get(o, "shape");
    CHECK_EQ_INT(json_array_size(shape), 2);
    CHECK_EQ_INT(json_integer_value(json_array_get(shape, 0)), n);
    CHECK_EQ_INT(json_integer_value(json_array_get(shape, 1)), L);
    json_t *offs = json_object_get(o, "data_offsets");
    uint64_t sz = (uint64_t)n * L * (t < 2 ? 4 : 1);
    CHECK_EQ_INT(json_integer_value(json_array_get(offs, 0)), off);
    CHECK_EQ_INT(json_integer_value(json_array_get(offs, 1)), off + sz);
    off += sz;
  }
  CHECK_EQ_INT(len, 8 + N + off);
  CHECK_EQ_INT(off, 10 * (uint64_t)n * L);
  /* Row contents: targets are input_ids shifted left with 0 last, attention_mask is a
   * prefix of 1s, and the padding is 0 in every tensor. */
  if (len == 8 + N + off) {
    const unsigned char *d = buf + 8 + N, *ti = d, *tt = d + a, *am = d + 2 * a, *mm = d + 2 * a + b;
    int bad = 0;
    for (long r = 0; r < n; r++) {
      uint64_t real = 0;
      while (real < L && am[r * L + real] == 1) real++;
      for (uint64_t c = 0; c < L; c++) {
        uint64_t i = (uint64_t)r * L + c;
        int32_t next = c + 1 < L ? le32(ti + 4 * (i + 1)) : 0;
        if (le32(tt + 4 * i) != next) bad++;
        if (c >= real && (am[i] != 0 || mm[i] != 0 || le32(ti + 4 * i) != 0)) bad++;
      }
    }
    CHECK_MSG(bad == 0, "%s: %d bad cells", path, bad);
  }
  json_t *md = json_object_get(h, "__metadata__");
  CHECK_EQ_INT(json_object_size(md), 5);
  json_decref(h);
  return n;
}

/* ---- reference data -------------------------------------------------------------- */
static json_t *load_json(const char *rel) {
  char *p = ts_data_path(rel);
  json_error_t je;
  json_t *j = json_load_file(p, 0, &je);
  CHECK_MSG(j != NULL, "%s: %s", p, je.text);
  free(p);
  return j;
}

/* samples.jsonl row for path, field "worker" or "process". Borrowed from rows. */
static json_t *find_sample(json_t *rows, const char *path, const char *mode) {
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) {
    if (strcmp(json_string_value(json_object_get(r, "path")), path) == 0) return json_object_get(r, mode);
  }
  return NULL;
}

static json_t *load_samples(void) {
  char *p = ts_data_path("shards/samples.jsonl");
  size_t len;
  char *text = ts_read_file(p, &len);
  CHECK(text != NULL);
  json_t *rows = json_array();
  for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
    nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    if (!*line) continue;
    json_error_t je;
    json_t *r = json_loads(line, 0, &je);
    CHECK(r != NULL);
    if (r) json_array_append_new(rows, r);
  }
  free(text);
  free(p);
  return rows;
}

static void compare_tensor(const shard_st_file *f, json_t *want, const char *name, const char *file) {
  const shard_st_tensor *t = shard_st_find(f, name);
  CHECK_MSG(t != NULL, "%s: no tensor %s", file, name);
  if (!t) return;
  CHECK_EQ_STR(shard_dtype_name(t->dtype), json_string_value(json_object_get(want, "safetensors_dtype")));
  json_t *shape = json_object_get(want, "shape");
  CHECK_EQ_INT(t->ndim, json_array_size(shape));
  if (t->ndim != 2) return;
  CHECK_EQ_INT(t->shape[0], json_integer_value(json_array_get(shape, 0)));
  CHECK_EQ_INT(t->shape[1], json_integer_value(json_array_get(shape, 1)));
  json_t *rows = json_object_get(want, "data");
  int mismatches = 0;
  for (uint64_t r = 0; r < t->shape[0]; r++) {
    json_t *row = json_array_get(rows, r);
    for (uint64_t c = 0; c < t->shape[1]; c++) {
      long long exp = json_integer_value(json_array_get(row, c));
      long long got = t->dtype == SHARD_DT_I32 ? shard_st_i32(t, r * t->shape[1] + c)
                                               : shard_st_u8(t, r * t->shape[1] + c);
      if (got != exp && mismatches++ < 5)
        CHECK_MSG(got == exp, "%s %s[%" PRIu64 "][%" PRIu64 "] = %lld, expected %lld", file, name, r, c,
                  got, exp);
    }
  }
  CHECK_EQ_INT(mismatches, 0);
}

static void run_reference(const char *mode) {
  json_t *ref = load_json("shards/shards.json");
  json_t *rows = load_samples();
  if (!ref || !rows) return;
  json_t *m = json_object_get(ref, mode);
  uint32_t L = (uint32_t)json_integer_value(json_object_get(ref, "max_seq_len"));
  uint32_t S = (uint32_t)json_integer_value(json_object_get(ref, "shard_size"));
  CHECK_EQ_INT(L, 64);
  CHECK_EQ_INT(S, 8);
  char *dir = ts_mkdtemp("shard_ref");
  char *task = al_xasprintf("%s/task_0001", dir);
  al_err err;
  al_err_clear(&err);
  shard_writer *w = shard_writer_open(task, L, S, &err);
  CHECK_MSG(w != NULL, "%s", err.msg);
  if (!w) return;
  json_t *paths = json_object_get(m, "sample_paths");
  size_t i;
  json_t *p;
  uint64_t expect_tokens = 0;
  json_array_foreach(paths, i, p) {
    json_t *s = find_sample(rows, json_string_value(p), mode);
    CHECK_MSG(s != NULL && json_is_object(s), "no %s sample for %s", mode, json_string_value(p));
    if (!s) continue;
    json_t *jids = json_object_get(s, "input_ids"), *jm = json_object_get(s, "modality_mask");
    size_t n = json_array_size(jids);
    CHECK_EQ_INT(json_array_size(jm), n);
    shard_sample smp;
    int32_t *ids = al_xcalloc(n + 1, sizeof *ids);
    uint8_t *mk = al_xcalloc(n + 1, 1);
    for (size_t k = 0; k < n; k++) {
      ids[k] = (int32_t)json_integer_value(json_array_get(jids, k));
      mk[k] = (uint8_t)json_integer_value(json_array_get(jm, k));
    }
    shard_sample_init(&smp, ids, mk, n, json_string_value(p));
    expect_tokens += n < L ? n : L;
    CHECK_EQ_INT(shard_writer_add(w, &smp, &err), 0);
    shard_sample_clear(&smp);
    free(ids);
    free(mk);
  }
  CHECK_EQ_INT(shard_writer_finish(w, &err), 0);
  json_t *shards = json_object_get(m, "shards");
  CHECK_EQ_INT(shard_writer_count(w), json_array_size(shards));
  CHECK_EQ_INT(shard_writer_count(w), json_integer_value(json_object_get(m, "num_shards")));
  CHECK_EQ_INT(shard_writer_samples(w), json_integer_value(json_object_get(m, "num_samples")));
  uint64_t tokens = 0;
  size_t src_i = 0;
  for (size_t k = 0; k < shard_writer_count(w) && k < json_array_size(shards); k++) {
    const shard_info *info = shard_writer_info(w, k);
    json_t *ws = json_array_get(shards, k);
    CHECK_EQ_STR(info->name, json_string_value(json_object_get(ws, "name")));
    char *want_path = al_xasprintf("%s/%s", task, info->name);
    CHECK_EQ_STR(info->path, want_path);
    free(want_path);
    /* metadata exactly as the original passed it */
    shard_st_file f;
    CHECK_EQ_INT(shard_st_load(info->path, &f, &err), 0);
    json_t *md = json_object_get(ws, "metadata");
    CHECK_EQ_INT(f.nmeta, json_object_size(md));
    const char *key;
    json_t *val;
    json_object_foreach(md, key, val) {
      CHECK_EQ_STR(shard_st_meta_get(&f, key), json_string_value(val));
    }
    json_t *tensors = json_object_get(ws, "tensors");
    CHECK_EQ_INT(f.ntensors, json_object_size(tensors));
    json_object_foreach(tensors, key, val) compare_tensor(&f, val, key, info->name);
    CHECK_EQ_INT(shard_st_check_schema(&f, NULL, NULL, &err), 0);
    shard_st_free(&f);
    /* independent format check, and the result info against the bytes */
    unsigned char *buf = NULL;
    size_t len = 0;
    long n = check_format(info->path, (uint32_t)k, L, &buf, &len);
    CHECK_EQ_INT(n, info->samples);
    CHECK_EQ_INT(len, info->bytes);
    char hex[65];
    sha256_hex(buf, len, hex);
    CHECK_EQ_STR(info->sha256, hex);
    free(buf);
    CHECK_EQ_INT(info->nsources, info->samples);
    for (size_t r = 0; r < info->nsources; r++, src_i++)
      CHECK_EQ_STR(info->sources[r], json_string_value(json_array_get(paths, src_i)));
    tokens += info->tokens;
  }
  CHECK_EQ_INT(tokens, expect_tokens);
  shard_writer_free(w);
  ts_rmtree(dir);
  free(task);
  free(dir);
  json_decref(rows);
  json_decref(ref);
}

static void test_reference_worker(void) { run_reference("worker"); }
static void test_reference_process(void) { run_reference("process"); }

/* ---- directory handling ---------------------------------------------------------- */
static int count_entries(const char *dir, const char *needle) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2]))) continue;
    if (!needle || strstr(de->d_name, needle)) n++;
  }
  closedir(d);
  return n;
}

static void write_n(shard_writer *w, int count, uint32_t len, int32_t base) {
  al_err err;
  int32_t ids[64];
  uint8_t mk[64];
  for (int s = 0; s < count; s++) {
    for (uint32_t k = 0; k < len && k < 64; k++) {
      ids[k] = base + s * 100 + (int32_t)k;
      mk[k] = (uint8_t)(s % 5);
    }
    char src[64];
    snprintf(src, sizeof src, "in/file_%d.txt", s);
    CHECK_EQ_INT(shard_writer_add_raw(w, ids, mk, len, src, &err), 0);
  }
}

static void test_retry_replaces_partial_output(void) {
  char *dir = ts_mkdtemp("shard_retry");
  char *task = al_xasprintf("%s/out/task_7", dir);
  al_err err;
  /* What a crashed first attempt may leave: complete and partial shards, temporaries. */
  char *p;
  const char *stale[] = {"shard_000000.safetensors", "shard_000004.safetensors",
                         "shard_000001.safetensors.tmp.4242", ".spill.tmp.4242.3"};
  for (size_t i = 0; i < AL_ARRAY_LEN(stale); i++) {
    p = al_xasprintf("%s/%s", task, stale[i]);
    CHECK_EQ_INT(ts_write_file(p, "partial", 7), 0);
    free(p);
  }
  p = al_xasprintf("%s/notes.txt", task);
  CHECK_EQ_INT(ts_write_file(p, "keep", 4), 0);
  free(p);
  CHECK_EQ_INT(shard_dir_reset(task, &err), 4);
  CHECK_EQ_INT(count_entries(task, NULL), 1);
  shard_writer *w = shard_writer_open(task, 16, 3, &err);
  write_n(w, 7, 10, 1000);
  CHECK_EQ_INT(shard_writer_finish(w, &err), 0);
  CHECK_EQ_INT(shard_writer_count(w), 3);
  CHECK_EQ_INT(count_entries(task, ".tmp."), 0);
  CHECK_EQ_INT(count_entries(task, ".safetensors"), 3);
  for (size_t k = 0; k < 3; k++) {
    unsigned char *buf = NULL;
    size_t len;
    long n = check_format(shard_writer_info(w, k)->path, (uint32_t)k, 16, &buf, &len);
    CHECK_EQ_INT(n, k < 2 ? 3 : 1);
    free(buf);
  }
  shard_writer_free(w);
  /* A second run over the same directory: reset, rewrite, same bytes. */
  CHECK_EQ_INT(shard_dir_reset(task, &err), 3);
  w = shard_writer_open(task, 16, 3, &err);
  write_n(w, 7, 10, 1000);
  CHECK_EQ_INT(shard_writer_finish(w, &err), 0);
  char sha_first[65];
  memcpy(sha_first, shard_writer_info(w, 0)->sha256, 65);
  shard_writer_free(w);
  CHECK_EQ_INT(shard_dir_reset(task, &err), 3);
  w = shard_writer_open(task, 16, 3, &err);
  write_n(w, 7, 10, 1000);
  CHECK_EQ_INT(shard_writer_finish(w, &err), 0);
  CHECK_EQ_STR(shard_writer_info(w, 0)->sha256, sha_first);
  /* Cancel: abort removes what the writer completed. */
  shard_writer_abort(w);
  CHECK_EQ_INT(count_entries(task, ".safetensors"), 0);
  shard_writer_free(w);
  CHECK_EQ_INT(shard_dir_remove(task, &err), 0);
  struct stat st;
  CHECK(stat(task, &st) == 0); /* notes.txt keeps the directory */
  p = al_xasprintf("%s/notes.txt", task);
  unlink(p);
  free(p);
  CHECK_EQ_INT(shard_dir_remove(task, &err), 0);
  CHECK(stat(task, &st) != 0);
  ts_rmtree(dir);
  free(task);
  free(dir);
}

/* ---- streaming beyond the memory limit, edge lengths ---------------------------- */
static void test_spill_to_disk(void) {
  char *dir = ts_mkdtemp("shard_spill");
  al_err err;
  const uint32_t L = 32768, S = 40;
  shard_writer *w = shard_writer_open(dir, L, S, &err);
  int32_t *ids = al_xmalloc(L * sizeof *ids);
  uint8_t *mk = al_xmalloc(L);
  /* 40 full rows: 5 MiB of ids, more than the in-memory limit. */
  for (uint32_t s = 0; s < S + 3; s++) {
    uint32_t len = s % 2 ? L : L - s;
    for (uint32_t k = 0; k < len; k++) {
      ids[k] = (int32_t)(s * 1000003u + k);
      mk[k] = (uint8_t)((s + k) % 5);
    }
    CHECK_EQ_INT(shard_writer_add_raw(w, ids, mk, len, "big.bin", &err), 0);
  }
  CHECK_EQ_INT(shard_writer_finish(w, &err), 0);
  CHECK_EQ_INT(shard_writer_count(w), 2);
  CHECK_EQ_INT(count_entries(dir, ".tmp."), 0);
  shard_st_file f;
  CHECK_EQ_INT(shard_st_load(shard_writer_info(w, 0)->path, &f, &err), 0);
  CHECK_MSG(shard_st_check_schema(&f, NULL, NULL, &err) == 0, "%s", err.msg);
  const shard_st_tensor *t = shard_st_find(&f, "input_ids"), *mm = shard_st_find(&f, "modality_mask");
  int bad = 0;
  for (uint32_t s = 0; s < S && t && mm; s++) {
    uint32_t len = s % 2 ? L : L - s;
    for (uint32_t k = 0; k < L; k++) {
      int32_t want = k < len ? (int32_t)(s * 1000003u + k) : 0;
      uint8_t wm = k < len ? (uint8_t)((s + k) % 5) : 0;
      if (shard_st_i32(t, (uint64_t)s * L + k) != want || shard_st_u8(mm, (uint64_t)s * L + k) != wm) bad++;
    }
  }
  CHECK_EQ_INT(bad, 0);
  uint64_t tok = 0;
  for (uint32_t s = 0; s < S; s++) tok += s % 2 ? L : L - s;
  CHECK_EQ_INT(shard_writer_info(w, 0)->tokens, tok);
  shard_st_free(&f);
  /* The second shard reuses the (truncated) spill file: rows 40..42. */
  CHECK_EQ_INT(shard_st_load(shard_writer_info(w, 1)->path, &f, &err), 0);
  CHECK_MSG(shard_st_check_schema(&f, NULL, NULL, &err) == 0, "%s", err.msg);
  t = shard_st_find(&f, "input_ids");
  bad = 0;
  for (uint32_t s = S; s < S + 3 && t; s++) {
    uint32_t len = s % 2 ? L : L - s;
    for (uint32_t k = 0; k < L; k++)
      if (shard_st_i32(t, (uint64_t)(s - S) * L + k) != (k < len ? (int32_t)(s * 1000003u + k) : 0)) bad++;
  }
  CHECK_EQ_INT(bad, 0);
  CHECK_EQ_INT(shard_writer_info(w, 1)->samples, 3);
  shard_st_free(&f);
  shard_writer_free(w);
  free(ids);
  free(mk);
  ts_rmtree(dir);
  free(dir);
}

static void test_edge_lengths(void) {
  char *dir = ts_mkdtemp("shard_edge");
  al_err err;
  /* L = 0: rows of length 0 (the original returns empty samples at max_seq_len 0). */
  char *d0 = al_xasprintf("%s/l0", dir);
  shard_writer *w = shard_writer_open(d0, 0, 2, &err);
  int32_t ids[5] = {2, 10, 11, 12, 3};
  CHECK_EQ_INT(shard_writer_add_raw(w, ids, NULL, 0, "a", &err), 0);
  CHECK_EQ_INT(shard_writer_add_raw(w, ids, NULL, 5, "b", &err), 0);
  CHECK_EQ_INT(shard_writer_add_raw(w, ids, NULL, 5, "c", &err), 0);
  CHECK_EQ_INT(shard_writer_finish(w, &err), 0);
  CHECK_EQ_INT(shard_writer_count(w), 2);
  unsigned char *buf;
  size_t len;
  CHECK_EQ_INT(check_format(shard_writer_info(w, 0)->path, 0, 0, &buf, &len), 2);
  free(buf);
  CHECK_EQ_INT(shard_writer_info(w, 0)->tokens, 0);
  shard_writer_free(w);
  /* L = 3, longer samples truncated, mask NULL = text (0). */
  char *d3 = al_xasprintf("%s/l3", dir);
  w = shard_writer_open(d3, 3, 8, &err);
  CHECK_EQ_INT(shard_writer_add_raw(w, ids, NULL, 5, "long", &err), 0);
  CHECK_EQ_INT(shard_writer_add_raw(w, ids, NULL, 1, "one", &err), 0);
  uint8_t nomask[1] = {0};
  CHECK_EQ_INT(shard_writer_add_raw(w, NULL, nomask, 0, "empty", &err), 0);
  CHECK_EQ_INT(shard_writer_finish(w, &err), 0);
  CHECK_EQ_INT(shard_writer_info(w, 0)->samples, 3);
  shard_st_file f;
  CHECK_EQ_INT(shard_st_load(shard_writer_info(w, 0)->path, &f, &err), 0);
  CHECK_EQ_INT(shard_st_check_schema(&f, NULL, NULL, &err), 0);
  const shard_st_tensor *t = shard_st_find(&f, "input_ids"), *tg = shard_st_find(&f, "targets");
  const shard_st_tensor *am = shard_st_find(&f, "attention_mask");
  int32_t want_ids[6] = {2, 10, 11, 2, 0, 0}, want_tg[6] = {10, 11, 0, 0, 0, 0};
  uint8_t want_am[6] = {1, 1, 1, 1, 0, 0};
  for (int i = 0; i < 6; i++) {
    CHECK_EQ_INT(shard_st_i32(t, i), want_ids[i]);
    CHECK_EQ_INT(shard_st_i32(tg, i), want_tg[i]);
    CHECK_EQ_INT(shard_st_u8(am, i), want_am[i]);
  }
  CHECK_EQ_INT(shard_writer_info(w, 0)->tokens, 4);
  shard_st_free(&f);
  shard_writer_free(w);
  /* No samples: no file. */
  char *de = al_xasprintf("%s/empty", dir);
  w = shard_writer_open(de, 64, 8, &err);
  CHECK_EQ_INT(shard_writer_finish(w, &err), 0);
  CHECK_EQ_INT(shard_writer_count(w), 0);
  CHECK_EQ_INT(count_entries(de, NULL), 0);
  shard_writer_free(w);
  /* Bad arguments and an unwritable directory. */
  CHECK(shard_writer_open(de, 64, 0, &err) == NULL);
  CHECK_CONTAINS(err.msg, "shard_size");
  char *file = al_xasprintf("%s/plainfile", dir);
  ts_write_file(file, "x", 1);
  char *under = al_xasprintf("%s/sub", file);
  CHECK(shard_writer_open(under, 64, 8, &err) == NULL);
  CHECK_CONTAINS(err.msg, "plainfile");
  CHECK_EQ_INT(err.code, SHARD_EIO);
  free(under);
  free(file);
  free(de);
  free(d3);
  free(d0);
  ts_rmtree(dir);
  free(dir);
}

/* Record names and runs: what parses, and how a list of names grows. */
static void test_source_runs(void) {
  size_t fl;
  uint64_t a, b;
  CHECK_EQ_INT(shard_source_record("/d/x.jsonl:7", &fl, &a, &b), 1);
  CHECK_EQ_INT(fl, 10);
  CHECK_EQ_INT(a, 7);
  CHECK_EQ_INT(b, 7);
  CHECK_EQ_INT(shard_source_record("a:b:3-12", &fl, &a, &b), 1);
  CHECK_EQ_INT(fl, 3);
  CHECK_EQ_INT(a, 3);
  CHECK_EQ_INT(b, 12);
  const char *bad[] = {"x", "x:", ":5", "x:0", "x:5-3", "x:1-", "x:-4", "x:1a", "x:1-2-3", "x:1234567890123456789", NULL};
  for (int i = 0; bad[i]; i++) CHECK_MSG(!shard_source_record(bad[i], &fl, &a, &b), "'%s' parsed", bad[i]);
  char **v = NULL;
  size_t n = 0, cap = 0;
  CHECK_EQ_INT(shard_source_add_record(&v, &n, &cap, "f.jsonl", 1), 0);
  CHECK_EQ_INT(shard_source_add_record(&v, &n, &cap, "f.jsonl", 2), 1);
  CHECK_EQ_INT(shard_source_add_record(&v, &n, &cap, "f.jsonl", 3), 1);
  CHECK_EQ_INT(shard_source_add_record(&v, &n, &cap, "f.jsonl", 3), 0); /* a split record's next row */
  CHECK_EQ_INT(shard_source_add_record(&v, &n, &cap, "g.jsonl", 4), 0);
  CHECK_EQ_INT(shard_source_add_record(&v, &n, &cap, "f.jsonl", 5), 0);
  CHECK_EQ_INT(n, 4);
  if (n == 4) {
    CHECK_EQ_STR(v[0], "f.jsonl:1-3");
    CHECK_EQ_STR(v[1], "f.jsonl:3");
    CHECK_EQ_STR(v[2], "g.jsonl:4");
    CHECK_EQ_STR(v[3], "f.jsonl:5");
  }
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

int main(void) {
  RUN(test_source_runs);
  RUN(test_reference_worker);
  RUN(test_reference_process);
  RUN(test_retry_replaces_partial_output);
  RUN(test_spill_to_disk);
  RUN(test_edge_lengths);
  return TEST_REPORT();
}
