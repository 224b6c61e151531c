/* The video tokenizer (original-behaviour.md §16.3): the sampled frames come from the
 * codec module (src/mediamod/mmod_video.c: uniform sampling, corner-aligned bilinear
 * zoom to image_size), then the image tokenizer runs per kept frame. */
#include <stdlib.h>

#include "media/media_internal.h"

int med_video_encode_file(const med_video_tok *t, const char *path, int32_t **codes, size_t *n, al_err *err) {
  *codes = NULL;
  *n = 0;
  med_image *frames;
  size_t nf;
  if (med_video_frames(&t->cfg, path, &frames, &nf, err) < 0) return -1;
  size_t S = t->cfg.img.image_size, P = t->cfg.img.patch_size, per = (S / P) * (S / P);
  size_t kept = (nf + t->cfg.temporal_stride - 1) / t->cfg.temporal_stride;
  int32_t *c = al_xmalloc((kept * per > 0 ? kept * per : 1) * sizeof *c);
  size_t nc = 0;
  int rc = 0;
  for (size_t i = 0; i < nf; i += t->cfg.temporal_stride) {
    med_array a = {MED_DT_UINT, 1, 3, {S, S, frames[i].c}, S * S * frames[i].c, NULL, NULL};
    a.v = al_xmalloc(a.n * sizeof *a.v);
    for (size_t j = 0; j < a.n; j++) a.v[j] = frames[i].px[j];
    double *feat;
    size_t np;
    rc = med_image_features(&t->cfg.img, &a, path, &feat, &np, err);
    med_array_free(&a);
    if (rc < 0) break;
    med_vq_encode(&t->cb, feat, np, c + nc);
    nc += np;
    free(feat);
  }
  for (size_t i = 0; i < nf; i++) med_image_free(&frames[i]);
  free(frames);
  if (rc < 0) {
    free(c);
    return -1;
  }
  *codes = c;
  *n = nc;
  return 0;
}
