/* Loading the media tokenizers of a tokenizers directory (original-behaviour.md §13)
 * and building one file's sample (§17). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "media/media.h"

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static int load_codebook(const char *sub, uint32_t k, uint32_t dim, med_codebook *cb, al_err *err) {
  char *p = al_xasprintf("%s/vq_codebook.json", sub);
  int rc = med_codebook_load(p, cb, err);
  if (rc == 0 && (cb->k != k || cb->dim != dim)) {
    rc = al_err_set(err, AL_E_FAILED, "%s: codebook is %u × %u, config.json needs codebook_size %u × feature_dim %u", p, cb->k,
                    cb->dim, k, dim);
    med_codebook_free(cb);
  }
  free(p);
  return rc;
}

static int load_image(const char *dir, med_image_tok **out, al_err *err) {
  *out = NULL;
  char *sub = al_xasprintf("%s/image", dir);
  char *cfgp = al_xasprintf("%s/config.json", sub);
  int rc = 0;
  if (exists(cfgp)) {
    med_image_tok *t = al_xcalloc(1, sizeof *t);
    rc = med_image_cfg_load(cfgp, &t->cfg, err);
    if (rc == 0) {
      uint32_t p = t->cfg.patch_size;
      rc = load_codebook(sub, t->cfg.codebook_size, p * p * t->cfg.channels, &t->cb, err);
    }
    if (rc == 0) *out = t;
    else free(t);
  }
  free(cfgp);
  free(sub);
  return rc;
}

static int load_audio(const char *dir, med_audio_tok **out, al_err *err) {
  *out = NULL;
  char *sub = al_xasprintf("%s/audio", dir);
  char *cfgp = al_xasprintf("%s/config.json", sub);
  int rc = 0;
  if (exists(cfgp)) {
    med_audio_tok *t = al_xcalloc(1, sizeof *t);
    rc = med_audio_cfg_load(cfgp, &t->cfg, err);
    if (rc == 0) rc = load_codebook(sub, t->cfg.codebook_size, t->cfg.n_mels * t->cfg.patch_length, &t->cb, err);
    if (rc == 0) *out = t;
    else free(t);
  }
  free(cfgp);
  free(sub);
  return rc;
}

static int load_video(const char *dir, med_video_tok **out, al_err *err) {
  *out = NULL;
  char *sub = al_xasprintf("%s/video", dir);
  char *cfgp = al_xasprintf("%s/config.json", sub);
  int rc = 0;
  if (exists(cfgp)) {
    med_video_tok *t = al_xcalloc(1, sizeof *t);
    rc = med_video_cfg_load(cfgp, &t->cfg, err);
    if (rc == 0) {
      uint32_t p = t->cfg.img.patch_size;
      rc = load_codebook(sub, t->cfg.img.codebook_size, p * p * t->cfg.img.channels, &t->cb, err);
    }
    if (rc == 0) *out = t;
    else free(t);
  }
  free(cfgp);
  free(sub);
  return rc;
}

int med_set_load(const char *dir, med_set *set, al_err *err) {
  memset(set, 0, sizeof *set);
  if (load_image(dir, &set->image, err) < 0 || load_audio(dir, &set->audio, err) < 0 ||
      load_video(dir, &set->video, err) < 0) {
    med_set_clear(set);
    return -1;
  }
  return 0;
}

void med_set_clear(med_set *set) {
  if (set->image) {
    med_codebook_free(&set->image->cb);
    free(set->image);
  }
  if (set->audio) {
    med_codebook_free(&set->audio->cb);
    free(set->audio);
  }
  if (set->video) {
    med_codebook_free(&set->video->cb);
    free(set->video);
  }
  memset(set, 0, sizeof *set);
}

int med_set_any(const med_set *set) { return set->image || set->audio || set->video; }

int med_image_encode_file(const med_image_tok *t, const char *path, int32_t **codes, size_t *n, al_err *err) {
  *codes = NULL;
  *n = 0;
  med_array a;
  if (med_image_load(&t->cfg, path, &a, err) < 0) return -1;
  double *feat;
  size_t np;
  int rc = med_image_features(&t->cfg, &a, path, &feat, &np, err);
  med_array_free(&a);
  if (rc < 0) return -1;
  *codes = al_xmalloc((np ? np : 1) * sizeof **codes);
  med_vq_encode(&t->cb, feat, np, *codes);
  free(feat);
  *n = np;
  return 0;
}

int med_audio_encode_file(const med_audio_tok *t, const char *path, int32_t **codes, size_t *n, al_err *err) {
  *codes = NULL;
  *n = 0;
  double *wave;
  size_t len;
  if (med_audio_load(&t->cfg, path, &wave, &len, err) < 0) return -1;
  double *feat;
  size_t np;
  int rc = med_audio_features(&t->cfg, wave, len, path, &feat, &np, err);
  free(wave);
  if (rc < 0) return -1;
  *codes = al_xmalloc(np * sizeof **codes);
  med_vq_encode(&t->cb, feat, np, *codes);
  free(feat);
  *n = np;
  return 0;
}

/* Python ids[:n] */
static size_t py_slice_len(size_t len, int64_t n) {
  if (n >= 0) return (uint64_t)n < len ? (size_t)n : len;
  uint64_t drop = (uint64_t)(-(n + 1)) + 1;
  return drop < len ? len - (size_t)drop : 0;
}

al_tok_sample_status med_build_sample(const med_set *set, al_tok_modality m, const char *path, int64_t max_seq_len,
                                   al_tok_sample *out, al_err *err) {
  out->ids.len = 0;
  out->mask.len = 0;
  int32_t *codes = NULL;
  size_t n = 0;
  int32_t start, end, offset;
  int rc;
  switch (m) {
  case TOK_MOD_IMAGE:
    if (!set->image) return al_err_set(err, AL_E_FAILED, "no tokenizer for modality 'image'"), TOK_SAMPLE_ERROR;
    rc = med_image_encode_file(set->image, path, &codes, &n, err);
    start = TOK_IMG, end = TOK_IMG_END, offset = 100000;
    break;
  case TOK_MOD_AUDIO:
    if (!set->audio) return al_err_set(err, AL_E_FAILED, "no tokenizer for modality 'audio'"), TOK_SAMPLE_ERROR;
    rc = med_audio_encode_file(set->audio, path, &codes, &n, err);
    start = TOK_AUDIO, end = TOK_AUDIO_END, offset = 200000;
    break;
  case TOK_MOD_VIDEO:
    if (!set->video) return al_err_set(err, AL_E_FAILED, "no tokenizer for modality 'video'"), TOK_SAMPLE_ERROR;
    rc = med_video_encode_file(set->video, path, &codes, &n, err);
    start = TOK_VIDEO, end = TOK_VIDEO_END, offset = 300000;
    break;
  default: {
    const char *name = al_tok_modality_name(m);
    al_err_set(err, AL_E_FAILED, "no tokenizer for modality '%s'", name ? name : "none");
    return TOK_SAMPLE_ERROR;
  }
  }
  if (rc < 0) return TOK_SAMPLE_ERROR;
  /* The original builds the whole list and then slices it; only the kept part is built
   * here (a long video never needs its full list). */
  size_t total = n + 2, keep = py_slice_len(total, max_seq_len);
  for (size_t i = 0; i < keep; i++)
    al_tok_ids_push(&out->ids, i == 0 ? start : i == total - 1 ? end : codes[i - 1] + offset);
  al_tok_ids_append(&out->mask, NULL, keep, (int32_t)m);
  free(codes);
  return TOK_SAMPLE_OK;
}
