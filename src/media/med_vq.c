/* Nearest-codebook search (original-behaviour.md §15): the exact squared distance
 * Σ(x−c)², lowest index on ties.
 *
 * The original computes ‖x‖²+‖c‖²−2x·c; the exact form is the same real number without
 * its cancellation, so the two argmins differ only where the original's own rounding
 * (which depends on its BLAS) decides a near-tie. The expanded form is not used: it
 * could only be a filter (a bound on its rounding error, then the exact distance for
 * every code within that bound of the minimum), which the exact form vectorised across
 * codes does not need.
 *
 * med_vq_encode_ref is the definition: per code, 16-term block sums b = (…(0+d₀²)+d₁²…),
 * s = (…(0+b₀)+b₁…), then the remaining d² added one by one to s, with d = x−c, every
 * operation an IEEE double add, subtract or multiply (this file is compiled with
 * -ffp-contract=off so no multiply-add is fused). med_vq_encode computes the same sums
 * for VQ_W codes at once, one code per vector lane: each lane performs exactly the
 * operations of the scalar loop in the same order, so every distance, and therefore
 * every code, is bit for bit the same (test_media_vq checks this on random, tied and
 * non-finite inputs). Images/s of bench/media.sh: 4.2× the scalar loop's with the AVX2
 * build (bench/RESULTS.md, "media tokenizers").
 *
 * Both stop accumulating a code once its partial sum exceeds the best so far: partial
 * sums of non-negative terms only grow, so such a code can never become the minimum
 * (nor tie it), and skipping it cannot change the result. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/media.h"

#define VQ_W 16     /* codes per group of the transposed copy, one per vector lane */
#define VQ_ROWS 32  /* rows of x per pass over the codebook (32 × 768 doubles = 192 KiB) */
#define VQ_BLOCK 16 /* terms per block sum (the definition's grouping) */

void med_vq_encode_ref(const med_codebook *cb, const double *x, size_t n, int32_t *codes) {
  const uint32_t dim = cb->dim;
  for (size_t r = 0; r < n; r++) {
    const double *xr = x + r * dim;
    double best = INFINITY;
    int32_t bi = 0;
    for (uint32_t k = 0; k < cb->k; k++) {
      const double *c = cb->c + (size_t)k * dim;
      double s = 0.0;
      uint32_t j = 0;
      for (; j + VQ_BLOCK <= dim; j += VQ_BLOCK) {
        double b = 0.0;
        for (uint32_t t = 0; t < VQ_BLOCK; t++) {
          double d = xr[j + t] - c[j + t];
          b += d * d;
        }
        s += b;
        if (s > best) break;
      }
      if (s > best) continue;
      for (; j < dim; j++) {
        double d = xr[j] - c[j];
        s += d * d;
      }
      if (s < best) {
        best = s;
        bi = (int32_t)k;
      }
    }
    codes[r] = bi;
  }
}

/* The codebook transposed in groups of VQ_W codes: t[(g·dim + j)·VQ_W + l] is
 * c[g·VQ_W + l][j]. The last group's missing codes repeat the last code (they are never
 * reported; repeating keeps the pruning test meaningful). 64-byte aligned heap, caller
 * frees with free(); NULL when out of memory. */
static double *vq_transpose(const med_codebook *cb) {
  size_t groups = ((size_t)cb->k + VQ_W - 1) / VQ_W;
  double *t = aligned_alloc(64, groups * cb->dim * VQ_W * sizeof *t);
  if (!t) return NULL;
  for (size_t g = 0; g < groups; g++)
    for (uint32_t l = 0; l < VQ_W; l++) {
      size_t code = g * VQ_W + l < cb->k ? g * VQ_W + l : cb->k - 1;
      const double *c = cb->c + code * cb->dim;
      for (uint32_t j = 0; j < cb->dim; j++) t[(g * cb->dim + j) * VQ_W + l] = c[j];
    }
  return t;
}

/* The search over the transposed codebook t, defined once per vector width VW (doubles
 * per vector V, M its comparison mask): a pass keeps 4·VW codes in four vectors written
 * out as variables (the compiler keeps them in registers), VQ_W / (4·VW) passes per
 * group. Every lane performs the definition's operations in its order.
 *
 * Codes are compared in index order (groups, passes, lanes) with a strict <, so the
 * first code reaching the minimum keeps it, as in the definition. The pruning test uses
 * best[r] as of the start of the pass, which may be above the definition's best at a
 * given code (lower codes of the pass are not compared yet): that prunes less, never
 * wrongly. A NaN lane is never above best, so it is never pruned. */
#define VQ_DEFINE_SEARCH(NAME, ATTR, V, M, VW)                                                                \
  ATTR static void NAME(const double *t, uint32_t k, uint32_t dim, const double *x, size_t n, int32_t *codes) { \
    const size_t groups = ((size_t)k + VQ_W - 1) / VQ_W;                                                    \
    const size_t step = VQ_W / (VW); /* vectors per coordinate */                                           \
    double best[VQ_ROWS];                                                                                     \
    int32_t bi[VQ_ROWS];                                                                                      \
    for (size_t r0 = 0; r0 < n; r0 += VQ_ROWS) {                                                              \
      const size_t rn = n - r0 < VQ_ROWS ? n - r0 : VQ_ROWS;                                                  \
      for (size_t r = 0; r < rn; r++) best[r] = INFINITY, bi[r] = 0;                                          \
      for (size_t g = 0; g < groups; g++)                                                                     \
        for (size_t p = 0; p < VQ_W / (4 * (VW)); p++) {                                                      \
          const size_t first = g * VQ_W + p * 4 * (VW); /* code in lane 0 of vector 0 */                      \
          if (first >= k) break;                                                                              \
          const uint32_t lanes = k - first < 4 * (VW) ? (uint32_t)(k - first) : 4 * (VW);                     \
          const V *cp = (const V *)(t + g * dim * VQ_W) + p * 4;                                             \
          for (size_t r = 0; r < rn; r++) {                                                                   \
            const double *xr = x + (r0 + r) * dim;                                                            \
            const V *c = cp;                                                                                  \
            V s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};                                                         \
            uint32_t j = 0;                                                                                   \
            int pruned = 0;                                                                                   \
            for (; j + VQ_BLOCK <= dim; j += VQ_BLOCK) {                                                      \
              V b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};                                                       \
              for (uint32_t u = 0; u < VQ_BLOCK; u++, c += step) {                                            \
                const double xj = xr[j + u];                                                                  \
                V d0 = xj - c[0], d1 = xj - c[1], d2 = xj - c[2], d3 = xj - c[3];                             \
                b0 += d0 * d0;                                                                                \
                b1 += d1 * d1;                                                                                \
                b2 += d2 * d2;                                                                                \
                b3 += d3 * d3;                                                                                \
              }                                                                                               \
              s0 += b0;                                                                                       \
              s1 += b1;                                                                                       \
              s2 += b2;                                                                                       \
              s3 += b3;                                                                                       \
              M above = (s0 > best[r]) & (s1 > best[r]) & (s2 > best[r]) & (s3 > best[r]);                    \
              long long all = -1;                                                                             \
              for (int l = 0; l < (VW); l++) all &= above[l];                                                 \
              if (all) {                                                                                      \
                pruned = 1;                                                                                   \
                break;                                                                                        \
              }                                                                                               \
            }                                                                                                 \
            if (pruned) continue;                                                                             \
            for (; j < dim; j++, c += step) {                                                                 \
              const double xj = xr[j];                                                                        \
              V d0 = xj - c[0], d1 = xj - c[1], d2 = xj - c[2], d3 = xj - c[3];                               \
              s0 += d0 * d0;                                                                                  \
              s1 += d1 * d1;                                                                                  \
              s2 += d2 * d2;                                                                                  \
              s3 += d3 * d3;                                                                                  \
            }                                                                                                 \
            const V s[4] = {s0, s1, s2, s3};                                                                  \
            for (uint32_t l = 0; l < lanes; l++)                                                              \
              if (s[l / (VW)][l % (VW)] < best[r]) {                                                          \
                best[r] = s[l / (VW)][l % (VW)];                                                              \
                bi[r] = (int32_t)(first + l);                                                                 \
              }                                                                                               \
          }                                                                                                   \
        }                                                                                                     \
      memcpy(codes + r0, bi, rn * sizeof *bi);                                                                \
    }                                                                                                         \
  }

/* 2 doubles: one SSE2 or NEON register, the baseline of x86-64 and arm64. */
typedef double vq_v2 __attribute__((vector_size(2 * sizeof(double)), may_alias)); /* read from double[] */
typedef long long vq_m2 __attribute__((vector_size(2 * sizeof(long long))));
VQ_DEFINE_SEARCH(vq_search_generic, , vq_v2, vq_m2, 2)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VQ_HAVE_AVX2 1
/* 4 doubles: one AVX2 register. "avx2" does not enable FMA, and contraction is off, so
 * this build performs the same IEEE operations as the generic one. */
typedef double vq_v4 __attribute__((vector_size(4 * sizeof(double)), may_alias));
typedef long long vq_m4 __attribute__((vector_size(4 * sizeof(long long))));
VQ_DEFINE_SEARCH(vq_search_avx2, __attribute__((target("avx2"))), vq_v4, vq_m4, 4)
#endif

int med_vq_has_avx2(void) {
#ifdef VQ_HAVE_AVX2
  return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
  return 0;
#endif
}

int med_codebook_prepare(med_codebook *cb) {
  free(cb->t);
  cb->t = vq_transpose(cb);
  return cb->t ? 0 : -1;
}

void med_vq_encode_variant(const med_codebook *cb, const double *x, size_t n, int32_t *codes, int variant) {
  if (n == 0 || cb->k == 0) {
    for (size_t r = 0; r < n; r++) codes[r] = 0;
    return;
  }
  double *tmp = NULL;
  const double *v = cb->t;
  if (!v) {
    /* An unprepared codebook (training updates its rows every iteration): transpose for
     * this call, k·dim copies against n·k·dim operations of the search. */
    v = tmp = vq_transpose(cb);
    if (!v) {
      med_vq_encode_ref(cb, x, n, codes);
      return;
    }
  }
#ifdef VQ_HAVE_AVX2
  if (variant != MED_VQ_GENERIC && med_vq_has_avx2())
    vq_search_avx2(v, cb->k, cb->dim, x, n, codes);
  else
#endif
    vq_search_generic(v, cb->k, cb->dim, x, n, codes);
  (void)variant;
  free(tmp);
}

void med_vq_encode(const med_codebook *cb, const double *x, size_t n, int32_t *codes) {
  med_vq_encode_variant(cb, x, n, codes, MED_VQ_AUTO);
}
