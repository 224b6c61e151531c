/* Media tokenizer training: image, audio and video trainers over the golden training
 * inputs (tests/data/<m>/train) write a config.json and vq_codebook.json that load
 * back; training is deterministic (two runs give identical files); the codebook
 * quantises its training data about as well as the original's trained codebook; and
 * too few vectors is an error. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "harness.h"
#include "media/media.h"
#include "support.h"

static char *tmp;

/* Mean squared distance of rows to their nearest code. */
static double qerr(const med_codebook *cb, const double *x, size_t n) {
  int32_t *c = al_xmalloc(n * sizeof *c);
  med_vq_encode(cb, x, n, c);
  double s = 0;
  for (size_t i = 0; i < n; i++)
    for (uint32_t d = 0; d < cb->dim; d++) {
      double t = x[i * cb->dim + d] - cb->c[(size_t)c[i] * cb->dim + d];
      s += t * t;
    }
  free(c);
  return s / (double)n;
}

static void test_image(void) {
  char *dir = ts_data_path("image/train"), *out = al_xasprintf("%s/a/image", tmp), *out2 = al_xasprintf("%s/b/image", tmp);
  med_image_cfg cfg = {32, 8, 16, 3};
  med_train_result r;
  al_err err = {0};
  CHECK_MSG(med_train_image(dir, &cfg, -1, out, &r, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(r.files, 24);
  CHECK_EQ_INT(r.rows, 24 * 16);
  CHECK(med_train_image(dir, &cfg, -1, out2, &r, &err) == 0);
  char *p1 = al_xasprintf("%s/vq_codebook.json", out), *p2 = al_xasprintf("%s/vq_codebook.json", out2);
  size_t n1, n2;
  char *a = ts_read_file(p1, &n1), *b = ts_read_file(p2, &n2);
  CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
  free(a);
  free(b);
  /* Loads as a tokenizer directory and quantises about as well as the original's. */
  char *root = al_xasprintf("%s/a", tmp);
  med_set set;
  CHECK_MSG(med_set_load(root, &set, &err) == 0, "%s", err.msg);
  char *refp = ts_data_path("image/tokenizer/vq_codebook.json");
  med_codebook ref;
  CHECK(med_codebook_load(refp, &ref, &err) == 0);
  if (set.image && ref.c) {
    /* Training rows again, through the same feature path. */
    char *f = ts_data_path("image/train/img_00_hgrad.npy");
    med_array arr;
    double *x = NULL;
    size_t np = 0;
    CHECK(med_npy_load(f, &arr, &err) == 0 && med_image_features(&cfg, &arr, f, &x, &np, &err) == 0);
    double ours = qerr(&set.image->cb, x, np), theirs = qerr(&ref, x, np);
    fprintf(stderr, "image: quantisation error ours %.4f, original %.4f (one training image)\n", ours, theirs);
    CHECK(ours <= theirs * 1.5 + 1e-3);
    med_array_free(&arr);
    free(x);
    free(f);
  }
  med_codebook_free(&ref);
  med_set_clear(&set);
  /* Fewer vectors than codes. */
  med_image_cfg big = {32, 8, 1000, 3};
  CHECK(med_train_image(dir, &big, -1, out, &r, &err) < 0);
  CHECK_CONTAINS(err.msg, "need at least 1000 feature vectors");
  free(refp);
  free(root);
  free(p1);
  free(p2);
  free(dir);
  free(out);
  free(out2);
}

static void test_audio_video(void) {
  char *adir = ts_data_path("audio/train"), *vdir = ts_data_path("video/train");
  char *aout = al_xasprintf("%s/c/audio", tmp), *vout = al_xasprintf("%s/c/video", tmp);
  med_audio_cfg ac = {8000, 128, 64, 20, 16, 4, 0};
  med_video_cfg vc = {{32, 8, 16, 3}, 4, 1};
  med_train_result r;
  al_err err = {0};
  CHECK_MSG(med_train_audio(adir, &ac, -1, aout, &r, &err) == 0, "%s", err.msg);
  CHECK_EQ_INT(r.files, 12);
  CHECK_MSG(med_train_video(vdir, &vc, -1, vout, &r, &err) == 0, "%s", err.msg);
  CHECK(r.rows > 16);
  char *root = al_xasprintf("%s/c", tmp);
  med_set set;
  CHECK_MSG(med_set_load(root, &set, &err) == 0, "%s", err.msg);
  CHECK(set.audio && set.video);
  if (set.video) CHECK_EQ_INT(set.video->cfg.max_frames, 4);
  med_set_clear(&set);
  free(root);
  free(adir);
  free(vdir);
  free(aout);
  free(vout);
}

int main(void) {
  tmp = ts_mkdtemp("media-train");
  RUN(test_image);
  RUN(test_audio_video);
  ts_rmtree(tmp);
  free(tmp);
  return TEST_REPORT();
}
