/* GIF structure walk before decoding. libavcodec's GIF decoder returns success on a
 * file cut inside its pixel data and fills the missing rows itself, where Pillow (the
 * original's reader) raises "image file is truncated". Walking the blocks up to the end
 * of the first image's data finds such files without decoding. Every read is
 * bounds-checked against len. */
#include "mediamod/mmod_internal.h"

/* Size of a colour table announced by a packed-fields byte (0 when there is none). */
static size_t color_table(uint8_t packed) { return packed & 0x80 ? 3u << ((packed & 7) + 1) : 0; }

/* Skips a chain of data sub-blocks (size byte, data) ending with a size-0 block at *pos.
 * Returns 0, or -1 when the data ends first. */
static int skip_sub_blocks(const uint8_t *d, size_t len, size_t *pos) {
  for (;;) {
    if (*pos >= len) return -1;
    size_t n = d[(*pos)++];
    if (n == 0) return 0;
    if (n > len - *pos) return -1;
    *pos += n;
  }
}

int mmod_gif_truncated(const uint8_t *d, size_t len) {
  /* header (6) and logical screen descriptor (7), then the global colour table */
  if (len < 13) return 1;
  size_t pos = 13;
  size_t gct = color_table(d[10]);
  if (gct > len - pos) return 1;
  pos += gct;
  while (pos < len) {
    uint8_t b = d[pos++];
    if (b == 0x3b) return 0; /* trailer before any image: the decoder gives the reason */
    if (b == 0x21) {         /* extension: label, then sub-blocks */
      if (pos >= len) return 1;
      pos++;
      if (skip_sub_blocks(d, len, &pos) < 0) return 1;
    } else if (b == 0x2c) { /* image descriptor (9), local colour table, LZW code size, data */
      if (len - pos < 9) return 1;
      size_t lct = color_table(d[pos + 8]);
      pos += 9;
      if (lct > len - pos) return 1;
      pos += lct;
      if (pos >= len) return 1;
      pos++;
      return skip_sub_blocks(d, len, &pos) < 0;
    }
    /* any other byte: walked over, as Pillow does; libavcodec then refuses the file */
  }
  return 1;
}
