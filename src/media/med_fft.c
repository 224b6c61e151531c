/* Complex FFT of any length, for the audio spectrogram and for resampling as
 * scipy.signal.resample does (an rfft of the whole clip and an irfft of the new length,
 * e.g. 441,000 = 2³·3²·5³·7² points for 10 s at 44.1 kHz).
 *
 * Lengths whose prime factors are at most MAX_DIRECT_RADIX run as an iterative Stockham
 * (self-sorting, decimation in frequency) mixed-radix FFT: one pass per factor between
 * two buffers, radix 4 and 2 as plain butterflies, odd radices (3, 5, 7 and any larger
 * prime) as a symmetric DFT that pairs x[j] with x[r−j] (half the multiplications of a
 * direct one), each pass reading its twiddles from its own contiguous table. Lengths
 * with a larger prime factor use Bluestein's algorithm over a power-of-two FFT.
 *
 * Twiddles exp(sign·2πi·j/n) come from two short exact tables, exp(2πi·(j div L)·L/n)
 * and exp(2πi·(j mod L)/n) with L ≈ √n, multiplied: 2√n sine/cosine evaluations per
 * plan instead of n, each twiddle within a few ulp. Results agree with numpy's
 * pocketfft to rounding (about 1e-15 relative), not bit for bit: the order of
 * additions differs. Complex products are written out in real arithmetic, so no
 * C99 Annex G NaN recovery (__muldc3) runs in the inner loops. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_internal.h"

#define MAX_FACTORS 64
#define MAX_DIRECT_RADIX 1024

typedef struct stage {
  size_t r, m, s;          /* radix, sub-length n/(s·r), stride: product of earlier radices */
  double complex *tw;      /* tw[p·(r−1) + k−1] = exp(sign·2πi·p·k/(r·m)), p < m, 0 < k < r */
  double *cs, *sn;         /* odd r: cos and sign·sin of 2π·j/r, j < r */
} stage;

struct med_fft_plan {
  size_t n;
  int sign;
  stage st[MAX_FACTORS];
  int nst;
  double complex *buf;       /* n: the second Stockham buffer */
  double complex *t;         /* 2 × the largest odd radix: butterfly scratch */
  /* Bluestein: */
  med_fft_plan *fwd, *inv;   /* power-of-two plans of length m */
  size_t m;
  double complex *chirp;     /* c_j = exp(sign·πi·j²/n), j < n */
  double complex *bhat;      /* FFT of the conjugate chirp, length m */
  double complex *work;      /* length 2m */
};

static double complex mk(double re, double im) {
  double complex z;
  __real__ z = re;
  __imag__ z = im;
  return z;
}

static double complex cmul(double complex a, double complex b) {
  double ar = creal(a), ai = cimag(a), br = creal(b), bi = cimag(b);
  return mk(ar * br - ai * bi, ar * bi + ai * br);
}

static double complex cis(double a) { return mk(cos(a), sin(a)); }

/* Factors of n, radix 4 first, then 2, 3, 5 and the odd primes in increasing order.
 * Returns 1 when every factor is at most MAX_DIRECT_RADIX. */
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

/* exp(sign·2πi·j/n) for j < n from the two tables (see the file comment). */
typedef struct twiddler {
  size_t L;
  double complex *hi, *lo;
} twiddler;

static void twiddler_init(twiddler *w, size_t n, int sign) {
  size_t L = 1;
  while (L * L < n) L++;
  w->L = L;
  w->hi = al_xmalloc((n / L + 1) * sizeof *w->hi);
  w->lo = al_xmalloc(L * sizeof *w->lo);
  for (size_t i = 0; i <= n / L; i++) w->hi[i] = cis(sign * 2.0 * M_PI * (double)(i * L) / (double)n);
  for (size_t i = 0; i < L; i++) w->lo[i] = cis(sign * 2.0 * M_PI * (double)i / (double)n);
}

static void twiddler_free(twiddler *w) {
  free(w->hi);
  free(w->lo);
}

med_fft_plan *med_fft_plan_new(size_t n, int sign) {
  med_fft_plan *p = al_xcalloc(1, sizeof *p);
  p->n = n;
  p->sign = sign;
  if (n == 0) return p;
  size_t fac[MAX_FACTORS];
  if (factorize(n, fac, &p->nst)) {
    twiddler w;
    twiddler_init(&w, n, sign);
    size_t s = 1, maxodd = 1;
    for (int i = 0; i < p->nst; i++) {
      stage *st = &p->st[i];
      st->r = fac[i];
      st->s = s;
      st->m = n / (s * st->r);
      /* exp(sign·2πi·p·k/(r·m)) = exp(sign·2πi·p·k·s/n), and p·k·s < n. */
      st->tw = al_xmalloc((st->m * (st->r - 1) + 1) * sizeof *st->tw);
      for (size_t k = 1; k < st->r; k++) {
        /* j = q·k·s walks in steps of k·s: its table indices advance without dividing. */
        size_t d = k * s, dh = d / w.L, dl = d % w.L, hi = 0, lo = 0;
        for (size_t q = 0; q < st->m; q++) {
          st->tw[q * (st->r - 1) + k - 1] = cmul(w.hi[hi], w.lo[lo]);
          lo += dl;
          hi += dh;
          if (lo >= w.L) lo -= w.L, hi++;
        }
      }
      if (st->r % 2) {
        st->cs = al_xmalloc(st->r * sizeof *st->cs);
        st->sn = al_xmalloc(st->r * sizeof *st->sn);
        for (size_t j = 0; j < st->r; j++) {
          st->cs[j] = cos(2.0 * M_PI * (double)j / (double)st->r);
          st->sn[j] = sign * sin(2.0 * M_PI * (double)j / (double)st->r);
        }
        maxodd = st->r > maxodd ? st->r : maxodd;
      }
      s *= st->r;
    }
    twiddler_free(&w);
    p->buf = al_xmalloc(n * sizeof *p->buf);
    p->t = al_xmalloc(2 * maxodd * sizeof *p->t);
    return p;
  }
  p->nst = 0;
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
  for (int i = 0; i < p->nst; i++) {
    free(p->st[i].tw);
    free(p->st[i].cs);
    free(p->st[i].sn);
  }
  free(p->buf);
  free(p->t);
  med_fft_plan_free(p->fwd);
  med_fft_plan_free(p->inv);
  free(p->chirp);
  free(p->bhat);
  free(p->work);
  free(p);
}

/* One Stockham pass: for p < m and q < s, the r inputs x[q + s·(p + j·m)] go through a
 * size-r DFT, output k is multiplied by exp(sign·2πi·p·k/(r·m)) and stored at
 * y[q + s·(r·p + k)]. */
static void pass2(const stage *st, const double complex *x, double complex *y) {
  size_t m = st->m, s = st->s;
  for (size_t p = 0; p < m; p++) {
    double complex w = st->tw[p];
    for (size_t q = 0; q < s; q++) {
      double complex a = x[q + s * p], b = x[q + s * (p + m)];
      y[q + s * 2 * p] = a + b;
      y[q + s * (2 * p + 1)] = p ? cmul(a - b, w) : a - b;
    }
  }
}

static void pass4(const stage *st, int sign, const double complex *x, double complex *y) {
  size_t m = st->m, s = st->s;
  for (size_t p = 0; p < m; p++) {
    const double complex *w = st->tw + 3 * p;
    for (size_t q = 0; q < s; q++) {
      double complex a0 = x[q + s * p], a1 = x[q + s * (p + m)], a2 = x[q + s * (p + 2 * m)],
                     a3 = x[q + s * (p + 3 * m)];
      double complex t0 = a0 + a2, t1 = a0 - a2, t2 = a1 + a3, d = a1 - a3;
      double complex t3 = sign > 0 ? mk(-cimag(d), creal(d)) : mk(cimag(d), -creal(d)); /* sign·i·d */
      double complex *o = y + q + s * 4 * p;
      o[0] = t0 + t2;
      if (p) {
        o[s] = cmul(t1 + t3, w[0]);
        o[2 * s] = cmul(t0 - t2, w[1]);
        o[3 * s] = cmul(t1 - t3, w[2]);
      } else {
        o[s] = t1 + t3;
        o[2 * s] = t0 - t2;
        o[3 * s] = t1 - t3;
      }
    }
  }
}

/* Odd r: with u_j = x_j + x_(r−j) and v_j = x_j − x_(r−j) (0 < j ≤ h = (r−1)/2),
 * X_k = x_0 + Σ cos(2πjk/r)·u_j + i·Σ sign·sin(2πjk/r)·v_j and X_(r−k) its mirror.
 * Inlined with a constant r for 3, 5 and 7, so the loops unroll. */
static inline void pass_odd(const stage *st, size_t r, const double complex *x, double complex *y,
                            double complex *t) {
  size_t m = st->m, s = st->s, h = (r - 1) / 2;
  const double *cs = st->cs, *sn = st->sn;
  double complex *u = t, *v = t + r;
  for (size_t p = 0; p < m; p++) {
    const double complex *w = st->tw + (r - 1) * p;
    for (size_t q = 0; q < s; q++) {
      const double complex *in = x + q + s * p;
      double complex a0 = in[0], sum = a0;
      for (size_t j = 1; j <= h; j++) {
        double complex a = in[s * m * j], b = in[s * m * (r - j)];
        u[j] = a + b;
        v[j] = a - b;
        sum += u[j];
      }
      double complex *o = y + q + s * r * p;
      o[0] = sum;
      for (size_t k = 1; k <= h; k++) {
        double re = creal(a0), im = cimag(a0), xr = 0, xi = 0;
        size_t jk = 0;
        for (size_t j = 1; j <= h; j++) {
          jk += k;
          if (jk >= r) jk -= r;
          re += cs[jk] * creal(u[j]);
          im += cs[jk] * cimag(u[j]);
          xr -= sn[jk] * cimag(v[j]); /* i·sn·v: real part −sn·Im v */
          xi += sn[jk] * creal(v[j]);
        }
        double complex lo = mk(re + xr, im + xi), hi = mk(re - xr, im - xi);
        if (p) {
          lo = cmul(lo, w[k - 1]);
          hi = cmul(hi, w[r - k - 1]);
        }
        o[s * k] = lo;
        o[s * (r - k)] = hi;
      }
    }
  }
}

void med_fft_run(const med_fft_plan *p, const double complex *in, double complex *out) {
  size_t n = p->n;
  if (n == 0) return;
  if (!p->fwd) {
    if (p->nst == 0) { /* n == 1 */
      out[0] = in[0];
      return;
    }
    /* Ping-pong between out and buf, arranged so that the last pass writes out. */
    double complex *bufs[2] = {out, p->buf};
    int cur = p->nst % 2 ? 0 : 1;
    const double complex *x = in;
    for (int i = 0; i < p->nst; i++) {
      const stage *st = &p->st[i];
      double complex *y = bufs[cur];
      switch (st->r) {
      case 2: pass2(st, x, y); break;
      case 4: pass4(st, p->sign, x, y); break;
      case 3: pass_odd(st, 3, x, y, p->t); break;
      case 5: pass_odd(st, 5, x, y, p->t); break;
      case 7: pass_odd(st, 7, x, y, p->t); break;
      default: pass_odd(st, st->r, x, y, p->t); break;
      }
      x = y;
      cur ^= 1;
    }
    return;
  }
  size_t m = p->m;
  double complex *a = p->work, *A = p->work + m;
  for (size_t j = 0; j < n; j++) a[j] = cmul(in[j], p->chirp[j]);
  memset(a + n, 0, (m - n) * sizeof *a);
  med_fft_run(p->fwd, a, A);
  for (size_t j = 0; j < m; j++) A[j] = cmul(A[j], p->bhat[j]);
  med_fft_run(p->inv, A, a);
  for (size_t k = 0; k < n; k++) out[k] = cmul(p->chirp[k], a[k]) / (double)m;
}

/* Real transforms. Even n: the n real values as n/2 complex ones z_j = x_2j + i·x_2j+1,
 * one complex FFT of n/2 points, and a split pass with the twiddles w_k = exp(∓2πi·k/n)
 * (half the work of a complex FFT of n). Odd n: a complex FFT of n. */
struct med_rfft_plan {
  size_t n;
  med_fft_plan *c;       /* n/2 points (even n) or n points (odd n) */
  double complex *w;     /* even n: exp(sign·2πi·k/n), k < n/2 */
  double complex *a, *b; /* scratch, n/2+1 (even) or n (odd) each */
};

med_rfft_plan *med_rfft_plan_new(size_t n, int sign) {
  med_rfft_plan *p = al_xcalloc(1, sizeof *p);
  p->n = n;
  int even = n % 2 == 0 && n > 0;
  size_t cn = even ? n / 2 : n;
  p->c = med_fft_plan_new(cn, sign);
  p->a = al_xmalloc((cn + 1) * sizeof *p->a);
  p->b = al_xmalloc((cn + 1) * sizeof *p->b);
  if (even) {
    twiddler w;
    twiddler_init(&w, n, sign);
    p->w = al_xmalloc(cn * sizeof *p->w);
    for (size_t k = 0, hi = 0, lo = 0; k < cn; k++) {
      p->w[k] = cmul(w.hi[hi], w.lo[lo]);
      if (++lo == w.L) lo = 0, hi++;
    }
    twiddler_free(&w);
  }
  return p;
}

void med_rfft_plan_free(med_rfft_plan *p) {
  if (!p) return;
  med_fft_plan_free(p->c);
  free(p->w);
  free(p->a);
  free(p->b);
  free(p);
}

void med_rfft_forward(const med_rfft_plan *p, const double *x, size_t stride, double complex *X) {
  size_t n = p->n;
  if (n == 0) return;
  if (!p->w) {
    for (size_t j = 0; j < n; j++) p->a[j] = mk(x[j * stride], 0.0);
    med_fft_run(p->c, p->a, p->b);
    for (size_t k = 0; k <= n / 2; k++) X[k] = p->b[k];
    return;
  }
  size_t M = n / 2;
  for (size_t j = 0; j < M; j++) p->a[j] = mk(x[2 * j * stride], x[(2 * j + 1) * stride]);
  med_fft_run(p->c, p->a, p->b);
  p->b[M] = p->b[0];
  /* E_k = (Z_k + conj Z_(M−k))/2 is the even samples' spectrum, O_k = (Z_k − conj
   * Z_(M−k))/(2i) the odd ones'; X_k = E_k + w_k·O_k, X_M = E_0 − O_0. */
  for (size_t k = 0; k <= M; k++) {
    double complex z = p->b[k], zc = conj(p->b[M - k]);
    double complex e = (z + zc) * 0.5, d = (z - zc) * 0.5;
    double complex o = mk(cimag(d), -creal(d)); /* d / i */
    X[k] = k < M ? e + cmul(p->w[k], o) : e - o;
  }
}

void med_rfft_inverse(const med_rfft_plan *p, const double complex *X, double *y, size_t stride) {
  size_t n = p->n;
  if (n == 0) return;
  if (!p->w) {
    /* The full Hermitian spectrum; the imaginary part of X_0 is ignored, as irfft does. */
    p->a[0] = mk(creal(X[0]), 0.0);
    for (size_t k = 1; k <= n / 2; k++) {
      p->a[k] = X[k];
      p->a[n - k] = conj(X[k]);
    }
    med_fft_run(p->c, p->a, p->b);
    for (size_t j = 0; j < n; j++) y[j * stride] = creal(p->b[j]);
    return;
  }
  size_t M = n / 2;
  /* y_2j and y_2j+1 are the real and imaginary parts of the M-point inverse of
   * Z_k = (X_k + conj X_(M−k)) + i·(X_k − conj X_(M−k))·w_k, where X_(M+k) =
   * conj X_(M−k); X_0 and X_M count as real, as irfft takes them. */
  for (size_t k = 0; k < M; k++) {
    double complex xk = k ? X[k] : mk(creal(X[0]), 0.0);
    double complex xm = k ? conj(X[M - k]) : mk(creal(X[M]), 0.0);
    double complex e = xk + xm, d = cmul(xk - xm, p->w[k]);
    p->a[k] = mk(creal(e) - cimag(d), cimag(e) + creal(d)); /* e + i·d */
  }
  med_fft_run(p->c, p->a, p->b);
  for (size_t j = 0; j < M; j++) {
    y[2 * j * stride] = creal(p->b[j]);
    y[(2 * j + 1) * stride] = cimag(p->b[j]);
  }
}
