/* Image dimensions read from the container header before any decoder runs, so that a
 * decompression bomb (a small file announcing a huge canvas) is refused with a message
 * that says so. libavcodec's max_pixels refuses the same files, but only as "Invalid
 * argument"; it stays set as the backstop for anything this reader does not see (later
 * TIFF pages, frames of an animation). Every read is bounds-checked against len. */
#include <libavcodec/avcodec.h>
#include <string.h>

#include "mediamod/mmod_internal.h"

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t le16(const uint8_t *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t be32(const uint8_t *p) { return be16(p) << 16 | be16(p + 2); }
static uint32_t le32(const uint8_t *p) { return le16(p + 2) << 16 | le16(p); }

/* TIFF: ImageWidth (256) and ImageLength (257) of the first IFD, SHORT or LONG. */
static int tiff_dims(const uint8_t *d, size_t len, uint64_t *w, uint64_t *h) {
  if (len < 8) return 0;
  int be = d[0] == 'M';
  uint32_t (*u16)(const uint8_t *) = be ? be16 : le16;
  uint32_t (*u32)(const uint8_t *) = be ? be32 : le32;
  uint64_t off = u32(d + 4);
  if (off + 2 > len) return 0;
  uint32_t n = u16(d + off);
  int got = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t e = off + 2 + (uint64_t)i * 12;
    if (e + 12 > len) break;
    uint32_t tag = u16(d + e), type = u16(d + e + 2), v;
    if (tag != 256 && tag != 257) continue;
    if (type == 3) v = u16(d + e + 8);       /* SHORT */
    else if (type == 4) v = u32(d + e + 8);  /* LONG */
    else continue;
    if (tag == 256) *w = v, got |= 1;
    else *h = v, got |= 2;
  }
  return got == 3;
}

/* WebP: the VP8X canvas, else the VP8L or lossy VP8 frame size. */
static int webp_dims(const uint8_t *d, size_t len, uint64_t *w, uint64_t *h) {
  if (len >= 30 && memcmp(d + 12, "VP8X", 4) == 0) {
    *w = 1 + (uint64_t)(d[24] | d[25] << 8 | d[26] << 16);
    *h = 1 + (uint64_t)(d[27] | d[28] << 8 | d[29] << 16);
    return 1;
  }
  if (len >= 25 && memcmp(d + 12, "VP8L", 4) == 0 && d[20] == 0x2f) {
    uint32_t b = le32(d + 21);
    *w = 1 + (b & 0x3fff);
    *h = 1 + ((b >> 14) & 0x3fff);
    return 1;
  }
  if (len >= 30 && memcmp(d + 12, "VP8 ", 4) == 0 && d[23] == 0x9d && d[24] == 0x01 && d[25] == 0x2a) {
    *w = le16(d + 26) & 0x3fff;
    *h = le16(d + 28) & 0x3fff;
    return 1;
  }
  return 0;
}

int mmod_image_dims(int codec_id, const uint8_t *d, size_t len, uint64_t *w, uint64_t *h) {
  switch (codec_id) {
  case AV_CODEC_ID_PNG:
    if (len < 24 || memcmp(d + 12, "IHDR", 4) != 0) return 0;
    *w = be32(d + 16), *h = be32(d + 20);
    return 1;
  case AV_CODEC_ID_GIF: /* the logical screen, which libavcodec allocates per frame */
    if (len < 10) return 0;
    *w = le16(d + 6), *h = le16(d + 8);
    return 1;
  case AV_CODEC_ID_BMP: {
    if (len < 26) return 0;
    if (le32(d + 14) == 12) { /* OS/2 core header: 16-bit sizes */
      *w = le16(d + 18), *h = le16(d + 20);
      return 1;
    }
    int32_t sw = (int32_t)le32(d + 18), sh = (int32_t)le32(d + 22); /* negative height: top-down */
    *w = sw < 0 ? (uint64_t)-(int64_t)sw : (uint64_t)sw;
    *h = sh < 0 ? (uint64_t)-(int64_t)sh : (uint64_t)sh;
    return 1;
  }
  case AV_CODEC_ID_TIFF: return tiff_dims(d, len, w, h);
  case AV_CODEC_ID_WEBP: return webp_dims(d, len, w, h);
  default: return 0;
  }
}
