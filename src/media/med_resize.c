/* Pillow's LANCZOS resize (libImaging/Resample.c), reimplemented from its published
 * algorithm so that resized images match Pillow's pixel for pixel: coefficients in
 * double, normalised to sum 1, converted to fixed point with 22 fractional bits
 * (rounded half away from zero), accumulated in 32-bit integers starting at one half,
 * and clipped to 8 bits after each pass. The horizontal pass runs first, over only the
 * rows the vertical pass will read. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/media.h"

#define PRECISION_BITS (32 - 8 - 2)
#define LANCZOS_SUPPORT 3.0

void med_image_free(med_image *im) {
  free(im->px);
  memset(im, 0, sizeof *im);
}

static double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= M_PI;
  return sin(x) / x;
}

static double lanczos(double x) {
  if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3.0);
  return 0.0;
}

/* One axis: for every output position, the first input index, the count, and ksize
 * fixed-point weights. Returns ksize; *bounds (2 × out) and *kk (out × ksize) are heap
 * and owned by the caller. */
static int coeffs(uint32_t in_size, uint32_t out_size, int **bounds_out, int32_t **kk_out) {
  double scale = (double)in_size / out_size, filterscale = scale < 1.0 ? 1.0 : scale;
  double support = LANCZOS_SUPPORT * filterscale;
  int ksize = (int)ceil(support) * 2 + 1;
  double *k = al_xmalloc((size_t)ksize * sizeof *k);
  int *bounds = al_xmalloc((size_t)out_size * 2 * sizeof *bounds);
  int32_t *kk = al_xcalloc((size_t)out_size * (size_t)ksize, sizeof *kk);
  for (uint32_t xx = 0; xx < out_size; xx++) {
    double center = (xx + 0.5) * scale, ww = 0.0, ss = 1.0 / filterscale;
    int xmin = (int)(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = (int)(center + support + 0.5);
    if (xmax > (int)in_size) xmax = (int)in_size;
    xmax -= xmin;
    for (int x = 0; x < xmax; x++) {
      double w = lanczos((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; x++) {
      double v = ww != 0.0 ? k[x] / ww : k[x];
      kk[(size_t)xx * ksize + x] =
          v < 0 ? (int32_t)(-0.5 + v * (1 << PRECISION_BITS)) : (int32_t)(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  free(k);
  *bounds_out = bounds;
  *kk_out = kk;
  return ksize;
}

static uint8_t clip8(int32_t v) {
  if (v >= (1 << PRECISION_BITS << 8)) return 255;
  if (v <= 0) return 0;
  return (uint8_t)(v >> PRECISION_BITS);
}

void med_resize_lanczos(const med_image *in, uint32_t out_w, uint32_t out_h, med_image *out) {
  const uint32_t C = in->c;
  int *bh, *bv;
  int32_t *kh, *kv;
  int ksh = coeffs(in->w, out_w, &bh, &kh);
  int ksv = coeffs(in->h, out_h, &bv, &kv);
  int need_h = out_w != in->w, need_v = out_h != in->h;
  /* Rows of the input the vertical pass uses. */
  int y_first = bv[0], y_last = bv[(out_h - 1) * 2] + bv[(out_h - 1) * 2 + 1];
  const uint8_t *src = in->px;
  uint32_t src_w = in->w, src_h = in->h;
  uint8_t *tmp = NULL;
  if (need_h) {
    for (uint32_t i = 0; i < out_h; i++) bv[i * 2] -= y_first;
    uint32_t th = (uint32_t)(y_last - y_first);
    tmp = al_xmalloc((size_t)th * out_w * C + 1);
    for (uint32_t yy = 0; yy < th; yy++) {
      const uint8_t *row = in->px + (size_t)(yy + (uint32_t)y_first) * in->w * C;
      for (uint32_t xx = 0; xx < out_w; xx++) {
        int xmin = bh[xx * 2], xmax = bh[xx * 2 + 1];
        const int32_t *k = kh + (size_t)xx * ksh;
        for (uint32_t c = 0; c < C; c++) {
          int32_t ss = 1 << (PRECISION_BITS - 1);
          for (int x = 0; x < xmax; x++) ss += row[(size_t)(x + xmin) * C + c] * k[x];
          tmp[((size_t)yy * out_w + xx) * C + c] = clip8(ss);
        }
      }
    }
    src = tmp;
    src_w = out_w;
    src_h = th;
  }
  out->w = out_w;
  out->h = out_h;
  out->c = C;
  if (need_v) {
    out->px = al_xmalloc((size_t)out_h * out_w * C + 1);
    for (uint32_t yy = 0; yy < out_h; yy++) {
      int ymin = bv[yy * 2], ymax = bv[yy * 2 + 1];
      const int32_t *k = kv + (size_t)yy * ksv;
      for (uint32_t xx = 0; xx < out_w; xx++)
        for (uint32_t c = 0; c < C; c++) {
          int32_t ss = 1 << (PRECISION_BITS - 1);
          for (int y = 0; y < ymax; y++) ss += src[((size_t)(y + ymin) * src_w + xx) * C + c] * k[y];
          out->px[((size_t)yy * out_w + xx) * C + c] = clip8(ss);
        }
    }
    free(tmp);
  } else if (tmp) {
    out->px = tmp;
  } else {
    out->px = al_xmalloc((size_t)src_h * src_w * C + 1);
    memcpy(out->px, src, (size_t)src_h * src_w * C);
  }
  free(bh);
  free(bv);
  free(kh);
  free(kv);
}
