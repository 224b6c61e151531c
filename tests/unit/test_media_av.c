/* Audio and video tokenizer parity with the original over tests/data/audio and
 * tests/data/video: codes.jsonl (exact for inputs at the tokenizer's rate and size, at
 * least 99% where resampling or resizing), and the intermediate arrays: the loaded
 * waveform (audio/loaded), the spectrogram (audio/spectrogram, to 1e-3 dB: the
 * original's float32 BLAS sums are not reproducible bit for bit), the mel filterbank
 * (exact) and the sampled frames (video/frames, exact for lossless codecs). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/al.h"
#include "harness.h"
#include "media/media.h"
#include "support.h"

static med_set SET;

static int exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

static json_t *json_file(const char *rel) {
  char *p = ts_data_path(rel);
  json_t *j = json_load_file(p, 0, NULL);
  CHECK_MSG(j != NULL, "%s", p);
  free(p);
  return j;
}

static void load_set(void) {
  /* tests/data/<m>/tokenizer laid out as a tokenizers root. */
  char *root = ts_mkdtemp("medav");
  char *data = ts_data_path("");
  char abs[4096];
  CHECK(realpath(data, abs) != NULL);
  for (int i = 0; i < 2; i++) {
    const char *m = i ? "video" : "audio";
    char *link = al_xasprintf("%s/%s", root, m), *target = al_xasprintf("%s/%s/tokenizer", abs, m);
    CHECK(symlink(target, link) == 0);
    free(link);
    free(target);
  }
  al_err err = {0};
  CHECK_MSG(med_set_load(root, &SET, &err) == 0, "%s", err.msg);
  CHECK(SET.audio && SET.video);
  ts_rmtree(root);
  free(root);
  free(data);
}

/* Runs fn over each row of <m>/codes.jsonl. */
static void each_row(const char *m, void (*fn)(json_t *row, const char *file, const char *path)) {
  char *rel = al_xasprintf("%s/codes.jsonl", m);
  char *p = ts_data_path(rel);
  FILE *f = fopen(p, "r");
  CHECK_MSG(f != NULL, "%s", p);
  char line[1 << 16];
  while (f && fgets(line, sizeof line, f)) {
    json_t *row = json_loads(line, 0, NULL);
    const char *file = json_string_value(json_object_get(row, "file"));
    char *r2 = al_xasprintf("%s/%s", m, file), *fp = ts_data_path(r2);
    if (exists(fp)) fn(row, file, fp);
    free(r2);
    free(fp);
    json_decref(row);
  }
  if (f) fclose(f);
  free(p);
  free(rel);
}

static size_t n_exact, n_approx, n_err, codes_total, codes_same;

static void compare_codes(json_t *row, const char *file, int rc, const int32_t *got, size_t n, const char *msg,
                          int exact) {
  json_t *codes = json_object_get(row, "codes");
  if (!json_is_array(codes)) {
    n_err++;
    const char *ext = strrchr(file, '.');
    /* .mp3 is decoded here (libsndfile); the golden fake.mp3 is not audio, so it fails too. */
    CHECK_MSG(rc < 0, "%s: the original raises (%s) but we gave codes", file,
              json_string_value(json_object_get(row, "error")));
    (void)ext;
    return;
  }
  CHECK_MSG(rc == 0, "%s: %s", file, msg);
  if (rc < 0) return;
  CHECK_EQ_INT(n, json_array_size(codes));
  size_t same = 0;
  for (size_t i = 0; i < n && i < json_array_size(codes); i++) same += got[i] == json_integer_value(json_array_get(codes, i));
  if (exact) {
    n_exact++;
    CHECK_MSG(same == n, "%s: %zu/%zu codes equal", file, same, n);
  } else {
    n_approx++;
    codes_total += n;
    codes_same += same;
    CHECK_MSG(same * 100 >= n * 99, "%s: %zu/%zu codes equal", file, same, n);
  }
}

static void audio_row(json_t *row, const char *file, const char *path) {
  int32_t *got = NULL;
  size_t n = 0;
  al_err err = {0};
  int rc = med_audio_encode_file(SET.audio, path, &got, &n, &err);
  json_t *sr = json_object_get(row, "file_sr");
  int exact = !sr || json_integer_value(sr) == SET.audio->cfg.sample_rate;
  compare_codes(row, file, rc, got, n, err.msg, exact);
  free(got);
  /* Intermediate arrays. */
  const char *loaded = json_string_value(json_object_get(row, "loaded"));
  const char *spec = json_string_value(json_object_get(row, "spectrogram"));
  double *wave = NULL;
  size_t wn = 0;
  if (med_audio_load(&SET.audio->cfg, path, &wave, &wn, &err) < 0) return;
  if (loaded) {
    char *r = al_xasprintf("audio/%s", loaded), *p = ts_data_path(r);
    med_array ref;
    if (med_npy_load(p, &ref, &err) == 0) {
      CHECK_MSG(ref.n == wn, "%s: loaded %zu samples, the original %zu", file, wn, ref.n);
      double maxd = 0;
      for (size_t i = 0; i < wn && i < ref.n; i++) maxd = fmax(maxd, fabs(wave[i] - ref.v[i]));
      /* Exact decode; resampling agrees to float32 rounding. */
      CHECK_MSG(maxd <= (exact ? 0 : 1e-6), "%s: loaded waveform differs by %g", file, maxd);
      med_array_free(&ref);
    }
    free(r);
    free(p);
  }
  if (spec) {
    char *r = al_xasprintf("audio/%s", spec), *p = ts_data_path(r);
    med_array ref;
    float *s;
    size_t nf;
    med_audio_spectrogram(&SET.audio->cfg, wave, wn, &s, &nf);
    if (med_npy_load(p, &ref, &err) == 0) {
      CHECK_MSG(ref.n == nf * SET.audio->cfg.n_mels, "%s: spectrogram of %zu frames", file, nf);
      double maxd = 0;
      for (size_t i = 0; i < ref.n && i < nf * SET.audio->cfg.n_mels; i++) maxd = fmax(maxd, fabs(s[i] - ref.v[i]));
      /* The original sums in float32 (its rounding shows most in quiet bins); the codes
       * above are what must match. */
      CHECK_MSG(maxd <= 0.05, "%s: spectrogram differs by %g dB", file, maxd);
      med_array_free(&ref);
    }
    free(s);
    free(r);
    free(p);
  }
  free(wave);
}

static void test_audio(void) {
  if (!SET.audio) return;
  n_exact = n_approx = n_err = codes_total = codes_same = 0;
  each_row("audio", audio_row);
  fprintf(stderr, "audio codes: %zu exact rows, %zu resampled rows (%zu/%zu codes equal), %zu raising\n", n_exact,
          n_approx, codes_same, codes_total, n_err);
  CHECK(n_exact >= 10);
  CHECK(n_approx >= 4);
}

static void test_filterbank(void) {
  if (!SET.audio) return;
  json_t *j = json_file("audio/mel_filterbank.json");
  json_t *fb = json_object_get(j, "filterbank");
  float *ours = med_audio_mel_filterbank(&SET.audio->cfg);
  size_t nb = SET.audio->cfg.n_fft / 2 + 1, diff = 0;
  CHECK_EQ_INT(json_array_size(fb), SET.audio->cfg.n_mels);
  for (size_t m = 0; m < json_array_size(fb); m++)
    for (size_t k = 0; k < nb; k++) diff += ours[m * nb + k] != (float)json_number_value(json_array_get(json_array_get(fb, m), k));
  CHECK_EQ_INT(diff, 0);
  free(ours);
  json_decref(j);
}

static void video_row(json_t *row, const char *file, const char *path) {
  int32_t *got = NULL;
  size_t n = 0;
  al_err err = {0};
  int rc = med_video_encode_file(SET.video, path, &got, &n, &err);
  const char *fourcc = json_string_value(json_object_get(row, "fourcc_written"));
  /* Lossless codecs must match exactly; lossy ones depend on the decoder build. */
  int exact = fourcc && (strcmp(fourcc, "RGBA") == 0 || strcmp(fourcc, "png ") == 0);
  compare_codes(row, file, rc, got, n, err.msg, exact);
  free(got);
  const char *fr = json_string_value(json_object_get(row, "frames"));
  if (!fr || rc < 0) return;
  char *r = al_xasprintf("video/%s", fr), *p = ts_data_path(r);
  med_array ref;
  med_image *frames;
  size_t nf;
  if (med_npy_load(p, &ref, &err) == 0 && med_video_frames(&SET.video->cfg, path, &frames, &nf, &err) == 0) {
    size_t per = (size_t)SET.video->cfg.img.image_size * SET.video->cfg.img.image_size * 3, diff = 0, maxd = 0;
    CHECK_MSG(nf * per == ref.n, "%s: %zu frames", file, nf);
    for (size_t i = 0; i < nf && (i + 1) * per <= ref.n; i++)
      for (size_t j = 0; j < per; j++) {
        double d = fabs(frames[i].px[j] - ref.v[i * per + j]);
        diff += d != 0;
        maxd = d > maxd ? (size_t)d : maxd;
      }
    if (exact) CHECK_MSG(diff == 0, "%s: %zu frame values differ (max %zu)", file, diff, maxd);
    else fprintf(stderr, "  %s (lossy): %zu of %zu frame values differ, max %zu\n", file, diff, ref.n, maxd);
    for (size_t i = 0; i < nf; i++) med_image_free(&frames[i]);
    free(frames);
    med_array_free(&ref);
  }
  free(r);
  free(p);
}

static void test_video(void) {
  if (!SET.video) return;
  n_exact = n_approx = n_err = codes_total = codes_same = 0;
  each_row("video", video_row);
  fprintf(stderr, "video codes: %zu lossless rows exact, %zu lossy rows (%zu/%zu codes equal), %zu raising\n", n_exact,
          n_approx, codes_same, codes_total, n_err);
  CHECK(n_exact >= 5);
}

static void test_bad_audio(void) {
  if (!SET.audio) return;
  char *dir = ts_mkdtemp("medbad");
  char *p = al_xasprintf("%s/x.wav", dir);
  ts_write_file(p, "", 0);
  int32_t *c;
  size_t n;
  al_err err = {0};
  CHECK(med_audio_encode_file(SET.audio, p, &c, &n, &err) < 0);
  CHECK_CONTAINS(err.msg, "x.wav: cannot decode audio");
  /* A WAV header announcing 2^31 frames of 64 channels: refused before reading. */
  static const unsigned char hdr[44] = {'R', 'I', 'F', 'F', 0xff, 0xff, 0xff, 0x7f, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' ',
                                        16, 0, 0, 0, 1, 0, 64, 0, 0x40, 0x1f, 0, 0, 0, 0xe8, 0x03, 0, 128, 0, 16, 0,
                                        'd', 'a', 't', 'a', 0xff, 0xff, 0xff, 0x7f};
  ts_write_file(p, hdr, sizeof hdr);
  CHECK(med_audio_encode_file(SET.audio, p, &c, &n, &err) < 0);
  CHECK_CONTAINS(err.msg, "x.wav");
  char *v = al_xasprintf("%s/x.mp4", dir);
  ts_write_file(v, "not a video at all", 18);
  CHECK(med_video_encode_file(SET.video, v, &c, &n, &err) < 0);
  CHECK_CONTAINS(err.msg, "x.mp4: ValueError: Cannot open video");
  ts_rmtree(dir);
  free(dir);
  free(p);
  free(v);
}

int main(void) {
  load_set();
  RUN(test_filterbank);
  RUN(test_audio);
  RUN(test_video);
  RUN(test_bad_audio);
  med_set_clear(&SET);
  return TEST_REPORT();
}
