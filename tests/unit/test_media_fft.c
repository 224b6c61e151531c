/* med_fft: every code path (n = 1, radix 4 and 2 passes, the unrolled 3/5/7 passes, a
 * direct odd prime radix, Bluestein beyond 1024) against a direct DFT in long double,
 * both signs; a forward-inverse round trip at the resampler's 441,000-point size
 * (10 s at 44.1 kHz) and a Bluestein size, which must give the input back times n; and
 * the real transforms (even n through n/2 points, odd n directly) against the complex
 * one, strided input and output included. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include "common/al.h"
#include "harness.h"
#include "media/media_internal.h"

/* Deterministic test signal: a chirp plus a step, with an imaginary part. */
static double complex sig(size_t j) {
  double complex z;
  __real__ z = sin(0.001 * (double)j * (double)j) + (j % 7 == 3 ? 0.5 : 0.0);
  __imag__ z = cos(0.37 * (double)j) * 0.25;
  return z;
}

/* max |fft − dft| / max |dft| for one length and sign. */
static double dft_error(size_t n, int sign) {
  double complex *x = al_xmalloc(n * sizeof *x), *y = al_xmalloc(n * sizeof *y);
  long double *c = al_xmalloc(n * sizeof *c), *s = al_xmalloc(n * sizeof *s);
  for (size_t j = 0; j < n; j++) {
    x[j] = sig(j);
    c[j] = cosl(2.0L * 3.141592653589793238462643383279503L * (long double)j / (long double)n);
    s[j] = sign * sinl(2.0L * 3.141592653589793238462643383279503L * (long double)j / (long double)n);
  }
  med_fft_plan *p = med_fft_plan_new(n, sign);
  med_fft_run(p, x, y);
  double err = 0, mag = 0;
  for (size_t k = 0; k < n; k++) {
    long double re = 0, im = 0;
    for (size_t j = 0; j < n; j++) {
      size_t t = (size_t)(((unsigned long long)j * k) % n);
      re += creal(x[j]) * c[t] - cimag(x[j]) * s[t];
      im += creal(x[j]) * s[t] + cimag(x[j]) * c[t];
    }
    double e = hypot(creal(y[k]) - (double)re, cimag(y[k]) - (double)im), a = hypot((double)re, (double)im);
    err = e > err ? e : err;
    mag = a > mag ? a : mag;
  }
  med_fft_plan_free(p);
  free(x);
  free(y);
  free(c);
  free(s);
  return err / (mag > 0 ? mag : 1);
}

static void test_against_dft(void) {
  /* 1; powers of two; 3·4·5·7 mixes; 7² and 3³ (repeated odd passes); 97 and 1021
   * (direct odd radix); 2·1031 and 1031 (Bluestein); 2·3·1009 (mixed with a big prime). */
  static const size_t ns[] = {1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 27, 30, 49, 64, 97, 210, 420, 441, 1021, 1031, 2062, 6054};
  for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
    for (int sign = -1; sign <= 1; sign += 2) {
      double e = dft_error(ns[i], sign);
      CHECK_MSG(e < 1e-13, "n=%zu sign=%d: relative error %.3g", ns[i], sign, e);
    }
}

static double round_trip_error(size_t n) {
  double complex *x = al_xmalloc(n * sizeof *x), *y = al_xmalloc(n * sizeof *y), *z = al_xmalloc(n * sizeof *z);
  for (size_t j = 0; j < n; j++) x[j] = sig(j);
  med_fft_plan *f = med_fft_plan_new(n, -1), *b = med_fft_plan_new(n, +1);
  med_fft_run(f, x, y);
  med_fft_run(b, y, z);
  double err = 0;
  for (size_t j = 0; j < n; j++) {
    double e = cabs(z[j] / (double)n - x[j]);
    err = e > err ? e : err;
  }
  med_fft_plan_free(f);
  med_fft_plan_free(b);
  free(x);
  free(y);
  free(z);
  return err;
}

static void test_round_trip(void) {
  double e = round_trip_error(441000);
  CHECK_MSG(e < 1e-12, "441000: round-trip error %.3g", e);
  e = round_trip_error(160000);
  CHECK_MSG(e < 1e-12, "160000: round-trip error %.3g", e);
  e = round_trip_error(20011); /* prime: Bluestein */
  CHECK_MSG(e < 1e-12, "20011: round-trip error %.3g", e);
}

/* Real transforms against the complex FFT of the same values: forward bins, and the
 * inverse of those bins (with junk imaginary parts in X_0 and X_(n/2), which irfft
 * ignores) giving n times the input back. */
static void real_case(size_t n) {
  const size_t stride = 3;
  double *x = al_xcalloc(n * stride + 1, sizeof *x), *y = al_xcalloc(n * stride + 1, sizeof *y);
  double complex *c = al_xmalloc((n + 1) * sizeof *c), *C = al_xmalloc((n + 1) * sizeof *C);
  double complex *X = al_xmalloc((n / 2 + 1) * sizeof *X);
  for (size_t j = 0; j < n; j++) x[j * stride] = creal(sig(j)) - 0.25, c[j] = x[j * stride];
  med_fft_plan *cp = med_fft_plan_new(n, -1);
  med_rfft_plan *f = med_rfft_plan_new(n, -1), *b = med_rfft_plan_new(n, +1);
  med_fft_run(cp, c, C);
  med_rfft_forward(f, x, stride, X);
  double err = 0, mag = 0;
  for (size_t k = 0; k <= n / 2; k++) {
    err = fmax(err, cabs(X[k] - C[k]));
    mag = fmax(mag, cabs(C[k]));
  }
  CHECK_MSG(err <= 1e-13 * mag, "rfft n=%zu: error %.3g of %.3g", n, err, mag);
  X[0] += 0.75 * I;
  if (n % 2 == 0) X[n / 2] -= 0.5 * I;
  med_rfft_inverse(b, X, y, stride);
  err = 0;
  for (size_t j = 0; j < n; j++) err = fmax(err, fabs(y[j * stride] / (double)n - x[j * stride]));
  CHECK_MSG(err < 1e-13, "irfft n=%zu: round-trip error %.3g", n, err);
  int untouched = 1;
  for (size_t j = 0; j < n * stride; j++) untouched &= j % stride == 0 || y[j] == 0;
  CHECK_MSG(untouched, "irfft n=%zu wrote between its strided outputs", n);
  med_fft_plan_free(cp);
  med_rfft_plan_free(f);
  med_rfft_plan_free(b);
  free(x);
  free(y);
  free(c);
  free(C);
  free(X);
}

static void test_real(void) {
  static const size_t ns[] = {1, 2, 3, 4, 6, 7, 10, 15, 64, 98, 441, 882, 2062, 44100};
  for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) real_case(ns[i]);
}

int main(void) {
  RUN(test_against_dft);
  RUN(test_real);
  RUN(test_round_trip);
  return TEST_REPORT();
}
