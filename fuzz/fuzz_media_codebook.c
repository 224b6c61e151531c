/* Fuzz target: vq_codebook.json parsing (tokenizer directories come from users), then
 * nearest-codebook searches with the loaded codebook: the vectorised search must give
 * the scalar definition's codes (med_vq_encode_ref) on the zero vector, on every code
 * itself (exact ties when codes repeat) and on midpoints of neighbouring codes (ties
 * and near-ties between them); a difference aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "media/media.h"

#define ROWS_MAX 64 /* search rows per input: the codes and midpoints, capped */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  med_codebook cb;
  al_err err;
  if (med_codebook_parse((const char *)data, size, "fuzz.json", &cb, &err) == 0) {
    if ((uint64_t)cb.dim * cb.k <= ((uint64_t)1 << 20)) {
      uint32_t dim = cb.dim;
      double *x = calloc((size_t)ROWS_MAX * dim, sizeof *x); /* row 0 stays zero */
      size_t n = 1;
      for (uint32_t i = 0; i < cb.k && n < ROWS_MAX; i++) {
        for (uint32_t j = 0; j < dim; j++) x[n * dim + j] = cb.c[(size_t)i * dim + j];
        n++;
        if (i + 1 < cb.k && n < ROWS_MAX) {
          for (uint32_t j = 0; j < dim; j++)
            x[n * dim + j] = cb.c[(size_t)i * dim + j] * 0.5 + cb.c[(size_t)(i + 1) * dim + j] * 0.5;
          n++;
        }
      }
      int32_t want[ROWS_MAX], got[ROWS_MAX];
      med_vq_encode_ref(&cb, x, n, want);
      for (int variant = 0; variant < 2; variant++) {
        med_vq_encode_variant(&cb, x, n, got, variant ? MED_VQ_GENERIC : MED_VQ_AUTO);
        for (size_t r = 0; r < n; r++)
          if (got[r] != want[r]) {
            fprintf(stderr, "codebook search: row %zu variant %d gives %d, definition %d\n", r, variant, got[r], want[r]);
            abort();
          }
      }
      free(x);
    }
    med_codebook_free(&cb);
  }
  return 0;
}
