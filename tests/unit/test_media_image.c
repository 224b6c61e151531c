/* Image tokenizer parity with the original over tests/data/image (codes.jsonl and the
 * preprocessed arrays), plus the codebook loader's, the .npy reader's and the VQ
 * search's edge cases. Inputs at the target size must give exactly the original's
 * codes; inputs that need a LANCZOS resize at least 99% of them. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/al.h"
#include "harness.h"
#include "media/media.h"
#include "support.h"

static med_set SET;

static void load_set(void) {
  char *dir = ts_data_path("image");
  /* tests/data/image/tokenizer is laid out as <dir>/image of a tokenizers root. */
  char *root = ts_mkdtemp("medimg");
  char *link = al_xasprintf("%s/image", root);
  char abs[4096];
  CHECK(realpath(dir, abs) != NULL);
  char *target = al_xasprintf("%s/tokenizer", abs);
  CHECK(symlink(target, link) == 0);
  al_err err = {0};
  CHECK_MSG(med_set_load(root, &SET, &err) == 0, "%s", err.msg);
  CHECK(SET.image != NULL);
  ts_rmtree(root);
  free(root);
  free(link);
  free(target);
  free(dir);
}

static int exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

static void test_codes(void) {
  if (!SET.image) return;
  char *path = ts_data_path("image/codes.jsonl");
  FILE *f = fopen(path, "r");
  CHECK(f != NULL);
  if (!f) return;
  char line[1 << 16];
  size_t rows = 0, exact_rows = 0, resized_rows = 0, err_rows = 0;
  size_t r_total = 0, r_same = 0;
  while (fgets(line, sizeof line, f)) {
    json_t *row = json_loads(line, 0, NULL);
    if (!row) continue;
    const char *file = json_string_value(json_object_get(row, "file"));
    char *rel = al_xasprintf("image/%s", file);
    char *fp = ts_data_path(rel);
    free(rel);
    json_t *codes = json_object_get(row, "codes");
    int32_t *got = NULL;
    size_t n = 0;
    al_err err = {0};
    int rc = exists(fp) ? med_image_encode_file(SET.image, fp, &got, &n, &err) : -2;
    const char *lower = strrchr(file, '.');
    int ours_only = lower && (strcasecmp(lower, ".webp") == 0 || strcasecmp(lower, ".gif") == 0);
    if (rc == -2) {
      /* The row names a file the generator could not keep under that name. */
    } else if (!json_is_array(codes)) {
      err_rows++;
      if (ours_only)
        CHECK_MSG(rc == 0 && n == 16, "%s: WebP/GIF should decode here: %s", file, err.msg);
      else
        CHECK_MSG(rc < 0, "%s: the original raises (%s) but we gave codes", file,
                  json_string_value(json_object_get(row, "error")));
    } else {
      CHECK_MSG(rc == 0, "%s: %s", file, err.msg);
      json_t *shape = json_object_get(row, "raw_shape");
      int resized = json_integer_value(json_array_get(shape, 0)) != 32 || json_integer_value(json_array_get(shape, 1)) != 32;
      size_t same = 0;
      for (size_t i = 0; rc == 0 && i < n && i < json_array_size(codes); i++)
        same += got[i] == json_integer_value(json_array_get(codes, i));
      CHECK_EQ_INT(n, json_array_size(codes));
      if (resized) {
        resized_rows++;
        r_total += n;
        r_same += same;
        CHECK_MSG(same * 100 >= n * 99, "%s: %zu/%zu codes equal after resize", file, same, n);
      } else {
        exact_rows++;
        CHECK_MSG(same == n, "%s: %zu/%zu codes equal", file, same, n);
      }
    }
    rows++;
    free(got);
    free(fp);
    json_decref(row);
  }
  fclose(f);
  free(path);
  fprintf(stderr, "image codes: %zu rows, %zu exact, %zu resized (%zu/%zu codes equal), %zu raising\n", rows,
          exact_rows, resized_rows, r_same, r_total, err_rows);
  CHECK(exact_rows >= 10);
  CHECK(resized_rows >= 3);
}

/* Decode + resize checked apart from the VQ: our preprocessing of each input equals the
 * original's preprocessed/<stem>.npy (float32) value for value. */
static void test_preprocessed(void) {
  if (!SET.image) return;
  char *path = ts_data_path("image/codes.jsonl");
  FILE *f = fopen(path, "r");
  if (!f) return;
  char line[1 << 16];
  size_t files = 0, exact = 0;
  while (fgets(line, sizeof line, f)) {
    json_t *row = json_loads(line, 0, NULL);
    const char *pre = json_string_value(json_object_get(row, "preprocessed"));
    if (!pre) {
      json_decref(row);
      continue;
    }
    const char *file = json_string_value(json_object_get(row, "file"));
    char *r1 = al_xasprintf("image/%s", file), *r2 = al_xasprintf("image/%s", pre);
    char *in = ts_data_path(r1), *ref = ts_data_path(r2);
    med_array a = {0}, b = {0};
    al_err err = {0};
    double *fa = NULL, *fb = NULL;
    size_t na = 0, nb = 0;
    int ok = med_image_load(&SET.image->cfg, in, &a, &err) == 0 && med_image_features(&SET.image->cfg, &a, in, &fa, &na, &err) == 0;
    CHECK_MSG(ok, "%s: %s", file, err.msg);
    CHECK_MSG(med_npy_load(ref, &b, &err) == 0, "%s", err.msg);
    /* The reference is already 32×32 in [0,1]: the feature step leaves it unchanged. */
    if (ok && med_image_features(&SET.image->cfg, &b, ref, &fb, &nb, &err) == 0 && na == nb) {
      size_t diff = 0, dim = 8 * 8 * 3;
      for (size_t i = 0; i < na * dim; i++) diff += fa[i] != fb[i];
      CHECK_MSG(diff == 0, "%s: %zu of %zu preprocessed values differ from the original's", file, diff, na * dim);
      exact += diff == 0;
    }
    files++;
    free(fa);
    free(fb);
    med_array_free(&a);
    med_array_free(&b);
    free(in);
    free(ref);
    free(r1);
    free(r2);
    json_decref(row);
  }
  fclose(f);
  free(path);
  fprintf(stderr, "image preprocessing: %zu/%zu files value-exact\n", exact, files);
  CHECK(files >= 10);
}

static void test_codebook_errors(void) {
  med_codebook cb;
  al_err err = {0};
  CHECK(med_codebook_parse("{", 1, "cb.json", &cb, &err) < 0);
  CHECK_CONTAINS(err.msg, "cb.json: invalid JSON");
  const char *t1 = "{\"codebook_size\": 2, \"feature_dim\": 2, \"codebook\": [[0, 1]]}";
  CHECK(med_codebook_parse(t1, strlen(t1), "cb.json", &cb, &err) < 0);
  CHECK_CONTAINS(err.msg, "field \"codebook\" has 1 rows, codebook_size is 2");
  const char *t2 = "{\"codebook_size\": 2, \"feature_dim\": 2, \"codebook\": [[0, 1], [0, \"x\"]]}";
  CHECK(med_codebook_parse(t2, strlen(t2), "cb.json", &cb, &err) < 0);
  CHECK_CONTAINS(err.msg, "cb.json: codebook[1][1] is not a number");
  const char *t3 = "{\"feature_dim\": 2, \"codebook\": []}";
  CHECK(med_codebook_parse(t3, strlen(t3), "cb.json", &cb, &err) < 0);
  CHECK_CONTAINS(err.msg, "missing field \"codebook_size\"");
  const char *t4 = "{\"codebook_size\": 3, \"feature_dim\": 1, \"codebook\": [[1.0], [3.0], [3.0]]}";
  CHECK(med_codebook_parse(t4, strlen(t4), "cb.json", &cb, &err) == 0);
  /* 2.0 is equally far from rows 0 and 1: the lowest index wins; 3.0 ties rows 1, 2. */
  double x[4] = {2.0, 3.0, 0.0, 100.0};
  int32_t codes[4];
  med_vq_encode(&cb, x, 4, codes);
  CHECK_EQ_INT(codes[0], 0);
  CHECK_EQ_INT(codes[1], 1);
  CHECK_EQ_INT(codes[2], 0);
  CHECK_EQ_INT(codes[3], 1);
  med_codebook_free(&cb);
}

/* An .npy v1.0 image with the given header dictionary and data; returns its length. */
static size_t make_npy(char *buf, const char *dict, const void *data, size_t n) {
  size_t hl = strlen(dict);
  memcpy(buf, "\x93NUMPY\x01\x00", 8);
  buf[8] = (char)(hl + 1);
  buf[9] = 0;
  memcpy(buf + 10, dict, hl);
  buf[10 + hl] = '\n';
  memcpy(buf + 11 + hl, data, n);
  return 11 + hl + n;
}

static void test_npy_errors(void) {
  med_array a;
  al_err err = {0};
  char buf[256];
  CHECK(med_npy_parse("abc", 3, "x.npy", &a, &err) < 0);
  CHECK_CONTAINS(err.msg, "x.npy: not an .npy file");
  size_t n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", "", 0);
  CHECK(med_npy_parse(buf, n, "x.npy", &a, &err) < 0);
  CHECK_CONTAINS(err.msg, "data truncated: 24 bytes expected, 0 present");
  n = make_npy(buf, "{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }", "", 0);
  CHECK(med_npy_parse(buf, n, "x.npy", &a, &err) < 0);
  CHECK_CONTAINS(err.msg, "unsupported .npy dtype '|O'");
  n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3 }", "", 0);
  CHECK(med_npy_parse(buf, n, "x.npy", &a, &err) < 0);
  CHECK_CONTAINS(err.msg, "x.npy: .npy header field 'shape' is malformed");
  /* Fortran order, big-endian int16: [[1, 2], [3, -4]] stored column by column. */
  static const unsigned char d[] = {0, 1, 0, 3, 0, 2, 0xff, 0xfc};
  n = make_npy(buf, "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 2), }", d, sizeof d);
  CHECK_MSG(med_npy_parse(buf, n, "x.npy", &a, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(a.n, 4);
  if (a.n == 4) {
    CHECK(a.v[0] == 1 && a.v[1] == 2 && a.v[2] == 3 && a.v[3] == -4);
  }
  med_array_free(&a);
}

static void test_bad_images(void) {
  al_err err = {0};
  med_image im;
  CHECK(med_image_decode((const uint8_t *)"", 0, "e.png", &im, &err) < 0);
  CHECK_CONTAINS(err.msg, "e.png: empty file");
  CHECK(med_image_decode((const uint8_t *)"hello world", 11, "t.png", &im, &err) < 0);
  CHECK_CONTAINS(err.msg, "cannot identify image file");
  /* A PNG header claiming 100000×100000 pixels is refused before decoding. */
  static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                      0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 2, 0, 0, 0, 0x2b, 0x1d, 0x2b, 0x46};
  CHECK(med_image_decode(png, sizeof png, "huge.png", &im, &err) < 0);
  CHECK_CONTAINS(err.msg, "huge.png: image of 100000x100000 pixels exceeds the limit of 40000000 pixels");
  /* A 35-byte GIF with a 65535×65535 logical screen (libavcodec allocates the screen
   * for every frame) and one 1×1 image: refused from the screen descriptor. */
  static const unsigned char gif[] = {'G', 'I', 'F', '8', '9', 'a', 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0,
                                      0, 0, 0, 0xff, 0xff, 0xff, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0,
                                      2, 2, 0x44, 0x01, 0, 0x3b};
  CHECK(med_image_decode(gif, sizeof gif, "bomb.gif", &im, &err) < 0);
  CHECK_CONTAINS(err.msg, "bomb.gif: image of 65535x65535 pixels exceeds the limit of 40000000 pixels");
  /* The same GIF with a 2×2 screen decodes: the header reader refuses sizes, not files. */
  unsigned char small[sizeof gif];
  memcpy(small, gif, sizeof gif);
  small[6] = 2, small[7] = 0, small[8] = 2, small[9] = 0;
  CHECK_MSG(med_image_decode(small, sizeof small, "small.gif", &im, &err) == 0, "%s", err.msg);
  if (im.px) {
    CHECK(im.w == 2 && im.h == 2 && im.px[0] == 0 && im.px[1] == 0 && im.px[2] == 0);
    med_image_free(&im);
  }
  /* A truncated JPEG (the first half of a real one) is refused, as Pillow refuses it. */
  char *jp = ts_data_path("image/inputs/jpeg_rgb_32.jpg");
  size_t len;
  char *data = ts_read_file(jp, &len);
  CHECK(data != NULL);
  if (data) {
    CHECK(med_image_decode((const uint8_t *)data, len / 2, "half.jpg", &im, &err) < 0);
    CHECK_CONTAINS(err.msg, "half.jpg");
    CHECK(med_image_decode((const uint8_t *)data, len, "full.jpg", &im, &err) == 0);
    med_image_free(&im);
  }
  free(data);
  free(jp);
}

static void test_resize_identity(void) {
  /* Same size: Pillow returns a copy; a 1×1 upsample is constant. */
  med_image in = {1, 1, 3, al_xmalloc(3)}, out;
  in.px[0] = 10, in.px[1] = 200, in.px[2] = 255;
  med_resize_lanczos(&in, 5, 4, &out);
  int flat = 1;
  for (size_t i = 0; i < 20; i++) flat &= out.px[i * 3] == 10 && out.px[i * 3 + 1] == 200 && out.px[i * 3 + 2] == 255;
  CHECK(flat);
  med_image_free(&out);
  med_image_free(&in);
}

/* The limits and byte form of med_npy_opts: an image array that needs resizing is held
 * as numpy's astype(uint8) bytes and gives the same features as through doubles; one at
 * the target size stays doubles; the pixel and audio limits refuse from the header,
 * before the (absent) data is looked at. */
static void test_npy_bounded(void) {
  med_image_cfg cfg = {16, 8, 16, 3};
  al_err err = {0};
  static char buf[16384];
  /* 12x10 RGB float64 with values beyond a byte, negative and fractional. */
  double px[12 * 10 * 3];
  for (size_t i = 0; i < 360; i++) px[i] = (double)(i * 37 % 700) - 150.25;
  size_t n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (12, 10, 3), }", px, sizeof px);
  med_npy_opts img = {0, NULL, 16};
  med_array a, d;
  CHECK_MSG(med_npy_parse_opts(buf, n, "x.npy", &img, &a, &err) == 0, "%s", err.msg);
  CHECK(a.b != NULL && a.v == NULL && a.n == 360);
  CHECK_MSG(med_npy_parse(buf, n, "x.npy", &d, &err) == 0, "%s", err.msg);
  CHECK(d.v != NULL && d.b == NULL);
  int same = a.b && d.v;
  for (size_t i = 0; same && i < 360; i++) same = a.b[i] == med_to_u8(d.v[i]);
  CHECK(same);
  double *fa = NULL, *fd = NULL;
  size_t na = 0, nd = 0;
  CHECK(med_image_features(&cfg, &a, "x.npy", &fa, &na, &err) == 0);
  CHECK(med_image_features(&cfg, &d, "x.npy", &fd, &nd, &err) == 0);
  CHECK(na == 4 && nd == 4 && fa && fd && memcmp(fa, fd, na * 8 * 8 * 3 * sizeof *fa) == 0);
  free(fa);
  free(fd);
  med_array_free(&a);
  med_array_free(&d);
  /* At the target size the values are kept as doubles (no resize: [0, 1] floats stay). */
  static double sq[16 * 16];
  for (size_t i = 0; i < 256; i++) sq[i] = (double)i / 256.0;
  n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (16, 16), }", sq, sizeof sq);
  CHECK_MSG(med_npy_parse_opts(buf, n, "x.npy", &img, &a, &err) == 0, "%s", err.msg);
  CHECK(a.v != NULL && a.b == NULL && a.v[255] == 255.0 / 256.0);
  med_array_free(&a);
  /* 20000x30000 RGB announced, no data: the pixel limit answers first. */
  n = make_npy(buf, "{'descr': '|u1', 'fortran_order': False, 'shape': (30000, 20000, 3), }", "", 0);
  CHECK(med_npy_parse_opts(buf, n, "big.npy", &img, &a, &err) < 0);
  CHECK_CONTAINS(err.msg, "big.npy: image of 20000x30000 pixels exceeds the limit of 40000000 pixels");
  /* Audio: the decoded-audio limit of 2^23 samples. */
  med_npy_opts aud = {MED_MAX_AUDIO_SAMPLES, "audio samples", 0};
  n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (8388609,), }", "", 0);
  CHECK(med_npy_parse_opts(buf, n, "long.npy", &aud, &a, &err) < 0);
  CHECK_CONTAINS(err.msg, "long.npy: .npy array has more than 8388608 audio samples");
  n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (4096, 2049), }", "", 0);
  CHECK(med_npy_parse_opts(buf, n, "long.npy", &aud, &a, &err) < 0);
  CHECK_CONTAINS(err.msg, "more than 8388608 audio samples");
  /* Within the limit, the usual truncation message. */
  n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (8388608,), }", "", 0);
  CHECK(med_npy_parse_opts(buf, n, "ok.npy", &aud, &a, &err) < 0);
  CHECK_CONTAINS(err.msg, "ok.npy: .npy data truncated");
}

/* Every prefix of a real GIF (gif_32.gif, 191 bytes: one image whose data sub-blocks
 * end at byte 189, then the trailer). A prefix that ends before the end of the image's
 * data is refused with "image file is truncated" naming the file, as Pillow refuses it
 * (libavcodec alone would fill the missing rows); shorter than the signature, it is not
 * identified; the file without its trailer still decodes, as in Pillow. */
static void test_truncated_gif(void) {
  char *path = ts_data_path("image/inputs/gif_32.gif");
  size_t len;
  char *data = ts_read_file(path, &len);
  CHECK(data != NULL && len == 191);
  size_t truncated = 0;
  for (size_t cut = 1; data && cut <= len; cut++) {
    med_image im;
    al_err err = {0};
    int rc = med_image_decode((const uint8_t *)data, cut, "cut.gif", &im, &err);
    if (cut >= len - 1) {
      CHECK_MSG(rc == 0 && im.w == 32 && im.h == 32, "prefix of %zu bytes: %s", cut, err.msg);
      if (rc == 0) med_image_free(&im);
    } else if (cut < 6) {
      CHECK_MSG(rc < 0 && strcmp(err.msg, "cut.gif: cannot identify image file") == 0, "prefix of %zu bytes: %s",
                cut, err.msg);
    } else {
      CHECK_MSG(rc < 0 && strcmp(err.msg, "cut.gif: image file is truncated") == 0, "prefix of %zu bytes: %s", cut,
                err.msg);
      truncated += rc < 0;
    }
  }
  CHECK_EQ_INT(truncated, len - 7);
  /* A sub-block length pointing past the end (the image data's terminator damaged) is
   * a cut too. */
  if (data) {
    char copy[191];
    memcpy(copy, data, len);
    copy[189] = 0x5a;
    med_image im;
    al_err err = {0};
    CHECK(med_image_decode((const uint8_t *)copy, len, "bad.gif", &im, &err) < 0);
    CHECK_EQ_STR(err.msg, "bad.gif: image file is truncated");
  }
  free(data);
  free(path);
}

int main(void) {
  load_set();
  RUN(test_codes);
  RUN(test_preprocessed);
  RUN(test_codebook_errors);
  RUN(test_npy_errors);
  RUN(test_bad_images);
  RUN(test_truncated_gif);
  RUN(test_npy_bounded);
  RUN(test_resize_identity);
  med_set_clear(&SET);
  return TEST_REPORT();
}
