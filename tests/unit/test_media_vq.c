/* The vectorised codebook search (src/media/med_vq.c) returns exactly the codes of the
 * scalar definition med_vq_encode_ref: on random codebooks of every shape around the
 * vector and block widths, on exact ties (duplicated codes, all codes equal), on near
 * ties one ulp apart, with non-finite and overflowing inputs, and through both builds
 * of the search (AVX2 when the CPU has it, and the baseline one). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "harness.h"
#include "media/media.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) { /* splitmix64 */
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static double unif(void) { return (double)(next() >> 11) / 9007199254740992.0; }

static size_t mismatches;

/* Codes of every search variant, prepared and unprepared, against the definition;
 * returns the definition's codes in want (n entries). */
static void compare(med_codebook *cb, const double *x, size_t n, int32_t *want) {
  int32_t *got = al_xmalloc((n ? n : 1) * sizeof *got);
  med_vq_encode_ref(cb, x, n, want);
  for (int prepared = 0; prepared < 2; prepared++) {
    if (prepared) CHECK(med_codebook_prepare(cb) == 0);
    for (int variant = 0; variant < 2; variant++) {
      med_vq_encode_variant(cb, x, n, got, variant == 0 ? MED_VQ_AUTO : MED_VQ_GENERIC);
      for (size_t r = 0; r < n; r++)
        if (got[r] != want[r]) {
          if (mismatches++ < 5)
            CHECK_MSG(0, "k %u dim %u row %zu: prepared %d variant %d gives %d, definition %d", cb->k, cb->dim, r, prepared,
                      variant, got[r], want[r]);
        }
    }
  }
  free(cb->t);
  cb->t = NULL;
  free(got);
}

static med_codebook make(uint32_t k, uint32_t dim) {
  med_codebook cb = {k, dim, al_xmalloc((size_t)k * dim * sizeof(double)), NULL};
  return cb;
}

/* Shapes around the 16-code group, the 16-term block and the 32-row pass; values at
 * several scales, x near the codes so that the pruning test fires and near-misses. */
static void test_random(void) {
  static const uint32_t ks[] = {1, 2, 15, 16, 17, 33, 64, 100};
  static const uint32_t dims[] = {1, 3, 15, 16, 17, 31, 48, 100, 768};
  static const size_t ns[] = {1, 31, 32, 33, 70};
  size_t cases = 0;
  for (size_t a = 0; a < sizeof ks / sizeof *ks; a++)
    for (size_t b = 0; b < sizeof dims / sizeof *dims; b++) {
      uint32_t k = ks[a], dim = dims[b];
      size_t n = ns[(a + b) % 5];
      double scale = (a + b) % 3 == 0 ? 1.0 : (a + b) % 3 == 1 ? 255.0 : 1e-3;
      med_codebook cb = make(k, dim);
      for (size_t i = 0; i < (size_t)k * dim; i++) cb.c[i] = (unif() - 0.5) * scale;
      double *x = al_xmalloc(n * dim * sizeof *x);
      for (size_t r = 0; r < n; r++) {
        const double *near = cb.c + (next() % k) * dim;
        for (uint32_t j = 0; j < dim; j++) x[r * dim + j] = r % 2 ? near[j] + (unif() - 0.5) * scale * 0.1 : unif() * scale;
      }
      int32_t *want = al_xmalloc(n * sizeof *want);
      compare(&cb, x, n, want);
      cases++;
      free(want);
      free(x);
      free(cb.c);
    }
  CHECK(cases == 72);
}

/* Exact ties: every code equal (code 0 wins for any x), and duplicates of the nearest
 * code in other lanes and other groups (the lowest index wins). */
static void test_ties(void) {
  const uint32_t k = 50, dim = 40;
  med_codebook cb = make(k, dim);
  double x[3 * 40];
  int32_t want[3];
  for (uint32_t i = 0; i < k; i++)
    for (uint32_t j = 0; j < dim; j++) cb.c[i * dim + j] = 0.25 * j;
  for (uint32_t j = 0; j < dim; j++) x[j] = 0.25 * j, x[dim + j] = 1.0, x[2 * dim + j] = -(double)j;
  compare(&cb, x, 3, want);
  CHECK(want[0] == 0 && want[1] == 0 && want[2] == 0);

  /* Codes 7, 20 and 45 equal x; the rest far. */
  for (size_t i = 0; i < (size_t)k * dim; i++) cb.c[i] = 100.0 + unif();
  for (uint32_t j = 0; j < dim; j++) {
    double v = unif();
    cb.c[7 * dim + j] = cb.c[20 * dim + j] = cb.c[45 * dim + j] = x[j] = v;
    /* Row 1 is equidistant from codes 30 and 3 (mirror images around it): 3 wins. */
    x[dim + j] = 10.0;
    cb.c[30 * dim + j] = 10.5;
    cb.c[3 * dim + j] = 9.5;
    x[2 * dim + j] = 10.0;
  }
  /* Row 2: code 31 at the same distance as 3 and 30 but arranged differently. */
  for (uint32_t j = 0; j < dim; j++) cb.c[31 * dim + j] = j % 2 ? 9.5 : 10.5;
  compare(&cb, x, 3, want);
  CHECK_EQ_INT(want[0], 7);
  CHECK_EQ_INT(want[1], 3);
  CHECK_EQ_INT(want[2], 3);
  free(cb.c);
}

/* Near ties: codes that differ from each other in one coordinate by one ulp, so the
 * distances differ in the last bit or round to the same value. */
static void test_near_ties(void) {
  const uint32_t k = 40, dim = 33;
  med_codebook cb = make(k, dim);
  double x[4 * 33];
  int32_t want[4];
  for (int round = 0; round < 20; round++) {
    for (uint32_t j = 0; j < dim; j++) x[j] = unif();
    for (uint32_t i = 0; i < k; i++)
      for (uint32_t j = 0; j < dim; j++) {
        double v = x[j] + 1e-3;
        for (uint32_t u = 0; u < (i + (uint32_t)round) % 5; u++) v = j == i % dim ? nextafter(v, 2.0) : v;
        if (i % 3 == 1 && j == (i * 7) % dim) v = nextafter(v, -2.0);
        cb.c[i * dim + j] = v;
      }
    for (uint32_t j = 0; j < dim; j++) {
      x[dim + j] = nextafter(x[j], 2.0);
      x[2 * dim + j] = x[j] + 1e-3;
      x[3 * dim + j] = x[j] + 2e-3;
    }
    compare(&cb, x, 4, want);
  }
  free(cb.c);
}

/* NaN and infinite inputs give code 0 (no distance is below +inf); finite inputs whose
 * squares overflow behave as in the definition. */
static void test_non_finite(void) {
  const uint32_t k = 20, dim = 18;
  med_codebook cb = make(k, dim);
  for (size_t i = 0; i < (size_t)k * dim; i++) cb.c[i] = unif();
  double x[5 * 18];
  for (uint32_t j = 0; j < dim; j++) {
    x[j] = j == 3 ? NAN : 0.5;
    x[dim + j] = j == 17 ? INFINITY : 0.5;
    x[2 * dim + j] = j == 0 ? -INFINITY : 0.5;
    x[3 * dim + j] = 1e200;
    x[4 * dim + j] = j == 16 ? DBL_MAX : 0.5;
  }
  int32_t want[5];
  compare(&cb, x, 5, want);
  CHECK_EQ_INT(want[0], 0);
  CHECK_EQ_INT(want[1], 0);
  CHECK_EQ_INT(want[2], 0);
  CHECK_EQ_INT(want[3], 0);
  free(cb.c);
}

/* A codebook loaded from JSON comes prepared, and freeing releases both copies. */
static void test_loaded(void) {
  const char *t = "{\"codebook_size\": 17, \"feature_dim\": 1, \"codebook\": "
                  "[[0],[1],[2],[3],[4],[5],[6],[7],[8],[9],[10],[11],[12],[13],[14],[15],[15]]}";
  med_codebook cb;
  al_err err = {0};
  CHECK_MSG(med_codebook_parse(t, strlen(t), "cb.json", &cb, &err) == 0, "%s", err.msg);
  CHECK(cb.t != NULL);
  double x[4] = {15.2, 14.5, -3, 7.4};
  int32_t got[4];
  med_vq_encode(&cb, x, 4, got);
  CHECK_EQ_INT(got[0], 15);
  CHECK_EQ_INT(got[1], 14);
  CHECK_EQ_INT(got[2], 0);
  CHECK_EQ_INT(got[3], 7);
  med_codebook_free(&cb);
  CHECK(cb.c == NULL && cb.t == NULL);
}

int main(void) {
  fprintf(stderr, "codebook search: AVX2 build %s on this CPU\n", med_vq_has_avx2() ? "used" : "not used");
  RUN(test_random);
  RUN(test_ties);
  RUN(test_near_ties);
  RUN(test_non_finite);
  RUN(test_loaded);
  CHECK_EQ_INT((int)mismatches, 0);
  return TEST_REPORT();
}
