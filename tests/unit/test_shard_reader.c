/* SafeTensors reader: accepts valid files (any key order, zero-size tensors, other
 * dtypes) and rejects corrupt ones with a message naming what is wrong; the shard
 * schema check; the inspect printer. */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "shard/inspect.h"
#include "shard/safetensors.h"
#include "shard/shard.h"
#include "support.h"

/* 8-byte length + header (padded with spaces to 8 unless pad == 0) + data_len bytes. */
static unsigned char *make_file(const char *header, size_t data_len, int pad, size_t *len) {
  size_t h = strlen(header);
  size_t hp = pad ? (h + 7) / 8 * 8 : h;
  *len = 8 + hp + data_len;
  unsigned char *b = al_xcalloc(*len + 1, 1);
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hp >> (8 * i));
  memcpy(b + 8, header, h);
  memset(b + 8 + h, ' ', hp - h);
  for (size_t i = 0; i < data_len; i++) b[8 + hp + i] = (unsigned char)i;
  return b;
}

static void expect_reject(const unsigned char *buf, size_t len, const char *needle) {
  shard_st_file f;
  al_err err;
  al_err_clear(&err);
  int rc = shard_st_parse(buf, len, &f, &err);
  CHECK_MSG(rc == -1, "accepted a file that should fail with \"%s\"", needle);
  if (rc == 0) {
    shard_st_free(&f);
    return;
  }
  CHECK_EQ_INT(err.code, SHARD_EFORMAT);
  CHECK_CONTAINS(err.msg, needle);
  CHECK_EQ_INT(f.ntensors, 0);
}

static void reject_header(const char *header, size_t data_len, const char *needle) {
  size_t len;
  unsigned char *b = make_file(header, data_len, 1, &len);
  expect_reject(b, len, needle);
  free(b);
}

static void test_valid_files(void) {
  /* Keys in any order, extra fields ignored, zero-size tensors, F64 and BOOL. */
  size_t len;
  unsigned char *b = make_file(
      "{\"b\":{\"data_offsets\":[16,19],\"shape\":[3],\"dtype\":\"BOOL\",\"extra\":1},"
      "\"a\":{\"dtype\":\"F64\",\"shape\":[2,1],\"data_offsets\":[0,16]},"
      "\"z\":{\"dtype\":\"I32\",\"shape\":[0,5],\"data_offsets\":[19,19]},"
      "\"__metadata__\":{\"k\":\"v\"}}",
      19, 1, &len);
  shard_st_file f;
  al_err err;
  CHECK_MSG(shard_st_parse(b, len, &f, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(f.ntensors, 3);
  CHECK_EQ_STR(f.tensors[0].name, "a");
  CHECK_EQ_STR(f.tensors[1].name, "b");
  CHECK_EQ_STR(f.tensors[2].name, "z");
  CHECK_EQ_INT(f.tensors[1].dtype, SHARD_DT_BOOL);
  CHECK(f.tensors[1].data == b + 8 + f.header_len + 16);
  CHECK_EQ_STR(shard_st_meta_get(&f, "k"), "v");
  CHECK(shard_st_find(&f, "missing") == NULL);
  CHECK_EQ_INT(shard_st_numel(&f.tensors[2]), 0);
  /* Not an auralith shard, and the check says why. */
  CHECK_EQ_INT(shard_st_check_schema(&f, NULL, NULL, &err), -1);
  CHECK_CONTAINS(err.msg, "3 tensors, expected 4");
  shard_st_free(&f);
  free(b);
  /* The empty file the HF writer produces for no tensors: "{}" + 6 spaces. */
  b = make_file("{}", 0, 1, &len);
  CHECK_EQ_INT(len, 16);
  CHECK_EQ_INT(shard_st_parse(b, len, &f, &err), 0);
  CHECK_EQ_INT(f.ntensors, 0);
  shard_st_free(&f);
  free(b);
  for (int d = 0; d < SHARD_DT_COUNT; d++) {
    CHECK_EQ_INT(shard_dtype_parse(shard_dtype_name((shard_dtype)d)), d);
    CHECK(shard_dtype_size((shard_dtype)d) >= 1);
  }
  CHECK_EQ_INT(shard_dtype_parse("I33"), -1);
}

static void test_rejects_corrupt_files(void) {
  const char *ok = "{\"a\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                   "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[16,20]}}";
  size_t len;
  unsigned char *b = make_file(ok, 20, 1, &len);
  shard_st_file f;
  al_err err;
  CHECK_EQ_INT(shard_st_parse(b, len, &f, &err), 0);
  shard_st_free(&f);
  /* truncated data, extra byte, truncated header, tiny file */
  expect_reject(b, len - 1, "file length");
  unsigned char *longer = al_xcalloc(len + 1, 1);
  memcpy(longer, b, len);
  expect_reject(longer, len + 1, "file length");
  free(longer);
  expect_reject(b, 40, "runs past the end");
  expect_reject(b, 7, "shorter than the 8-byte header length");
  expect_reject(b, 0, "shorter than the 8-byte header length");
  /* header length: huge, beyond the file, zero */
  unsigned char *c = al_xmalloc(len);
  memcpy(c, b, len);
  c[7] = 0x80;
  expect_reject(c, len, "exceeds the limit");
  memcpy(c, b, len);
  c[0] = 0x00, c[1] = 0x01; /* 256 > file */
  expect_reject(c, len, "runs past the end");
  memcpy(c, b, 8);
  memset(c, 0, 8);
  expect_reject(c, len, "does not start with '{'");
  free(c);
  free(b);
  /* header contents */
  reject_header("[1,2,3]", 0, "does not start with '{'");
  reject_header("{\"a\": nope}", 0, "not valid JSON");
  reject_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", 4, "not valid JSON");
  reject_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                4, "duplicate");
  /* overlapping, gap, not from 0 */
  reject_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                12, "contiguous");
  reject_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[12,20]}}",
                20, "contiguous");
  reject_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "contiguous");
  /* wrong dtype sizes: I32 [2,2] needs 16 bytes */
  reject_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,4]}}", 4,
                "need 16");
  reject_header("{\"a\":{\"dtype\":\"U8\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16, "need 4");
  reject_header("{\"a\":{\"dtype\":\"I31\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                "unknown dtype \"I31\"");
  reject_header("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "\"dtype\" missing");
  reject_header("{\"a\":{\"dtype\":\"I32\",\"data_offsets\":[0,4]}}", 4, "\"shape\" missing");
  reject_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[1]}}", 4, "\"data_offsets\" missing");
  reject_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape[0]");
  reject_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "shape[0]");
  reject_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "end 0 < begin 4");
  reject_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,-4]}}", 4,
                "not non-negative integers");
  reject_header("{\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4,
                "not [begin, end]");
  reject_header("{\"a\":{\"dtype\":\"I64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
                "overflows");
  reject_header("{\"a\":[1]}", 0, "tensor \"a\" is not a JSON object");
  reject_header("{\"__metadata__\":{\"k\":1}}", 0, "value of \"k\" is not a string");
  reject_header("{\"__metadata__\":[]}", 0, "\"__metadata__\" is not a JSON object");
}

/* A real shard written by the writer, as bytes. */
static unsigned char *real_shard(char **dir_out, size_t *len) {
  char *dir = ts_mkdtemp("shard_reader");
  al_err err;
  shard_writer *w = shard_writer_open(dir, 6, 4, &err);
  int32_t ids[3][5] = {{2, 50, 51, 52, 3}, {13, 400, 14}, {4, 100001, 100002, 5}};
  uint8_t mk[3][5] = {{0, 0, 0, 0, 0}, {4, 4, 4}, {1, 1, 1, 1}};
  size_t lens[3] = {5, 3, 4};
  for (int i = 0; i < 3; i++) shard_writer_add_raw(w, ids[i], mk[i], lens[i], "src", &err);
  CHECK_EQ_INT(shard_writer_finish(w, &err), 0);
  unsigned char *b = (unsigned char *)ts_read_file(shard_writer_info(w, 0)->path, len);
  shard_writer_free(w);
  *dir_out = dir;
  return b;
}

static void test_schema_check(void) {
  char *dir;
  size_t len;
  unsigned char *b = real_shard(&dir, &len);
  shard_st_file f;
  al_err err;
  uint64_t n = 0, L = 0;
  CHECK_EQ_INT(shard_st_parse(b, len, &f, &err), 0);
  CHECK_MSG(shard_st_check_schema(&f, &n, &L, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(n, 3);
  CHECK_EQ_INT(L, 6);
  size_t data0 = 8 + (size_t)f.header_len;
  shard_st_free(&f);
  /* A target that is not the shifted id. */
  unsigned char *c = al_xmalloc(len);
  memcpy(c, b, len);
  c[data0 + 3 * 6 * 4] ^= 1; /* targets[0][0] */
  CHECK_EQ_INT(shard_st_parse(c, len, &f, &err), 0);
  CHECK_EQ_INT(shard_st_check_schema(&f, NULL, NULL, &err), -1);
  CHECK_CONTAINS(err.msg, "targets[0][0]");
  shard_st_free(&f);
  /* Non-zero padding in modality_mask (row 1, column 5). */
  memcpy(c, b, len);
  c[data0 + 3 * 6 * 9 + 6 + 5] = 2;
  CHECK_EQ_INT(shard_st_parse(c, len, &f, &err), 0);
  CHECK_EQ_INT(shard_st_check_schema(&f, NULL, NULL, &err), -1);
  CHECK_CONTAINS(err.msg, "row 1 column 5 is padding");
  shard_st_free(&f);
  /* Wrong metadata value (num_samples "3" -> "4"). */
  memcpy(c, b, len);
  char *p = strstr((char *)c + 8, "\"num_samples\":\"3\"");
  CHECK(p != NULL);
  if (p) p[15] = '4';
  CHECK_EQ_INT(shard_st_parse(c, len, &f, &err), 0);
  CHECK_EQ_INT(shard_st_check_schema(&f, NULL, NULL, &err), -1);
  CHECK_CONTAINS(err.msg, "\"num_samples\" is \"4\", expected \"3\"");
  shard_st_free(&f);
  free(c);
  free(b);
  ts_rmtree(dir);
  free(dir);
}

static char *fake_decode(void *ctx, const int32_t *ids, size_t n) {
  (void)ctx;
  al_buf b = {0};
  for (size_t i = 0; i < n; i++) al_buf_printf(&b, "<%d>", ids[i]);
  return b.data;
}

static char *inspect_to_string(const char *path, const shard_inspect_opts *o, int *rc, al_err *err) {
  char *text = NULL;
  size_t n = 0;
  FILE *m = open_memstream(&text, &n);
  *rc = shard_inspect(m, path, o, err);
  fclose(m);
  return text;
}

static void test_inspect(void) {
  char *dir;
  size_t len;
  unsigned char *b = real_shard(&dir, &len);
  free(b);
  char *path = al_xasprintf("%s/shard_000000.safetensors", dir);
  al_err err;
  int rc;
  shard_inspect_opts o = {.sample = -1};
  char *out = inspect_to_string(path, &o, &rc, &err);
  CHECK_EQ_INT(rc, 0);
  CHECK_CONTAINS(out, "num_samples: 3");
  CHECK_CONTAINS(out, "seq_length: 6");
  CHECK_CONTAINS(out, "input_ids        I32   [3, 6]  offsets [0, 72]");
  CHECK_CONTAINS(out, "modality_mask    U8    [3, 6]  offsets [162, 180]");
  CHECK_CONTAINS(out, "auralith shard: yes");
  free(out);
  o.sample = 1;
  o.decode = fake_decode;
  out = inspect_to_string(path, &o, &rc, &err);
  CHECK_CONTAINS(out, "sample 1: 3 tokens");
  CHECK_CONTAINS(out, "input_ids: [13, 400, 14]");
  CHECK_CONTAINS(out, "modality_mask: [4, 4, 4]");
  CHECK_CONTAINS(out, "text: <13><400><14>");
  free(out);
  o.json = 1;
  o.sample = 2;
  o.decode = NULL;
  out = inspect_to_string(path, &o, &rc, &err);
  json_error_t je;
  json_t *j = json_loads(out ? out : "", 0, &je);
  CHECK(j != NULL);
  CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(j, "metadata"), "shard_id")), "0");
  CHECK(json_is_true(json_object_get(j, "auralith_shard")));
  CHECK_EQ_INT(json_array_size(json_object_get(j, "tensors")), 4);
  json_t *s = json_object_get(j, "sample");
  CHECK_EQ_INT(json_integer_value(json_object_get(s, "length")), 4);
  CHECK_EQ_INT(json_integer_value(json_array_get(json_object_get(s, "input_ids"), 1)), 100001);
  json_decref(j);
  free(out);
  /* Errors: row out of range, a corrupt file, a missing file. */
  o.sample = 3;
  out = inspect_to_string(path, &o, &rc, &err);
  CHECK_EQ_INT(rc, -1);
  CHECK_CONTAINS(err.msg, "sample 3 is out of range: the shard holds 3 samples");
  CHECK_EQ_STR(out, "");
  free(out);
  o.sample = -1;
  char *bad = al_xasprintf("%s/bad.safetensors", dir);
  ts_write_file(bad, "\x10\0\0\0\0\0\0\0{\"a\":1}", 15);
  out = inspect_to_string(bad, &o, &rc, &err);
  CHECK_EQ_INT(rc, -1);
  CHECK_CONTAINS(err.msg, "bad.safetensors");
  CHECK_CONTAINS(err.msg, "runs past the end");
  free(out);
  char *missing = al_xasprintf("%s/missing.safetensors", dir);
  out = inspect_to_string(missing, &o, &rc, &err);
  CHECK_EQ_INT(rc, -1);
  CHECK_EQ_INT(err.code, SHARD_EIO);
  CHECK_CONTAINS(err.msg, "missing.safetensors: cannot open");
  free(out);
  free(missing);
  free(bad);
  free(path);
  ts_rmtree(dir);
  free(dir);
}

int main(void) {
  RUN(test_valid_files);
  RUN(test_rejects_corrupt_files);
  RUN(test_schema_check);
  RUN(test_inspect);
  return TEST_REPORT();
}
