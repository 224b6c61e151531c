/* Image format sniffing: the decoder is chosen from the file's bytes, as Pillow's
 * Image.open does, not from its extension. */
#include <libavcodec/avcodec.h>
#include <string.h>

#include "mediamod/mmod_internal.h"

int mmod_image_decode(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim, mmod_image *out,
                      al_err *err) {
  memset(out, 0, sizeof *out);
  if (len == 0) return al_err_set(err, AL_E_FAILED, "%s: empty file", name);
  if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
    return mmod_jpeg_decode(data, len, name, lim, out, err);
  int id = AV_CODEC_ID_NONE;
  if (len >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) id = AV_CODEC_ID_PNG;
  else if (len >= 2 && memcmp(data, "BM", 2) == 0) id = AV_CODEC_ID_BMP;
  else if (len >= 4 && (memcmp(data, "II*\0", 4) == 0 || memcmp(data, "MM\0*", 4) == 0)) id = AV_CODEC_ID_TIFF;
  else if (len >= 6 && (memcmp(data, "GIF87a", 6) == 0 || memcmp(data, "GIF89a", 6) == 0)) id = AV_CODEC_ID_GIF;
  else if (len >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0) id = AV_CODEC_ID_WEBP;
  if (id == AV_CODEC_ID_NONE) return al_err_set(err, AL_E_FAILED, "%s: cannot identify image file", name);
  /* A decompression bomb announces its canvas in the header: refused before decoding. */
  uint64_t w, h;
  if (mmod_image_dims(id, data, len, &w, &h) && w * h > lim->max_pixels)
    return al_err_set(err, AL_E_FAILED, "%s: image of %llux%llu pixels exceeds the limit of %llu pixels", name,
                      (unsigned long long)w, (unsigned long long)h, (unsigned long long)lim->max_pixels);
  /* libavcodec would fill the rows a cut GIF lacks; Pillow refuses such a file. */
  if (id == AV_CODEC_ID_GIF && mmod_gif_truncated(data, len))
    return al_err_set(err, AL_E_FAILED, "%s: image file is truncated", name);
  return mmod_av_image_decode(id, data, len, name, lim, out, err);
}
