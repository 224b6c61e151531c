/* Declarations shared by the files of the media codec module (src/mediamod) only. The
 * module is built from these files plus src/common's allocation and error helpers, all
 * with hidden visibility; see mmod_api.h for its contract. */
#ifndef AL_MEDIAMOD_INTERNAL_H
#define AL_MEDIAMOD_INTERNAL_H

#include "common/al.h"
#include "mediamod/mmod_api.h"

/* Still images: the format sniffed from the bytes (mmod_image.c). */
int mmod_image_decode(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim, mmod_image *out,
                      al_err *err);
/* JPEG through libjpeg-turbo (mmod_jpeg.c). Same contract as mmod_image_decode. */
int mmod_jpeg_decode(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim, mmod_image *out,
                     al_err *err);
/* PNG, BMP, TIFF, GIF and WebP through libavcodec's image decoders (mmod_avimage.c);
 * codec_id is an AVCodecID. Same contract as mmod_image_decode. */
int mmod_av_image_decode(int codec_id, const uint8_t *data, size_t len, const char *name, const mmod_limits *lim,
                         mmod_image *out, al_err *err);

/* Width and height announced by the header of a PNG, GIF, BMP, TIFF (first IFD) or
 * WebP file (codec_id an AVCodecID), read without decoding (mmod_dims.c). Returns 1 and
 * sets *w, *h when the header holds them, else 0 (the decoder then decides). */
int mmod_image_dims(int codec_id, const uint8_t *data, size_t len, uint64_t *w, uint64_t *h);

/* 1 when a GIF (data, len) ends before the data sub-blocks of its first image do (cut
 * inside the header, an extension or the pixel data), else 0 (mmod_gif.c). */
int mmod_gif_truncated(const uint8_t *data, size_t len);

struct AVFrame;
/* Converts a decoded libav frame to 8-bit RGB as Pillow's convert("RGB") would give it
 * for the same source pixels; formats without a direct rule go through libswscale.
 * Returns 0 or -1 with err. out->px is malloc'd (caller frees). */
int mmod_av_frame_to_rgb(const struct AVFrame *f, const char *name, const mmod_limits *lim, mmod_image *out,
                         al_err *err);
/* Silences libav's own stderr logging once per process (our messages carry the reason). */
void mmod_av_quiet(void);

/* Audio through libsndfile (mmod_audio.c); see mmod_api.h audio_decode. */
int mmod_audio_decode(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim, double **samples,
                      size_t *frames, int *channels, int *rate, al_err *err);
/* Video through libavformat/libavcodec (mmod_video.c); see mmod_api.h video_frames. */
int mmod_video_frames(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim, uint32_t size,
                      uint32_t max_frames, mmod_image **frames, size_t *n_frames, al_err *err);

#endif
