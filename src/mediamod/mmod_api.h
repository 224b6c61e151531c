/* The media codec module (libauralith_media.so): its one exported entry point and the
 * function table it returns. This header is the whole contract between libauralith and
 * the module, so it depends on nothing but the C library.
 *
 * Why a module: the decoders need FFmpeg's libraries, libjpeg and libsndfile, about 140
 * shared objects once their own dependencies are counted. Linked into libauralith they
 * would be loaded (and relocated) by every command, including --help and text-only
 * workers. Behind this boundary they are loaded with dlopen the first time a media file
 * is actually decoded (src/media/med_module.c), and never for text, code or .npy input.
 *
 * Rules for both sides:
 *  - The module exports only MMOD_ENTRY_SYMBOL (everything else is hidden).
 *  - The host checks abi_version == MMOD_ABI_VERSION and struct_size >= the size it
 *    knows; new functions are only ever appended, a changed signature bumps the version.
 *  - Memory the module returns (pixels, frame arrays, samples) comes from malloc in this
 *    process; the caller owns it and frees it with free().
 *  - Every function is thread-safe and reentrant (workers decode on several threads).
 *  - Errors: -1 and a NUL-terminated message in err[0..errcap) naming the input (name)
 *    and what is wrong; 0 on success.
 *  - Limits are passed in by the host and checked against headers before allocating.
 * Prefix: mmod_. */
#ifndef AL_MEDIAMOD_API_H
#define AL_MEDIAMOD_API_H

#include <stddef.h>
#include <stdint.h>

#define MMOD_ABI_VERSION 1u
#define MMOD_ENTRY_SYMBOL "auralith_media_module_v1"
#define MMOD_MODULE_FILE "libauralith_media.so"

/* An 8-bit interleaved image: h × w × c bytes at px (c = 3 for everything the module
 * returns). */
typedef struct mmod_image {
  uint32_t w, h, c;
  uint8_t *px;
} mmod_image;

typedef struct mmod_limits {
  uint64_t max_pixels;        /* one decoded image or video frame */
  uint64_t max_audio_samples; /* decoded samples, all channels */
} mmod_limits;

typedef struct mmod_api {
  uint32_t abi_version;   /* MMOD_ABI_VERSION */
  uint32_t struct_size;   /* sizeof(mmod_api) in the module */
  const char *libraries;  /* the codec libraries' versions, for diagnostics */

  /* Decodes an encoded still image (PNG, JPEG, BMP, TIFF, GIF, WebP, sniffed from the
   * bytes as Pillow does) to RGB as Pillow's convert("RGB") gives it. *out->px is
   * malloc'd (caller frees). */
  int (*image_decode)(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim,
                      mmod_image *out, char *err, size_t errcap);

  /* Decodes an audio file image (WAV, FLAC, Ogg, MP3, ... sniffed by libsndfile) to
   * interleaved normalised doubles: *samples holds *frames × *channels values at *rate Hz
   * (malloc'd, caller frees). */
  int (*audio_decode)(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim,
                      double **samples, size_t *frames, int *channels, int *rate, char *err, size_t errcap);

  /* Decodes a video file image and returns min(max_frames, frame count) frames sampled
   * uniformly (indices from linspace over the frame count, truncated), each as RGB,
   * resized to size × size with a corner-aligned bilinear zoom when they differ.
   * *frames (array of *n_frames images) and every px are malloc'd; the caller frees
   * each px and then the array. */
  int (*video_frames)(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim, uint32_t size,
                      uint32_t max_frames, mmod_image **frames, size_t *n_frames, char *err, size_t errcap);
} mmod_api;

/* The entry point, exported as MMOD_ENTRY_SYMBOL. Returns a static table. */
typedef const mmod_api *(*mmod_entry_fn)(void);

#endif
