/* Complex FFT of any length, for the audio spectrogram and for resampling as
 * scipy.signal.resample does (an rfft of the whole clip and an irfft of the new length).
 * Mixed radix (4, 2, 3, 5, then any odd factor up to MAX_DIRECT_RADIX) with a twiddle
 * table of the full length; lengths with a larger prime factor use Bluestein's
 * algorithm over a power-of-two FFT. Results agree with numpy's pocketfft to rounding
 * (about 1e-15 relative), not bit for bit: the order of additions differs. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_internal.h"

#define MAX_FACTORS 64
#define MAX_DIRECT_RADIX 1024

struct med_fft_plan {
  size_t n;
  int sign;
  size_t fac[MAX_FACTORS];
  int nfac;
  double complex *tw;        /* tw[j] = exp(sign·2πi·j/n) */
  double complex *t;         /* scratch of the largest radix */
  /* Bluestein: */
  med_fft_plan *fwd, *inv;   /* power-of-two plans of length m */
  size_t m;
  double complex *chirp;     /* c_j = exp(sign·πi·j²/n), j < n */
  double complex *bhat;      /* FFT of the conjugate chirp, length m */
  double complex *work;      /* length 2m */
};

static int factorize(size_t n, size_t *f, int *nf) {
  *nf = 0;
  static const size_t first[] = {4, 2, 3, 5};
  for (size_t i = 0; i < 4; i++)
    while (n % first[i] == 0 && n > 1) {
      f[(*nf)++] = first[i];
      n /= first[i];
    }
  for (size_t d = 7; d * d <= n; d += 2)
    while (n % d == 0) {
      f[(*nf)++] = d;
      n /= d;
    }
  if (n > 1) f[(*nf)++] = n;
  size_t mx = 1;
  for (int i = 0; i < *nf; i++) mx = f[i] > mx ? f[i] : mx;
  return mx <= MAX_DIRECT_RADIX;
}

static double complex cis(double a) {
  double complex z;
  __real__ z = cos(a);
  __imag__ z = sin(a);
  return z;
}

med_fft_plan *med_fft_plan_new(size_t n, int sign) {
  med_fft_plan *p = al_xcalloc(1, sizeof *p);
  p->n = n;
  p->sign = sign;
  if (n == 0) return p;
  if (factorize(n, p->fac, &p->nfac)) {
    p->tw = al_xmalloc(n * sizeof *p->tw);
    for (size_t j = 0; j < n; j++) p->tw[j] = cis(sign * 2.0 * M_PI * (double)j / (double)n);
    size_t mx = 1;
    for (int i = 0; i < p->nfac; i++) mx = p->fac[i] > mx ? p->fac[i] : mx;
    p->t = al_xmalloc(mx * sizeof *p->t);
    return p;
  }
  size_t m = 1;
  while (m < 2 * n - 1) m <<= 1;
  p->m = m;
  p->fwd = med_fft_plan_new(m, -1);
  p->inv = med_fft_plan_new(m, +1);
  p->chirp = al_xmalloc(n * sizeof *p->chirp);
  for (size_t j = 0; j < n; j++) {
    /* j² mod 2n keeps the angle small and exact. */
    unsigned __int128 jj = (unsigned __int128)j * j % (2 * n);
    p->chirp[j] = cis(sign * M_PI * (double)jj / (double)n);
  }
  double complex *b = al_xcalloc(m, sizeof *b);
  b[0] = conj(p->chirp[0]);
  for (size_t j = 1; j < n; j++) b[j] = b[m - j] = conj(p->chirp[j]);
  p->bhat = al_xmalloc(m * sizeof *p->bhat);
  med_fft_run(p->fwd, b, p->bhat);
  free(b);
  p->work = al_xmalloc(2 * m * sizeof *p->work);
  return p;
}

void med_fft_plan_free(med_fft_plan *p) {
  if (!p) return;
  free(p->tw);
  free(p->t);
  med_fft_plan_free(p->fwd);
  med_fft_plan_free(p->inv);
  free(p->chirp);
  free(p->bhat);
  free(p->work);
  free(p);
}

/* Decimation in time: the n inputs in[0], in[is], ... go to out[0..n). */
static void rec(const med_fft_plan *p, const double complex *in, size_t is, double complex *out, size_t n,
                int level) {
  if (n == 1) {
    out[0] = in[0];
    return;
  }
  size_t r = p->fac[level], m = n / r, N = p->n, step = N / n;
  for (size_t q = 0; q < r; q++) rec(p, in + q * is, is * r, out + q * m, m, level + 1);
  double complex *t = p->t;
  for (size_t k = 0; k < m; k++) {
    for (size_t q = 0; q < r; q++) t[q] = out[q * m + k] * (q ? p->tw[(q * k * step) % N] : 1.0);
    if (r == 2) {
      out[k] = t[0] + t[1];
      out[k + m] = t[0] - t[1];
    } else if (r == 4) {
      double complex a = t[0] + t[2], b = t[0] - t[2], c = t[1] + t[3], d = (t[1] - t[3]) * (p->sign * I);
      out[k] = a + c;
      out[k + m] = b + d;
      out[k + 2 * m] = a - c;
      out[k + 3 * m] = b - d;
    } else {
      size_t rs = N / r;
      for (size_t u = 0; u < r; u++) {
        double complex s = t[0];
        for (size_t q = 1; q < r; q++) s += t[q] * p->tw[((q * u) % r) * rs];
        out[k + u * m] = s;
      }
    }
  }
}

void med_fft_run(const med_fft_plan *p, const double complex *in, double complex *out) {
  size_t n = p->n;
  if (n == 0) return;
  if (p->tw) {
    rec(p, in, 1, out, n, 0);
    return;
  }
  size_t m = p->m;
  double complex *a = p->work, *A = p->work + m;
  for (size_t j = 0; j < n; j++) a[j] = in[j] * p->chirp[j];
  memset(a + n, 0, (m - n) * sizeof *a);
  med_fft_run(p->fwd, a, A);
  for (size_t j = 0; j < m; j++) A[j] *= p->bhat[j];
  med_fft_run(p->inv, A, a);
  for (size_t k = 0; k < n; k++) out[k] = p->chirp[k] * a[k] / (double)m;
}
