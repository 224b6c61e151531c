/* Image, audio and video tokenizers: the original's vector-quantiser tokenizers
 * (original-behaviour.md §15, §16) and the per-file samples built from them (§17).
 *
 * A media tokenizer turns a file into a list of codebook indices: decode, bring to the
 * configured size or rate, cut into patches, and pick the nearest codebook row for each
 * patch. Everything here is pure computation plus reading the one input file, so it
 * runs on worker threads; loaded tokenizers are read-only and shared between threads.
 *
 * The decoders of compressed formats run in the codec module (see "Codec module" below).
 *
 * Memory: every decoder checks header dimensions against MED_MAX_PIXELS (images and
 * video frames) or MED_MAX_AUDIO_SAMPLES before allocating, and reads at most
 * MED_MAX_FILE_BYTES of a file, so one file never needs more than a few hundred MiB.
 * Prefix: med_. */
#ifndef AL_MEDIA_MEDIA_H
#define AL_MEDIA_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "auralith/tokenizer.h"
#include "common/al.h"
#include "mediamod/mmod_api.h"

#define MED_MAX_FILE_BYTES ((size_t)512 << 20)  /* one encoded input file */
#define MED_MAX_PIXELS ((uint64_t)40000000)      /* one decoded image or video frame */
#define MED_MAX_AUDIO_SAMPLES ((uint64_t)1 << 23)/* decoded samples (all channels) */
#define MED_MAX_NPY_ELEMS ((uint64_t)1 << 27)    /* elements of one .npy array */

/* ---- Codebook (vq_codebook.json) -------------------------------------------------- */
typedef struct med_codebook {
  uint32_t k;      /* codebook_size */
  uint32_t dim;    /* feature_dim */
  double *c;       /* k × dim, row-major (owned) */
  double *t;       /* the search's transposed copy (med_vq.c; owned, free()); NULL until
                    * med_codebook_prepare, then the search transposes per call */
} med_codebook;

/* Parses the JSON text of a vq_codebook.json. name is used in error messages (the
 * file path). Returns 0, or -1 with err naming the file and the field. */
int med_codebook_parse(const char *json, size_t len, const char *name, med_codebook *cb, al_err *err);
/* Reads and parses path. */
int med_codebook_load(const char *path, med_codebook *cb, al_err *err);
void med_codebook_free(med_codebook *cb);

/* For each of the n rows of x (n × cb->dim), writes the index of the nearest codebook
 * row by squared Euclidean distance in double precision, lowest index on ties
 * (med_vq.c). The codebook is only read: several threads may search one codebook. */
void med_vq_encode(const med_codebook *cb, const double *x, size_t n, int32_t *codes);
/* The definition med_vq_encode reproduces bit for bit: one code at a time, scalar. */
void med_vq_encode_ref(const med_codebook *cb, const double *x, size_t n, int32_t *codes);
/* med_vq_encode with the instruction set chosen (tests): MED_VQ_GENERIC is the
 * compiler's baseline vectors, MED_VQ_AUTO uses AVX2 when the CPU has it. */
enum { MED_VQ_AUTO = 0, MED_VQ_GENERIC = 1 };
void med_vq_encode_variant(const med_codebook *cb, const double *x, size_t n, int32_t *codes, int variant);
/* 1 when med_vq_encode uses the AVX2 build of the search on this CPU. */
int med_vq_has_avx2(void);
/* (Re)builds cb->t from cb->c (k·dim more doubles); call again after changing cb->c.
 * Returns 0, or -1 when out of memory (the search then still works, more slowly). */
int med_codebook_prepare(med_codebook *cb);

/* ---- N-dimensional arrays (.npy files and decoded media) -------------------------- */
typedef enum { MED_DT_BOOL, MED_DT_INT, MED_DT_UINT, MED_DT_FLOAT } med_dtype_kind;

#define MED_MAX_DIMS 8
typedef struct med_array {
  med_dtype_kind kind;
  int itemsize;               /* bytes per element in the file: 1, 2, 4 or 8 */
  int ndim;
  size_t shape[MED_MAX_DIMS];
  size_t n;                   /* product of shape */
  double *v;                  /* n values in C order, widened to double (owned) */
  /* Decoded images instead hold their n bytes here and leave v NULL (owned): a
   * 40 M-pixel RGB image is 120 MB as bytes and would be 960 MB as doubles. */
  uint8_t *b;
} med_array;

/* Parses an .npy file image (format 1.0, 2.0 or 3.0; little- or big-endian bool, int,
 * uint and float types, C or Fortran order). Values are widened to double (int64
 * beyond 2^53 rounds, as numpy's astype(float) would). name goes in error messages.
 * Returns 0, or -1 with err saying what in the header or data is wrong. */
int med_npy_parse(const void *data, size_t len, const char *name, med_array *out, al_err *err);
int med_npy_load(const char *path, med_array *out, al_err *err);
/* Limits and representation for one use of an .npy array, applied from the header,
 * before any value is converted. */
typedef struct med_npy_opts {
  uint64_t max_elems; /* refused above this many elements (0: MED_MAX_NPY_ELEMS) */
  const char *unit;   /* what an element is, for that reason (NULL: "elements") */
  /* Nonzero: an image array (2 or 3 dims) whose first two dims are not image_size ×
   * image_size, which the tokenizer resizes from numpy's astype(uint8), is held as
   * those bytes in b (v NULL), one byte per element instead of eight, and refused
   * beyond MED_MAX_PIXELS pixels. */
  uint32_t image_size;
} med_npy_opts;
/* med_npy_parse / med_npy_load under opts (NULL: the defaults). */
int med_npy_parse_opts(const void *data, size_t len, const char *name, const med_npy_opts *opts, med_array *out,
                       al_err *err);
int med_npy_load_opts(const char *path, const med_npy_opts *opts, med_array *out, al_err *err);
/* numpy's astype(uint8) of a double: truncation toward zero, then the low byte. */
uint8_t med_to_u8(double v);
void med_array_free(med_array *a);

/* ---- File reading ----------------------------------------------------------------- */
/* Reads a whole regular file (never a FIFO or device) of at most max_bytes into *data
 * (heap, caller frees). Returns 0, or -1 with err naming the file. */
int med_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len, al_err *err);

/* ---- Codec module ------------------------------------------------------------------- */
/* Decoding PNG/JPEG/BMP/TIFF/GIF/WebP, WAV/FLAC/Ogg/MP3 and video needs the codec module
 * libauralith_media.so (src/mediamod, FFmpeg, libjpeg, libsndfile), loaded on the first
 * such decode (search order in med_module.c). Everything else here (.npy, codebooks,
 * resizing, spectrograms, training on .npy) works without it. When it is missing, those
 * decoders fail with a message naming the module and where it was looked for. */
/* Loads the module now if needed. Returns 0, or -1 with err saying why it is missing. */
int med_module_available(al_err *err);
/* True once the module is loaded (never loads it). */
int med_module_loaded(void);
/* The loaded module's path, or NULL. */
const char *med_module_path(void);

/* ---- Images ------------------------------------------------------------------------ */
/* An 8-bit interleaved image {w, h, c, px}: c = 1, 3 or 4, px is h × w × c bytes
 * (owned). The codec module's type, so decoded images cross the boundary as they are. */
typedef mmod_image med_image;
void med_image_free(med_image *im);

/* Decodes an encoded image (PNG, JPEG, BMP, TIFF, GIF, WebP; the format is sniffed from
 * the bytes, as Pillow does) to RGB as Pillow's convert("RGB") gives it: grey and
 * palette expanded, alpha dropped, 16-bit grey clipped to 255, 16-bit colour reduced to
 * its high byte. Refuses images over MED_MAX_PIXELS before decoding them. Returns 0 and
 * fills *out (c = 3), or -1 with err. */
int med_image_decode(const uint8_t *data, size_t len, const char *name, med_image *out, al_err *err);

/* Pillow's Image.resize(..., LANCZOS) for 8-bit images with 1, 3 or 4 channels:
 * separable Lanczos-3, horizontal pass then vertical, each rounded to 8 bits with
 * Pillow's fixed-point coefficients. Returns a new image in *out (caller frees). */
void med_resize_lanczos(const med_image *in, uint32_t out_w, uint32_t out_h, med_image *out);

/* ---- Tokenizer configurations (config.json) ---------------------------------------- */
typedef struct med_image_cfg {
  uint32_t image_size, patch_size, codebook_size, channels;
} med_image_cfg;

typedef struct med_audio_cfg {
  uint32_t sample_rate, n_fft, hop_length, n_mels, codebook_size, patch_length;
  /* Extension, off by default: average the channels of a multi-channel file instead
   * of interleaving them as the original does ("downmix": true in config.json; the
   * original's loader would reject that key). */
  uint32_t downmix;
} med_audio_cfg;

typedef struct med_video_cfg {
  med_image_cfg img;
  uint32_t max_frames, temporal_stride;
} med_video_cfg;

/* Each reads path; a missing key takes the original's default; a key of the wrong type
 * or out of range fails with err naming the file and the key. */
int med_image_cfg_load(const char *path, med_image_cfg *cfg, al_err *err);
int med_audio_cfg_load(const char *path, med_audio_cfg *cfg, al_err *err);
int med_video_cfg_load(const char *path, med_video_cfg *cfg, al_err *err);

/* ---- Image tokenizer ---------------------------------------------------------------- */
/* Builds the patch features of one image array as the original's _preprocess_image and
 * patchify do: an (H, W), (H, W, 1) or (H, W, C) array, resized with LANCZOS when H or W
 * differs from image_size, scaled by 1/255 in float32 when needed, channels repeated
 * from 1 to cfg->channels. *feat is (num_patches × patch²·channels), caller frees.
 * Returns 0 or -1 with err (the original's message where it raises). */
int med_image_features(const med_image_cfg *cfg, const med_array *img, const char *name,
                       double **feat, size_t *n_patches, al_err *err);
/* Loads the array of an image file as the original's _load_image: ".npy" (exactly, case
 * sensitive) through the .npy reader, decodable images (the extension in any case)
 * through med_image_decode, anything else an error. An .npy array that needs resizing
 * to cfg->image_size is held as bytes (med_npy_opts), so a file costs at most its own
 * size plus one byte per element. */
int med_image_load(const med_image_cfg *cfg, const char *path, med_array *out, al_err *err);

/* ---- Audio tokenizer ------------------------------------------------------------------ */
/* Loads a waveform as the original's _load_audio_raw: ".npy" (exactly) raw, with no
 * resampling or scaling; .wav/.flac/.ogg/.mp3 (any case) through libsndfile as
 * normalised doubles, resampled as scipy.signal.resample to int(n·rate/file_rate)
 * frames when the rates differ, rounded to float32, channels interleaved (or averaged
 * with cfg->downmix). *wave (n values) is heap, caller frees. Refuses more than
 * MED_MAX_AUDIO_SAMPLES samples from the header. */
int med_audio_load(const med_audio_cfg *cfg, const char *path, double **wave, size_t *n, al_err *err);
/* The log-mel spectrogram (n_mels × *frames, row-major, float32 values). Always
 * succeeds; a clip shorter than n_fft is zero-padded. *spec is heap, caller frees. */
int med_audio_spectrogram(const med_audio_cfg *cfg, const double *wave, size_t n, float **spec, size_t *frames);
/* The HTK mel filterbank (n_mels × (n_fft/2+1), float32), heap, caller frees. */
float *med_audio_mel_filterbank(const med_audio_cfg *cfg);
/* Patches of patch_length frames, mel-major; fails (too short) with no whole patch. */
int med_audio_features(const med_audio_cfg *cfg, const double *wave, size_t n, const char *name, double **feat,
                       size_t *n_patches, al_err *err);

/* ---- Video tokenizer ------------------------------------------------------------------ */
/* The sampled frames of a video file as 8-bit RGB image_size² images (array of
 * *n_frames, each and the array heap, caller frees with med_image_free and free). */
int med_video_frames(const med_video_cfg *cfg, const char *path, med_image **frames, size_t *n_frames, al_err *err);

/* ---- Loaded media tokenizers --------------------------------------------------------- */
typedef struct med_image_tok {
  med_image_cfg cfg;
  med_codebook cb;
} med_image_tok;

typedef struct med_audio_tok {
  med_audio_cfg cfg;
  med_codebook cb;
} med_audio_tok;

typedef struct med_video_tok {
  med_video_cfg cfg;
  med_codebook cb;
} med_video_tok;

/* The image, audio and video tokenizers of one tokenizers directory (§13). A modality
 * whose subdirectory or config.json is missing is NULL. */
typedef struct med_set {
  med_image_tok *image;
  med_audio_tok *audio;
  med_video_tok *video;
} med_set;

/* Loads dir/image, dir/audio and dir/video. A subdirectory with config.json must have a
 * valid vq_codebook.json of the configured size, else -1 with err naming the file.
 * Returns 0 (possibly with all three NULL). */
int med_set_load(const char *dir, med_set *set, al_err *err);
void med_set_clear(med_set *set);
/* True when at least one media tokenizer loaded. */
int med_set_any(const med_set *set);

/* Encode one file to codes (*codes heap, *n entries; caller frees). Video codes are
 * the kept frames' codes in order (every temporal_stride-th sampled frame). */
int med_image_encode_file(const med_image_tok *t, const char *path, int32_t **codes, size_t *n, al_err *err);
int med_audio_encode_file(const med_audio_tok *t, const char *path, int32_t **codes, size_t *n, al_err *err);
int med_video_encode_file(const med_video_tok *t, const char *path, int32_t **codes, size_t *n, al_err *err);

/* Builds the sample of one image/audio/video file (§17): start marker, code + offset for
 * every code, end marker, mask = modality, truncated to max_seq_len (Python slicing,
 * so a negative limit drops from the end). Returns TOK_SAMPLE_OK and fills *out, or
 * TOK_SAMPLE_ERROR with err set to the reason the file is skipped (no tokenizer for the
 * modality, unreadable, corrupt, too large, too short, ...). */
al_tok_sample_status med_build_sample(const med_set *set, al_tok_modality m, const char *path,
                                   int64_t max_seq_len, al_tok_sample *out, al_err *err);

/* ---- Training (§15, §20) ------------------------------------------------------------ */
/* The original's EMA k-means (decay 0.99, Laplace eps 1e-5, at most 100 iterations,
 * stop below 1e-6 change, centroids rounded to float32), started from k distinct rows
 * chosen with a seeded generator: deterministic for a seed, not numpy's stream. Needs
 * n >= k. *cb is owned by the caller. */
int med_kmeans(const double *x, size_t n, uint32_t dim, uint32_t k, uint64_t seed, med_codebook *cb, int *iters,
               al_err *err);
/* Writes vq_codebook.json as the original does (compact, shortest round-trip numbers). */
int med_codebook_save(const med_codebook *cb, const char *path, al_err *err);

typedef struct med_train_result {
  size_t files, rows;
  int iterations;
} med_train_result;
/* Each trains one tokenizer from a directory (recursive, sorted as Python sorts Paths)
 * and writes outdir/config.json and outdir/vq_codebook.json. Image: every *.npy; audio:
 * every *.npy waveform (already at the rate; clips without one patch add nothing);
 * video: files with a video extension, the first max_files (-1: all), up to max_frames
 * sampled frames each. sample_size (-1: all) keeps that many random feature rows
 * (seed 42). */
int med_train_image(const char *dir, const med_image_cfg *cfg, int64_t sample_size, const char *outdir,
                    med_train_result *res, al_err *err);
int med_train_audio(const char *dir, const med_audio_cfg *cfg, int64_t sample_size, const char *outdir,
                    med_train_result *res, al_err *err);
int med_train_video(const char *dir, const med_video_cfg *cfg, int64_t max_files, const char *outdir,
                    med_train_result *res, al_err *err);

/* ---- Process-wide cache of loaded sets ------------------------------------------------ */
/* Workers load each tokenizers directory once and share it between threads; a set is
 * reloaded when one of its config.json or vq_codebook.json files changes (mtime or
 * size), and a replaced set is freed when its last user releases it. Thread-safe. */
typedef struct med_ref {
  const med_set *set;   /* valid until med_cache_release */
  void *entry_;         /* internal */
} med_ref;
/* Returns 0 and fills ref (the set may hold no tokenizer), or -1 with err when a
 * present tokenizer cannot be loaded. */
int med_cache_acquire(const char *dir, med_ref *ref, al_err *err);
void med_cache_release(med_ref *ref);
/* Loads performed so far (for tests: proves reuse). */
uint64_t med_cache_loads(void);
/* Drops every entry not in use (tests, shutdown). */
void med_cache_clear(void);

#endif
