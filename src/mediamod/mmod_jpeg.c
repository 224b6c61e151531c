/* JPEG decoding with libjpeg-turbo, set up as Pillow's JpegDecode.c sets it up (the
 * library's default islow IDCT and fancy upsampling), so decoded pixels equal Pillow's.
 * Errors longjmp out of libjpeg into a message naming the file. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* jpeglib.h needs size_t and FILE first; jerror.h has the message codes. */
#include <jerror.h>
#include <jpeglib.h>

#include "mediamod/mmod_internal.h"

typedef struct jerr {
  struct jpeg_error_mgr mgr;
  jmp_buf jb;
  char msg[JMSG_LENGTH_MAX];
  int truncated;
} jerr;

static void on_error(j_common_ptr cinfo) {
  jerr *e = (jerr *)cinfo->err;
  cinfo->err->format_message(cinfo, e->msg);
  longjmp(e->jb, 1);
}

/* Warnings are not errors, as in Pillow, except running out of data: Pillow refuses a
 * truncated JPEG ("image file is truncated") where libjpeg would pad it with grey. */
static void on_emit(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) ((jerr *)cinfo->err)->truncated = 1;
}

/* Pillow's cmyk2rgb: r = 255 - k' - c·k'/255 style, with MULDIV255 rounding. */
static uint8_t muldiv255(int a, int b) {
  int t = a * b + 128;
  return (uint8_t)(((t >> 8) + t) >> 8);
}

int mmod_jpeg_decode(const uint8_t *data, size_t len, const char *name, const mmod_limits *lim, mmod_image *out,
                     al_err *err) {
  struct jpeg_decompress_struct cinfo;
  jerr je;
  memset(out, 0, sizeof *out);
  /* volatile: modified between setjmp and a possible longjmp. */
  uint8_t *volatile px = NULL;
  uint8_t *volatile row = NULL;
  cinfo.err = jpeg_std_error(&je.mgr);
  je.mgr.error_exit = on_error;
  je.mgr.emit_message = on_emit;
  je.truncated = 0;
  if (setjmp(je.jb)) {
    jpeg_destroy_decompress(&cinfo);
    free(px);
    free(row);
    return al_err_set(err, AL_E_FAILED, "%s: corrupt JPEG: %s", name, je.msg);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, (unsigned long)len);
  jpeg_read_header(&cinfo, TRUE);
  if ((uint64_t)cinfo.image_width * cinfo.image_height > lim->max_pixels) {
    uint32_t w = cinfo.image_width, h = cinfo.image_height;
    jpeg_destroy_decompress(&cinfo);
    return al_err_set(err, AL_E_FAILED, "%s: image of %ux%u pixels exceeds the limit of %llu pixels", name, w, h,
                      (unsigned long long)lim->max_pixels);
  }
  int cmyk = 0;
  switch (cinfo.jpeg_color_space) {
  case JCS_GRAYSCALE: cinfo.out_color_space = JCS_GRAYSCALE; break;
  case JCS_CMYK:
  case JCS_YCCK: cinfo.out_color_space = JCS_CMYK; cmyk = 1; break;
  default: cinfo.out_color_space = JCS_RGB; break;
  }
  jpeg_start_decompress(&cinfo);
  uint32_t w = cinfo.output_width, h = cinfo.output_height, nc = (uint32_t)cinfo.output_components;
  px = al_xmalloc((size_t)w * h * 3 + 1);
  row = al_xmalloc((size_t)w * nc + 1);
  /* Adobe CMYK JPEGs store inverted values (Pillow reads them as "CMYK;I"). */
  int inverted = cmyk && cinfo.saw_Adobe_marker;
  while (cinfo.output_scanline < h) {
    uint32_t y = cinfo.output_scanline;
    JSAMPROW rp = row;
    jpeg_read_scanlines(&cinfo, &rp, 1);
    uint8_t *o = px + (size_t)y * w * 3;
    for (uint32_t x = 0; x < w; x++) {
      const uint8_t *s = row + (size_t)x * nc;
      if (nc == 1) {
        o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = s[0];
      } else if (cmyk) {
        int c = s[0], m = s[1], yy = s[2], k = s[3];
        if (inverted) c = 255 - c, m = 255 - m, yy = 255 - yy, k = 255 - k;
        int nk = 255 - k;
        o[3 * x] = (uint8_t)(nk - muldiv255(c, nk));
        o[3 * x + 1] = (uint8_t)(nk - muldiv255(m, nk));
        o[3 * x + 2] = (uint8_t)(nk - muldiv255(yy, nk));
      } else {
        memcpy(o + 3 * x, s, 3);
      }
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  free(row);
  if (je.truncated) {
    free(px);
    return al_err_set(err, AL_E_FAILED, "%s: image file is truncated", name);
  }
  out->w = w;
  out->h = h;
  out->c = 3;
  out->px = px;
  return 0;
}
