/* The audio tokenizer (original-behaviour.md §16.2): waveform loading (libsndfile, in
 * the codec module), FFT resampling as scipy.signal.resample, a power mel spectrogram
 * in dB, patches of patch_length frames flattened mel-major. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_internal.h"

/* scipy.signal.resample(x, num) along the frame axis of interleaved data, real input:
 * rfft, keep the first min(num, n)//2+1 bins (the Nyquist bin of an even min doubled
 * when shrinking, halved when growing), irfft to num samples, scale by num/n. */
static void resample(const double *x, size_t n, int ch, size_t num, double *y) {
  med_rfft_plan *fw = med_rfft_plan_new(n, -1), *bw = med_rfft_plan_new(num, +1);
  size_t half = num / 2, N = n < num ? n : num, nyq = N / 2 + 1;
  double complex *X = al_xmalloc((n / 2 + 1) * sizeof *X), *Y = al_xmalloc((half + 1) * sizeof *Y);
  double ratio = (double)num / (double)n;
  for (int c = 0; c < ch; c++) {
    med_rfft_forward(fw, x + c, (size_t)ch, X);
    for (size_t k = 0; k <= half; k++) Y[k] = k < nyq ? X[k] : 0;
    if (N % 2 == 0 && N / 2 <= half) {
      if (num < n) Y[N / 2] *= 2.0;
      else if (n < num) Y[N / 2] *= 0.5;
    }
    /* irfft (the imaginary parts of the DC and Nyquist bins are ignored). */
    med_rfft_inverse(bw, Y, y + c, (size_t)ch);
    for (size_t i = 0; i < num; i++) y[i * (size_t)ch + (size_t)c] = y[i * (size_t)ch + (size_t)c] / (double)num * ratio;
  }
  free(X);
  free(Y);
  med_rfft_plan_free(fw);
  med_rfft_plan_free(bw);
}

static const char *suffix(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  if (!dot || dot == base || dot[1] == '\0') return "";
  return dot;
}

int med_audio_load(const med_audio_cfg *cfg, const char *path, double **wave, size_t *n, al_err *err) {
  *wave = NULL;
  *n = 0;
  const char *ext = suffix(path);
  if (strcmp(ext, ".npy") == 0) {
    /* Raw: no resampling, no normalisation, flattened in C order; refused from the
     * header beyond the decoded-audio limit (64 MiB of doubles). */
    med_array a;
    med_npy_opts o = {MED_MAX_AUDIO_SAMPLES, "audio samples", 0};
    if (med_npy_load_opts(path, &o, &a, err) < 0) return -1;
    *wave = a.v;
    *n = a.n;
    return 0;
  }
  if (strcasecmp(ext, ".wav") && strcasecmp(ext, ".flac") && strcasecmp(ext, ".ogg") && strcasecmp(ext, ".mp3"))
    return al_err_set(err, AL_E_FAILED, "%s: ValueError: Unsupported audio format: %s. Supported: .npy, .wav, .flac, .ogg, .mp3",
                      path, ext);
  uint8_t *data;
  size_t len;
  if (med_read_file(path, MED_MAX_FILE_BYTES, &data, &len, err) < 0) return -1;
  double *x = NULL;
  size_t frames = 0;
  int ch = 1, rate = 0;
  int rc = med_audio_decode(data, len, path, &x, &frames, &ch, &rate, err);
  free(data);
  if (rc < 0) return -1;
  if ((uint32_t)rate != cfg->sample_rate && frames > 0) {
    /* int(len(audio) * sample_rate / sr), in double as Python computes it. */
    size_t num = (size_t)((double)frames * (double)cfg->sample_rate / (double)rate);
    if ((uint64_t)num * (uint64_t)ch > MED_MAX_AUDIO_SAMPLES) {
      free(x);
      return al_err_set(err, AL_E_FAILED, "%s: resampled audio exceeds the limit of %llu samples", path,
                        (unsigned long long)MED_MAX_AUDIO_SAMPLES);
    }
    double *y = al_xmalloc((num ? num : 1) * (size_t)ch * sizeof *y);
    if (num) resample(x, frames, ch, num, y);
    free(x);
    x = y;
    frames = num;
  }
  size_t total = frames * (size_t)ch;
  if (cfg->downmix && ch > 1) {
    for (size_t i = 0; i < frames; i++) {
      double s = 0;
      for (int c = 0; c < ch; c++) s += x[i * (size_t)ch + (size_t)c];
      x[i] = s / ch;
    }
    total = frames;
  }
  /* .astype(np.float32) */
  for (size_t i = 0; i < total; i++) x[i] = (float)x[i];
  *wave = x;
  *n = total;
  return 0;
}

/* HTK mel filterbank without area normalisation, as float32 values. */
static float *mel_filterbank(const med_audio_cfg *cfg) {
  size_t nm = cfg->n_mels, nb = cfg->n_fft / 2 + 1;
  double sr = cfg->sample_rate;
  double m0 = 2595.0 * log10(1.0 + 0.0 / 700.0), m1 = 2595.0 * log10(1.0 + (sr / 2.0) / 700.0);
  long *bins = al_xmalloc((nm + 2) * sizeof *bins);
  double step = (m1 - m0) / (double)(nm + 1);
  for (size_t i = 0; i < nm + 2; i++) {
    /* numpy.linspace: start + i·step, the last point exactly stop. */
    double mel = i == nm + 1 ? m1 : (double)i * step + m0;
    double hz = 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
    double b = floor((double)(cfg->n_fft + 1) * hz / sr);
    if (b < 0) b = 0;
    if (b > (double)(cfg->n_fft / 2)) b = (double)(cfg->n_fft / 2);
    bins[i] = (long)b;
  }
  float *fb = al_xcalloc(nm * nb, sizeof *fb);
  for (size_t m = 1; m <= nm; m++) {
    long l = bins[m - 1], c = bins[m], r = bins[m + 1];
    for (size_t k = 0; k < nb; k++) {
      double up = (double)((long)k - l) / (double)(c - l > 1 ? c - l : 1);
      double down = (double)(r - (long)k) / (double)(r - c > 1 ? r - c : 1);
      double v = up < down ? up : down;
      fb[(m - 1) * nb + k] = (float)(v > 0 ? v : 0);
    }
  }
  free(bins);
  return fb;
}

float *med_audio_mel_filterbank(const med_audio_cfg *cfg) { return mel_filterbank(cfg); }

int med_audio_spectrogram(const med_audio_cfg *cfg, const double *wave, size_t n, float **spec, size_t *frames) {
  size_t nfft = cfg->n_fft, hop = cfg->hop_length, nb = nfft / 2 + 1, nm = cfg->n_mels;
  size_t len = n < nfft ? nfft : n;
  size_t nf = (len - nfft) / hop + 1;
  float *fb = mel_filterbank(cfg);
  double *win = al_xmalloc(nfft * sizeof *win);
  for (size_t j = 0; j < nfft; j++) {
    /* numpy.hanning: 0.5 + 0.5·cos(π·k/(M−1)) for k = 1−M, 3−M, …, M−1. */
    double k = (double)(1 - (long)nfft + 2 * (long)j);
    win[j] = nfft > 1 ? 0.5 + 0.5 * cos(M_PI * k / (double)(nfft - 1)) : 1.0;
  }
  /* Each HTK filter is non-zero over a few bins only: [lo[m], hi[m]). Skipping its zero
   * weights adds exact zeros the dense sum would add, unless a power is infinite or NaN
   * (0·inf is NaN); such frames take the dense sum. */
  size_t *lo = al_xmalloc(2 * (nm ? nm : 1) * sizeof *lo), *hi = lo + nm;
  for (size_t m = 0; m < nm; m++) {
    const float *w = fb + m * nb;
    size_t a = 0, b = nb;
    while (a < nb && w[a] == 0) a++;
    while (b > a && w[b - 1] == 0) b--;
    lo[m] = a, hi[m] = b;
  }
  med_rfft_plan *plan = med_rfft_plan_new(nfft, -1);
  double *in = al_xmalloc(nfft * sizeof *in);
  double complex *out = al_xmalloc(nb * sizeof *out);
  double *power = al_xmalloc(nb * sizeof *power);
  float *s = al_xmalloc((nm * nf > 0 ? nm * nf : 1) * sizeof *s);
  for (size_t f = 0; f < nf; f++) {
    for (size_t j = 0; j < nfft; j++) {
      size_t i = f * hop + j;
      in[j] = (i < n ? wave[i] : 0.0) * win[j];
    }
    med_rfft_forward(plan, in, 1, out);
    int finite = 1;
    for (size_t k = 0; k < nb; k++) {
      power[k] = creal(out[k]) * creal(out[k]) + cimag(out[k]) * cimag(out[k]);
      finite &= isfinite(power[k]);
    }
    for (size_t m = 0; m < nm; m++) {
      double acc = 0;
      const float *w = fb + m * nb;
      for (size_t k = finite ? lo[m] : 0, e = finite ? hi[m] : nb; k < e; k++) acc += (double)w[k] * power[k];
      s[m * nf + f] = (float)(10.0 * log10(acc > 1e-10 ? acc : 1e-10));
    }
  }
  free(lo);
  free(fb);
  free(win);
  free(in);
  free(out);
  free(power);
  med_rfft_plan_free(plan);
  *spec = s;
  *frames = nf;
  return 0;
}

int med_audio_features(const med_audio_cfg *cfg, const double *wave, size_t n, const char *name, double **feat,
                       size_t *n_patches, al_err *err) {
  *feat = NULL;
  *n_patches = 0;
  float *spec;
  size_t nf;
  med_audio_spectrogram(cfg, wave, n, &spec, &nf);
  size_t P = cfg->patch_length, nm = cfg->n_mels, np = nf / P;
  if (np == 0) {
    free(spec);
    size_t need = cfg->n_fft + (P - 1) * cfg->hop_length;
    return al_err_set(err, AL_E_FAILED, "%s: audio too short: %zu spectrogram frames, fewer than patch_length %zu "
                      "(at least %zu samples needed)", name, nf, P, need);
  }
  double *f = al_xmalloc(np * nm * P * sizeof *f);
  for (size_t i = 0; i < np; i++)
    for (size_t m = 0; m < nm; m++)
      for (size_t t = 0; t < P; t++) f[(i * nm + m) * P + t] = spec[m * nf + i * P + t];
  free(spec);
  *feat = f;
  *n_patches = np;
  return 0;
}
