/* The module's exported entry point and function table (see mmod_api.h): thin wrappers
 * that turn the decoders' al_err reports into the table's plain message buffers. */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdio.h>
#include <string.h>

#include "mediamod/mmod_internal.h"

static int report(int rc, const al_err *e, char *err, size_t errcap) {
  if (rc < 0 && err && errcap) snprintf(err, errcap, "%s", e->msg[0] ? e->msg : "media decoding failed");
  return rc < 0 ? -1 : 0;
}

static int t_image_decode(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim,
                          mmod_image *out, char *err, size_t errcap) {
  al_err e;
  al_err_clear(&e);
  return report(mmod_image_decode(data, len, name, lim, out, &e), &e, err, errcap);
}

static int t_audio_decode(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim,
                          double **samples, size_t *frames, int *channels, int *rate, char *err, size_t errcap) {
  al_err e;
  al_err_clear(&e);
  return report(mmod_audio_decode(data, len, name, lim, samples, frames, channels, rate, &e), &e, err, errcap);
}

static int t_video_frames(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim, uint32_t size,
                          uint32_t max_frames, mmod_image **frames, size_t *n_frames, char *err, size_t errcap) {
  al_err e;
  al_err_clear(&e);
  return report(mmod_video_frames(data, len, name, lim, size, max_frames, frames, n_frames, &e), &e, err, errcap);
}

static char libraries[160];

static const mmod_api API = {
    MMOD_ABI_VERSION, sizeof(mmod_api), libraries, t_image_decode, t_audio_decode, t_video_frames,
};

const mmod_api *auralith_media_module_v1(void) __attribute__((visibility("default")));
static pthread_once_t libs_once = PTHREAD_ONCE_INIT;
static void fill_libraries(void) {
  unsigned c = avcodec_version(), f = avformat_version();
  snprintf(libraries, sizeof libraries, "libavcodec %u.%u.%u, libavformat %u.%u.%u, %s", c >> 16, (c >> 8) & 255,
           c & 255, f >> 16, (f >> 8) & 255, f & 255, sf_version_string());
}

const mmod_api *auralith_media_module_v1(void) {
  pthread_once(&libs_once, fill_libraries);
  return &API;
}
