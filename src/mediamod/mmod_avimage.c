/* Still images through libavcodec's decoders, and the conversion of any decoded libav
 * frame to RGB with Pillow's convert("RGB") rules (also used for video frames). */
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mediamod/mmod_internal.h"

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;
/* libav logs corrupt-input details to stderr; our error messages carry the reason. */
static void make_quiet(void) { av_log_set_level(AV_LOG_QUIET); }
void mmod_av_quiet(void) { pthread_once(&quiet_once, make_quiet); }

static uint8_t hi(const uint8_t *p, int be) { return be ? p[0] : p[1]; }
static uint16_t u16(const uint8_t *p, int be) { return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]); }

int mmod_av_frame_to_rgb(const AVFrame *f, const char *name, const mmod_limits *lim, mmod_image *out,
                         al_err *err) {
  memset(out, 0, sizeof *out);
  uint32_t w = (uint32_t)f->width, h = (uint32_t)f->height;
  if (w == 0 || h == 0) return al_err_set(err, AL_E_FAILED, "%s: decoded image has no pixels", name);
  if ((uint64_t)w * h > lim->max_pixels)
    return al_err_set(err, AL_E_FAILED, "%s: image of %ux%u pixels exceeds the limit of %llu pixels", name, w, h,
                      (unsigned long long)lim->max_pixels);
  uint8_t *px = al_xmalloc((size_t)w * h * 3 + 1);
  enum AVPixelFormat fmt = (enum AVPixelFormat)f->format;
  int direct = 1;
  for (uint32_t y = 0; y < h && direct; y++) {
    const uint8_t *s = f->data[0] + (ptrdiff_t)y * f->linesize[0];
    uint8_t *o = px + (size_t)y * w * 3;
    for (uint32_t x = 0; x < w; x++, o += 3) {
      switch (fmt) {
      case AV_PIX_FMT_RGB24: memcpy(o, s + 3 * x, 3); break;
      case AV_PIX_FMT_BGR24: o[0] = s[3 * x + 2], o[1] = s[3 * x + 1], o[2] = s[3 * x]; break;
      case AV_PIX_FMT_RGBA:
      case AV_PIX_FMT_RGB0: memcpy(o, s + 4 * x, 3); break;
      case AV_PIX_FMT_BGRA:
      case AV_PIX_FMT_BGR0: o[0] = s[4 * x + 2], o[1] = s[4 * x + 1], o[2] = s[4 * x]; break;
      case AV_PIX_FMT_ARGB:
      case AV_PIX_FMT_0RGB: memcpy(o, s + 4 * x + 1, 3); break;
      case AV_PIX_FMT_ABGR:
      case AV_PIX_FMT_0BGR: o[0] = s[4 * x + 3], o[1] = s[4 * x + 2], o[2] = s[4 * x + 1]; break;
      case AV_PIX_FMT_GRAY8: o[0] = o[1] = o[2] = s[x]; break;
      case AV_PIX_FMT_YA8: o[0] = o[1] = o[2] = s[2 * x]; break;
      /* 16-bit grey opens in Pillow as mode I; I→RGB clips each value to 255. */
      case AV_PIX_FMT_GRAY16BE:
      case AV_PIX_FMT_GRAY16LE: {
        uint16_t v = u16(s + 2 * x, fmt == AV_PIX_FMT_GRAY16BE);
        o[0] = o[1] = o[2] = v > 255 ? 255 : (uint8_t)v;
        break;
      }
      /* 16-bit grey+alpha and colour: Pillow unpacks the high byte. */
      case AV_PIX_FMT_YA16BE:
      case AV_PIX_FMT_YA16LE: o[0] = o[1] = o[2] = hi(s + 4 * x, fmt == AV_PIX_FMT_YA16BE); break;
      case AV_PIX_FMT_RGB48BE:
      case AV_PIX_FMT_RGB48LE:
        for (int c = 0; c < 3; c++) o[c] = hi(s + 6 * x + 2 * c, fmt == AV_PIX_FMT_RGB48BE);
        break;
      case AV_PIX_FMT_RGBA64BE:
      case AV_PIX_FMT_RGBA64LE:
        for (int c = 0; c < 3; c++) o[c] = hi(s + 8 * x + 2 * c, fmt == AV_PIX_FMT_RGBA64BE);
        break;
      case AV_PIX_FMT_PAL8: {
        uint32_t argb;
        memcpy(&argb, f->data[1] + 4 * s[x], 4);
        o[0] = (uint8_t)(argb >> 16), o[1] = (uint8_t)(argb >> 8), o[2] = (uint8_t)argb;
        break;
      }
      case AV_PIX_FMT_MONOBLACK:
      case AV_PIX_FMT_MONOWHITE: {
        int bit = (s[x >> 3] >> (7 - (x & 7))) & 1;
        if (fmt == AV_PIX_FMT_MONOWHITE) bit = !bit;
        o[0] = o[1] = o[2] = bit ? 255 : 0;
        break;
      }
      default: direct = 0; x = w; break;
      }
    }
  }
  if (!direct) {
    /* YUV and planar formats (lossy WebP, YCbCr TIFF, video): libswscale, exact-size
     * conversion only, so the scaler flag affects chroma upsampling alone. */
    struct SwsContext *sws =
        sws_getContext((int)w, (int)h, fmt, (int)w, (int)h, AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
    if (!sws) {
      free(px);
      const char *fn = av_get_pix_fmt_name(fmt);
      return al_err_set(err, AL_E_FAILED, "%s: unsupported pixel format %s", name, fn ? fn : "?");
    }
    /* libswscale's SIMD stores may run past the end of a row: it writes into a buffer
     * with 64-byte aligned rows and a spare row, which is then copied out. */
    size_t stride = ((size_t)w * 3 + 63) & ~(size_t)63;
    uint8_t *tmp = av_malloc(stride * (h + 1) + 64);
    if (!tmp) {
      sws_freeContext(sws);
      free(px);
      return al_err_set(err, AL_E_FAILED, "%s: out of memory converting pixels", name);
    }
    uint8_t *dst[4] = {tmp, NULL, NULL, NULL};
    int dls[4] = {(int)stride, 0, 0, 0};
    sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, (int)h, dst, dls);
    sws_freeContext(sws);
    for (uint32_t y = 0; y < h; y++) memcpy(px + (size_t)y * w * 3, tmp + (size_t)y * stride, (size_t)w * 3);
    av_free(tmp);
  }
  out->w = w;
  out->h = h;
  out->c = 3;
  out->px = px;
  return 0;
}

int mmod_av_image_decode(int codec_id, const uint8_t *data, size_t len, const char *name, const mmod_limits *lim,
                         mmod_image *out, al_err *err) {
  memset(out, 0, sizeof *out);
  mmod_av_quiet();
  const AVCodec *codec = avcodec_find_decoder((enum AVCodecID)codec_id);
  if (!codec) return al_err_set(err, AL_E_FAILED, "%s: no decoder for this image format in libavcodec", name);
  AVCodecContext *ctx = avcodec_alloc_context3(codec);
  AVPacket *pkt = av_packet_alloc();
  AVFrame *f = av_frame_alloc();
  int rc = -1;
  if (!ctx || !pkt || !f) {
    al_err_set(err, AL_E_FAILED, "%s: out of memory in libavcodec", name);
    goto out;
  }
  /* Header dimensions beyond the limit are refused before any pixel buffer exists. */
  ctx->max_pixels = lim->max_pixels;
  ctx->thread_count = 1; /* already on a worker thread */
  ctx->err_recognition = AV_EF_EXPLODE | AV_EF_CRCCHECK;
  if (avcodec_open2(ctx, codec, NULL) < 0) {
    al_err_set(err, AL_E_FAILED, "%s: cannot open the %s decoder", name, codec->name);
    goto out;
  }
  uint8_t *buf = av_malloc(len + AV_INPUT_BUFFER_PADDING_SIZE);
  if (!buf) {
    al_err_set(err, AL_E_FAILED, "%s: out of memory in libavcodec", name);
    goto out;
  }
  memcpy(buf, data, len);
  memset(buf + len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
  if (av_packet_from_data(pkt, buf, (int)len) < 0) {
    av_free(buf);
    al_err_set(err, AL_E_FAILED, "%s: out of memory in libavcodec", name);
    goto out;
  }
  int r = avcodec_send_packet(ctx, pkt);
  if (r >= 0) avcodec_send_packet(ctx, NULL);
  if (r >= 0) r = avcodec_receive_frame(ctx, f);
  if (r < 0) {
    char e[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(r, e, sizeof e);
    al_err_set(err, AL_E_FAILED, "%s: cannot decode %s image: %s", name, codec->name, e);
    goto out;
  }
  if (f->decode_error_flags || (f->flags & AV_FRAME_FLAG_CORRUPT)) {
    al_err_set(err, AL_E_FAILED, "%s: corrupt %s image", name, codec->name);
    goto out;
  }
  rc = mmod_av_frame_to_rgb(f, name, lim, out, err);
out:
  av_frame_free(&f);
  av_packet_free(&pkt);
  avcodec_free_context(&ctx);
  return rc;
}
