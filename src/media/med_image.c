/* The image tokenizer's preprocessing and patchify (original-behaviour.md §16.1). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/media.h"

uint8_t med_to_u8(double v) {
  if (!(v == v)) return 0;
  double t = trunc(v);
  if (t >= 9.2e18 || t <= -9.2e18) return 0;
  return (uint8_t)(uint64_t)(int64_t)t;
}

/* Element i of an array held as doubles or as bytes. */
static double at(const med_array *a, size_t i) { return a->b ? a->b[i] : a->v[i]; }

int med_image_features(const med_image_cfg *cfg, const med_array *img, const char *name, double **feat,
                       size_t *n_patches, al_err *err) {
  *feat = NULL;
  *n_patches = 0;
  if (img->ndim != 2 && img->ndim != 3)
    return al_err_set(err, AL_E_FAILED, "%s: image array has %d dimensions, expected 2 or 3", name, img->ndim);
  const size_t S = cfg->image_size, P = cfg->patch_size;
  size_t H = img->shape[0], W = img->shape[1], C = img->ndim == 3 ? img->shape[2] : 1;
  double *px; /* S × S × C values after preprocessing */
  if (H != S || W != S) {
    /* Image.fromarray(img.astype(uint8)): 2-D is mode L, 3 and 4 channels RGB/RGBA, 2
     * channels LA; anything else Pillow cannot hold. */
    if (img->ndim == 3 && (C < 2 || C > 4))
      return al_err_set(err, AL_E_FAILED, "%s: TypeError: Cannot handle this data type: (1, 1, %zu), |u1", name, C);
    if (H == 0 || W == 0) return al_err_set(err, AL_E_FAILED, "%s: image array has no pixels", name);
    if ((uint64_t)H * W > MED_MAX_PIXELS)
      return al_err_set(err, AL_E_FAILED, "%s: image of %zux%zu pixels exceeds the limit", name, W, H);
    /* Bytes are resized in place of the astype(uint8) copy they already are. */
    med_image in = {(uint32_t)W, (uint32_t)H, (uint32_t)C, img->b}, out;
    if (!img->b) {
      in.px = al_xmalloc(img->n + 1);
      for (size_t i = 0; i < img->n; i++) in.px[i] = med_to_u8(img->v[i]);
    }
    med_resize_lanczos(&in, (uint32_t)S, (uint32_t)S, &out);
    if (!img->b) med_image_free(&in);
    px = al_xmalloc(S * S * C * sizeof *px);
    for (size_t i = 0; i < S * S * C; i++) px[i] = (float)out.px[i] / 255.0f;
    med_image_free(&out);
  } else {
    double mx = -INFINITY;
    for (size_t i = 0; i < img->n; i++)
      if (at(img, i) > mx) mx = at(img, i);
    px = al_xmalloc((img->n ? img->n : 1) * sizeof *px);
    if (mx > 1.0) {
      for (size_t i = 0; i < img->n; i++) px[i] = (float)at(img, i) / 255.0f;
    } else {
      for (size_t i = 0; i < img->n; i++) px[i] = at(img, i);
    }
  }
  size_t Cout = cfg->channels;
  if (C != Cout && C != 1) {
    free(px);
    return al_err_set(err, AL_E_FAILED, "%s: ValueError: Channel mismatch: expected %zu, got %zu", name, Cout, C);
  }
  size_t pps = S / P, n = pps * pps, dim = P * P * Cout;
  double *f = al_xmalloc((n ? n : 1) * dim * sizeof *f);
  for (size_t i = 0; i < pps; i++)
    for (size_t j = 0; j < pps; j++) {
      double *o = f + (i * pps + j) * dim;
      for (size_t y = 0; y < P; y++)
        for (size_t x = 0; x < P; x++) {
          const double *s = px + ((i * P + y) * S + (j * P + x)) * C;
          for (size_t c = 0; c < Cout; c++) *o++ = s[C == 1 ? 0 : c];
        }
    }
  free(px);
  *feat = f;
  *n_patches = n;
  return 0;
}

/* The last dot-part of the file name (Path.suffix), or "" when there is none. */
static const char *suffix(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  if (!dot || dot == base || dot[1] == '\0') return "";
  return dot;
}

static int ext_is(const char *ext, const char *const *list) {
  for (; *list; list++)
    if (strcasecmp(ext, *list) == 0) return 1;
  return 0;
}

int med_image_load(const med_image_cfg *cfg, const char *path, med_array *out, al_err *err) {
  memset(out, 0, sizeof *out);
  const char *ext = suffix(path);
  if (strcmp(ext, ".npy") == 0) {
    med_npy_opts o = {0, NULL, cfg->image_size};
    return med_npy_load_opts(path, &o, out, err);
  }
  /* The original loader's list plus WebP (its classifier names it, its loader refuses
   * it) and GIF (a supported image format here; the original leaves it unclassified). */
  static const char *const decodable[] = {".jpg", ".jpeg", ".png", ".bmp", ".tiff", ".webp", ".gif", NULL};
  if (!ext_is(ext, decodable))
    return al_err_set(err, AL_E_FAILED, "%s: ValueError: Unsupported image format: %s. Supported: .npy, .jpg, .jpeg, .png, "
                      ".bmp, .tiff, .webp, .gif", path, ext);
  uint8_t *data;
  size_t len;
  if (med_read_file(path, MED_MAX_FILE_BYTES, &data, &len, err) < 0) return -1;
  med_image im;
  int rc = med_image_decode(data, len, path, &im, err);
  free(data);
  if (rc < 0) return -1;
  out->kind = MED_DT_UINT;
  out->itemsize = 1;
  out->ndim = 3;
  out->shape[0] = im.h;
  out->shape[1] = im.w;
  out->shape[2] = 3;
  out->n = (size_t)im.h * im.w * 3;
  out->b = im.px; /* ownership moves to the array */
  return 0;
}
