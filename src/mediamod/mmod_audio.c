/* Audio decoding with libsndfile from a memory buffer (the host read the file with a
 * size limit): the library python-soundfile wraps, so samples equal the original's.
 * Resampling and the spectrogram are pure computation and stay in src/media. */
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

#include "mediamod/mmod_internal.h"

/* ---- libsndfile on a memory buffer (the file was read with a size limit) ---------- */
typedef struct vio {
  const uint8_t *data;
  sf_count_t len, pos;
} vio;

static sf_count_t vio_len(void *u) { return ((vio *)u)->len; }
static sf_count_t vio_seek(sf_count_t off, int whence, void *u) {
  vio *v = u;
  sf_count_t p = whence == SEEK_SET ? off : whence == SEEK_CUR ? v->pos + off : v->len + off;
  if (p < 0) p = 0;
  if (p > v->len) p = v->len;
  v->pos = p;
  return p;
}
static sf_count_t vio_read(void *dst, sf_count_t n, void *u) {
  vio *v = u;
  if (n > v->len - v->pos) n = v->len - v->pos;
  if (n <= 0) return 0;
  memcpy(dst, v->data + v->pos, (size_t)n);
  v->pos += n;
  return n;
}
static sf_count_t vio_write(const void *p, sf_count_t n, void *u) { (void)p, (void)n, (void)u; return 0; }
static sf_count_t vio_tell(void *u) { return ((vio *)u)->pos; }

/* Decodes an audio file image to interleaved doubles (libsndfile's normalised double
 * read, as python-soundfile's default float64 read). */
int mmod_audio_decode(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim, double **out,
                      size_t *frames, int *channels, int *rate, al_err *err) {
  SF_VIRTUAL_IO io = {vio_len, vio_seek, vio_read, vio_write, vio_tell};
  vio v = {data, (sf_count_t)len, 0};
  SF_INFO info;
  memset(&info, 0, sizeof info);
  SNDFILE *sf = sf_open_virtual(&io, SFM_READ, &info, &v);
  if (!sf) return al_err_set(err, AL_E_FAILED, "%s: cannot decode audio: %s", name, sf_strerror(NULL));
  if (info.channels < 1 || info.samplerate < 1) {
    sf_close(sf);
    return al_err_set(err, AL_E_FAILED, "%s: audio header has %d channels at %d Hz", name, info.channels, info.samplerate);
  }
  uint64_t limit = lim->max_audio_samples / (uint64_t)info.channels;
  if (info.frames > 0 && (uint64_t)info.frames > limit && info.frames != SF_COUNT_MAX) {
    sf_close(sf);
    return al_err_set(err, AL_E_FAILED, "%s: audio of %lld frames × %d channels exceeds the limit of %llu samples", name,
                      (long long)info.frames, info.channels, (unsigned long long)lim->max_audio_samples);
  }
  size_t cap = info.frames > 0 && info.frames != SF_COUNT_MAX ? (size_t)info.frames : 65536, n = 0;
  double *buf = al_xmalloc((cap ? cap : 1) * (size_t)info.channels * sizeof *buf);
  for (;;) {
    if (n == cap) {
      if (cap >= limit) {
        free(buf);
        sf_close(sf);
        return al_err_set(err, AL_E_FAILED, "%s: audio exceeds the limit of %llu samples", name,
                          (unsigned long long)lim->max_audio_samples);
      }
      cap = cap * 2 > limit ? (size_t)limit : cap * 2;
      buf = al_xrealloc(buf, cap * (size_t)info.channels * sizeof *buf);
    }
    sf_count_t got = sf_readf_double(sf, buf + n * (size_t)info.channels, (sf_count_t)(cap - n));
    if (got <= 0) break;
    n += (size_t)got;
  }
  int e = sf_error(sf);
  sf_close(sf);
  if (e != SF_ERR_NO_ERROR) {
    free(buf);
    return al_err_set(err, AL_E_FAILED, "%s: corrupt audio: %s", name, sf_error_number(e));
  }
  *out = buf;
  *frames = n;
  *channels = info.channels;
  *rate = info.samplerate;
  return 0;
}
