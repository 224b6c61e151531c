/* Declarations shared by the files of src/media only. */
#ifndef AL_MEDIA_INTERNAL_H
#define AL_MEDIA_INTERNAL_H

#include "media/media.h"

/* The loaded codec module's table, loading it on first use; NULL with err naming the
 * module and the places searched when it is missing or unusable (med_module.c). */
const mmod_api *med_module_get(al_err *err);

/* Audio bytes to interleaved normalised doubles through the module (med_codecs.c); see
 * mmod_api.h audio_decode. *samples is heap, caller frees. */
int med_audio_decode(const uint8_t *data, size_t len, const char *name, double **samples, size_t *frames,
                     int *channels, int *rate, al_err *err);

/* FFT plans (med_fft.c): out[k] = Σ_j in[j]·exp(sign·2πi·jk/n), any n. A plan holds
 * scratch space, so one plan is used by one thread at a time. in and out must not
 * overlap. */
#include <complex.h>
typedef struct med_fft_plan med_fft_plan;
med_fft_plan *med_fft_plan_new(size_t n, int sign);
void med_fft_run(const med_fft_plan *p, const double complex *in, double complex *out);
void med_fft_plan_free(med_fft_plan *p);
/* Real transforms of n points (med_fft.c). forward (plan sign −1): the n values
 * x[0], x[stride], ... to the n/2+1 bins X[k] = Σ_j x_j·exp(−2πi·jk/n). inverse (plan
 * sign +1): n/2+1 bins of a Hermitian spectrum to n values y_j = Σ_k X_k·exp(2πi·jk/n)
 * over all n bins (unnormalised; the imaginary parts of X_0 and, for even n, X_(n/2)
 * are ignored, as numpy's irfft does), written to y[0], y[stride], ... A plan holds
 * scratch space: one thread at a time. */
typedef struct med_rfft_plan med_rfft_plan;
med_rfft_plan *med_rfft_plan_new(size_t n, int sign);
void med_rfft_forward(const med_rfft_plan *p, const double *x, size_t stride, double complex *X);
void med_rfft_inverse(const med_rfft_plan *p, const double complex *X, double *y, size_t stride);
void med_rfft_plan_free(med_rfft_plan *p);

#endif
