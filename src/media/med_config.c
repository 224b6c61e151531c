/* config.json of the image, audio and video tokenizers (original-behaviour.md §16).
 * A missing key takes the original's constructor default; a present key must be an
 * integer in range. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "media/media.h"

typedef struct key_spec {
  const char *key;
  uint32_t *dst;
  uint32_t def, lo, hi;
} key_spec;

static int load_keys(const char *path, key_spec *keys, size_t n, al_err *err) {
  uint8_t *data;
  size_t len;
  if (med_read_file(path, (size_t)1 << 20, &data, &len, err) < 0) return -1;
  json_error_t je;
  json_t *root = json_loadb((const char *)data, len, 0, &je);
  free(data);
  if (!root) return al_err_set(err, AL_E_FAILED, "%s: invalid JSON at line %d column %d: %s", path, je.line, je.column, je.text);
  int rc = 0;
  if (!json_is_object(root)) {
    rc = al_err_set(err, AL_E_FAILED, "%s: top level is not an object", path);
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    json_t *v = json_object_get(root, keys[i].key);
    if (!v || json_is_null(v)) {
      *keys[i].dst = keys[i].def;
      continue;
    }
    if (!json_is_integer(v)) {
      rc = al_err_set(err, AL_E_FAILED, "%s: field \"%s\" is not an integer", path, keys[i].key);
      goto out;
    }
    json_int_t x = json_integer_value(v);
    if (x < (json_int_t)keys[i].lo || x > (json_int_t)keys[i].hi) {
      rc = al_err_set(err, AL_E_FAILED, "%s: field \"%s\" is %lld, expected %u..%u", path, keys[i].key, (long long)x,
                      keys[i].lo, keys[i].hi);
      goto out;
    }
    *keys[i].dst = (uint32_t)x;
  }
out:
  json_decref(root);
  return rc;
}

static int check_image(const char *path, const med_image_cfg *c, al_err *err) {
  if (c->patch_size > c->image_size)
    return al_err_set(err, AL_E_FAILED, "%s: field \"patch_size\" (%u) is larger than \"image_size\" (%u)", path, c->patch_size,
                      c->image_size);
  return 0;
}

int med_image_cfg_load(const char *path, med_image_cfg *c, al_err *err) {
  key_spec k[] = {{"image_size", &c->image_size, 224, 1, 16384},
                  {"patch_size", &c->patch_size, 16, 1, 4096},
                  {"codebook_size", &c->codebook_size, 1024, 1, 1 << 20},
                  {"channels", &c->channels, 3, 1, 4}};
  if (load_keys(path, k, AL_ARRAY_LEN(k), err) < 0) return -1;
  return check_image(path, c, err);
}

int med_audio_cfg_load(const char *path, med_audio_cfg *c, al_err *err) {
  key_spec k[] = {{"sample_rate", &c->sample_rate, 16000, 1, 1000000},
                  {"n_fft", &c->n_fft, 512, 2, 1 << 16},
                  {"hop_length", &c->hop_length, 256, 1, 1 << 20},
                  {"n_mels", &c->n_mels, 80, 1, 4096},
                  {"codebook_size", &c->codebook_size, 512, 1, 1 << 20},
                  {"patch_length", &c->patch_length, 16, 1, 1 << 16}};
  if (load_keys(path, k, AL_ARRAY_LEN(k), err) < 0) return -1;
  c->downmix = 0;
  uint8_t *data;
  size_t len;
  if (med_read_file(path, (size_t)1 << 20, &data, &len, err) < 0) return -1;
  json_t *root = json_loadb((const char *)data, len, 0, NULL);
  free(data);
  json_t *d = root ? json_object_get(root, "downmix") : NULL;
  int rc = 0;
  if (d && !json_is_boolean(d)) rc = al_err_set(err, AL_E_FAILED, "%s: field \"downmix\" is not a boolean", path);
  else if (d) c->downmix = json_is_true(d);
  json_decref(root);
  return rc;
}

int med_video_cfg_load(const char *path, med_video_cfg *c, al_err *err) {
  key_spec k[] = {{"image_size", &c->img.image_size, 224, 1, 16384},
                  {"patch_size", &c->img.patch_size, 16, 1, 4096},
                  {"codebook_size", &c->img.codebook_size, 1024, 1, 1 << 20},
                  {"channels", &c->img.channels, 3, 1, 4},
                  {"max_frames", &c->max_frames, 64, 1, 1 << 16},
                  {"temporal_stride", &c->temporal_stride, 1, 1, 1 << 16}};
  if (load_keys(path, k, AL_ARRAY_LEN(k), err) < 0) return -1;
  return check_image(path, &c->img, err);
}
