/* Fuzz target: vq_codebook.json parsing (tokenizer directories come from users), then
 * one nearest-codebook search with the loaded codebook. */
#include <stdint.h>
#include <stdlib.h>

#include "media/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  med_codebook cb;
  al_err err;
  if (med_codebook_parse((const char *)data, size, "fuzz.json", &cb, &err) == 0) {
    if (cb.dim <= 4096) {
      double *x = calloc(cb.dim, sizeof *x);
      int32_t code;
      med_vq_encode(&cb, x, 1, &code);
      free(x);
    }
    med_codebook_free(&cb);
  }
  return 0;
}
