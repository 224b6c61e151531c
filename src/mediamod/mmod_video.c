/* The video tokenizer (original-behaviour.md §16.3): frames sampled uniformly (indices
 * from linspace over the frame count, truncated), resized with a corner-aligned
 * bilinear zoom (scipy.ndimage.zoom, order 1) when their size differs, then the image
 * tokenizer per frame. Decoding uses libavformat/libavcodec from a memory buffer (the
 * host read the file with a size limit); frames are decoded in order and the sampled ones
 * kept, which is what the original's seek-and-read gives on well-formed files. */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mem.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mediamod/mmod_internal.h"

typedef struct mem_io {
  const uint8_t *data;
  size_t len, pos;
} mem_io;

static int io_read(void *u, uint8_t *buf, int n) {
  mem_io *m = u;
  size_t left = m->len - m->pos;
  if (left == 0) return AVERROR_EOF;
  if ((size_t)n > left) n = (int)left;
  memcpy(buf, m->data + m->pos, (size_t)n);
  m->pos += (size_t)n;
  return n;
}

static int64_t io_seek(void *u, int64_t off, int whence) {
  mem_io *m = u;
  if (whence == AVSEEK_SIZE) return (int64_t)m->len;
  int64_t p = (whence & ~AVSEEK_FORCE) == SEEK_CUR ? (int64_t)m->pos + off
              : (whence & ~AVSEEK_FORCE) == SEEK_END ? (int64_t)m->len + off : off;
  if (p < 0 || (uint64_t)p > m->len) return -1;
  m->pos = (size_t)p;
  return p;
}

/* scipy.ndimage.zoom(frame, (S/h, S/w, 1), order=1) with grid_mode False, uint8
 * output (rounded half up, clipped). */
static void zoom_bilinear(const mmod_image *in, uint32_t S, mmod_image *out) {
  out->w = out->h = S;
  out->c = in->c;
  out->px = al_xmalloc((size_t)S * S * in->c + 1);
  double zy = S > 1 ? (double)(in->h - 1) / (double)(S - 1) : 0.0;
  double zx = S > 1 ? (double)(in->w - 1) / (double)(S - 1) : 0.0;
  for (uint32_t oy = 0; oy < S; oy++) {
    double cy = (double)oy * zy;
    if (cy > in->h - 1) cy = in->h - 1;
    uint32_t y0 = (uint32_t)floor(cy), y1 = y0 + 1 < in->h ? y0 + 1 : y0;
    double ty = cy - y0;
    for (uint32_t ox = 0; ox < S; ox++) {
      double cx = (double)ox * zx;
      if (cx > in->w - 1) cx = in->w - 1;
      uint32_t x0 = (uint32_t)floor(cx), x1 = x0 + 1 < in->w ? x0 + 1 : x0;
      double tx = cx - x0;
      for (uint32_t c = 0; c < in->c; c++) {
        const uint8_t *p = in->px;
        size_t W = in->w, C = in->c;
        double v = (double)p[(y0 * W + x0) * C + c] * (1 - ty) * (1 - tx) + (double)p[(y0 * W + x1) * C + c] * (1 - ty) * tx +
                   (double)p[(y1 * W + x0) * C + c] * ty * (1 - tx) + (double)p[(y1 * W + x1) * C + c] * ty * tx;
        v = v > 0 ? v + 0.5 : 0;
        out->px[((size_t)oy * S + ox) * C + c] = v > 255 ? 255 : (uint8_t)v;
      }
    }
  }
}

int mmod_video_frames(const uint8_t *data, size_t len, const char *path, const mmod_limits *lim, uint32_t size,
                      uint32_t max_frames, mmod_image **frames, size_t *n_frames, al_err *err) {
  *frames = NULL;
  *n_frames = 0;
  mmod_av_quiet();
  mem_io m = {data, len, 0};
  AVFormatContext *fmt = avformat_alloc_context();
  uint8_t *iobuf = av_malloc(65536);
  AVIOContext *avio = avio_alloc_context(iobuf, 65536, 0, &m, io_read, NULL, io_seek);
  AVCodecContext *dec = NULL;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *fr = av_frame_alloc();
  mmod_image *out = NULL;
  size_t nout = 0, *want = NULL, nwant = 0;
  int rc = -1;
  fmt->pb = avio;
  fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
  if (avformat_open_input(&fmt, NULL, NULL, NULL) < 0) {
    fmt = NULL; /* freed by avformat_open_input on failure */
    al_err_set(err, AL_E_FAILED, "%s: ValueError: Cannot open video", path);
    goto out;
  }
  if (avformat_find_stream_info(fmt, NULL) < 0) {
    al_err_set(err, AL_E_FAILED, "%s: cannot read the stream information", path);
    goto out;
  }
  const AVCodec *codec = NULL;
  int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (si < 0 || !codec) {
    al_err_set(err, AL_E_FAILED, "%s: ValueError: Cannot open video (no decodable video stream)", path);
    goto out;
  }
  AVStream *st = fmt->streams[si];
  if ((uint64_t)st->codecpar->width * (uint64_t)st->codecpar->height > lim->max_pixels) {
    al_err_set(err, AL_E_FAILED, "%s: video frames of %dx%d pixels exceed the limit of %llu pixels", path,
               st->codecpar->width, st->codecpar->height, (unsigned long long)lim->max_pixels);
    goto out;
  }
  /* OpenCV's CAP_PROP_FRAME_COUNT: the stream's frame count, else duration × fps
   * rounded. */
  int64_t total = st->nb_frames;
  if (total <= 0) {
    double fps = av_q2d(st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate);
    double dur = st->duration != AV_NOPTS_VALUE ? (double)st->duration * av_q2d(st->time_base)
                 : fmt->duration != AV_NOPTS_VALUE ? (double)fmt->duration / AV_TIME_BASE : 0;
    total = (int64_t)floor(dur * fps + 0.5);
  }
  /* indices = linspace(0, total-1, min(max_frames, total)).astype(int); [0] if total <= 0 */
  if (total <= 0) {
    nwant = 1;
    want = al_xcalloc(1, sizeof *want);
  } else {
    nwant = (size_t)(total < (int64_t)max_frames ? total : (int64_t)max_frames);
    want = al_xmalloc(nwant * sizeof *want);
    double stop = (double)(total - 1), step = nwant > 1 ? stop / (double)(nwant - 1) : 0;
    for (size_t i = 0; i < nwant; i++) want[i] = (size_t)(i + 1 == nwant && nwant > 1 ? stop : (double)i * step);
  }
  dec = avcodec_alloc_context3(codec);
  if (!dec || avcodec_parameters_to_context(dec, st->codecpar) < 0) {
    al_err_set(err, AL_E_FAILED, "%s: cannot set up the %s decoder", path, codec->name);
    goto out;
  }
  dec->max_pixels = lim->max_pixels;
  dec->thread_count = 1;
  if (avcodec_open2(dec, codec, NULL) < 0) {
    al_err_set(err, AL_E_FAILED, "%s: cannot open the %s decoder", path, codec->name);
    goto out;
  }
  out = al_xcalloc(nwant, sizeof *out);
  size_t wi = 0;
  int64_t index = 0;
  int eof = 0;
  while (wi < nwant) {
    int r = avcodec_receive_frame(dec, fr);
    if (r == AVERROR(EAGAIN) && !eof) {
      int rr = av_read_frame(fmt, pkt);
      if (rr < 0) {
        eof = 1;
        avcodec_send_packet(dec, NULL);
        continue;
      }
      if (pkt->stream_index == si) avcodec_send_packet(dec, pkt);
      av_packet_unref(pkt);
      continue;
    }
    if (r < 0) break; /* end of stream or a decoding error: keep what was sampled */
    while (wi < nwant && want[wi] == (size_t)index) {
      mmod_image rgb;
      if (mmod_av_frame_to_rgb(fr, path, lim, &rgb, err) < 0) {
        av_frame_unref(fr);
        goto out;
      }
      if (rgb.w != size || rgb.h != size) {
        zoom_bilinear(&rgb, size, &out[nout]);
        free(rgb.px);
      } else {
        out[nout] = rgb;
      }
      nout++;
      /* A repeated index (never from linspace over total >= n) reuses the frame. */
      wi++;
      while (wi < nwant && want[wi] == (size_t)index) {
        out[nout].w = out[nout - 1].w, out[nout].h = out[nout - 1].h, out[nout].c = out[nout - 1].c;
        size_t bytes = (size_t)out[nout].w * out[nout].h * out[nout].c;
        out[nout].px = al_xmalloc(bytes + 1);
        memcpy(out[nout].px, out[nout - 1].px, bytes);
        nout++;
        wi++;
      }
    }
    av_frame_unref(fr);
    index++;
  }
  if (nout == 0) {
    al_err_set(err, AL_E_FAILED, "%s: no video frame could be decoded", path);
    goto out;
  }
  rc = 0;
out:
  if (rc == 0) {
    *frames = out;
    *n_frames = nout;
  } else if (out) {
    for (size_t i = 0; i < nout; i++) free(out[i].px);
    free(out);
  }
  free(want);
  av_frame_free(&fr);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&fmt);
  if (avio) av_freep(&avio->buffer);
  avio_context_free(&avio);
  return rc;
}
