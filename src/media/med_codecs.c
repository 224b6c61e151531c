/* The decoders of src/media that go through the codec module (med_module.c): still
 * images, and the byte-level halves of audio and video loading. Each reads the input
 * (bounded by MED_MAX_FILE_BYTES) before asking for the module, so a missing or
 * unreadable file never loads it. */
#include <stdlib.h>
#include <string.h>

#include "media/media_internal.h"

static const mmod_limits LIMITS = {MED_MAX_PIXELS, MED_MAX_AUDIO_SAMPLES};

int med_image_decode(const uint8_t *data, size_t len, const char *name, med_image *out, al_err *err) {
  memset(out, 0, sizeof *out);
  if (len == 0) return al_err_set(err, AL_E_FAILED, "%s: empty file", name);
  const mmod_api *m = med_module_get(err);
  if (!m) return al_err_prefix(err, "%s", name), -1;
  char msg[AL_ERR_MSG_MAX];
  if (m->image_decode(data, len, name, &LIMITS, out, msg, sizeof msg) < 0) return al_err_set(err, AL_E_FAILED, "%s", msg);
  return 0;
}

int med_audio_decode(const uint8_t *data, size_t len, const char *name, double **samples, size_t *frames,
                     int *channels, int *rate, al_err *err) {
  *samples = NULL;
  *frames = 0;
  const mmod_api *m = med_module_get(err);
  if (!m) return al_err_prefix(err, "%s", name), -1;
  char msg[AL_ERR_MSG_MAX];
  if (m->audio_decode(data, len, name, &LIMITS, samples, frames, channels, rate, msg, sizeof msg) < 0)
    return al_err_set(err, AL_E_FAILED, "%s", msg);
  return 0;
}

int med_video_frames(const med_video_cfg *cfg, const char *path, med_image **frames, size_t *n_frames, al_err *err) {
  *frames = NULL;
  *n_frames = 0;
  uint8_t *data;
  size_t len;
  if (med_read_file(path, MED_MAX_FILE_BYTES, &data, &len, err) < 0) return -1;
  const mmod_api *m = med_module_get(err);
  if (!m) {
    free(data);
    return al_err_prefix(err, "%s", path), -1;
  }
  char msg[AL_ERR_MSG_MAX];
  int rc = m->video_frames(data, len, path, &LIMITS, cfg->img.image_size, cfg->max_frames, frames, n_frames, msg,
                           sizeof msg);
  free(data);
  if (rc < 0) return al_err_set(err, AL_E_FAILED, "%s", msg);
  return 0;
}
