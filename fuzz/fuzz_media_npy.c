/* Fuzz target: the .npy reader (image and audio .npy inputs are untrusted files), then
 * the image preprocessing on whatever array it accepts. */
#include <stdint.h>
#include <stdlib.h>

#include "media/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  med_array a;
  al_err err;
  if (med_npy_parse(data, size, "fuzz.npy", &a, &err) == 0) {
    /* Small configuration so that large accepted arrays still run quickly. */
    med_image_cfg cfg = {8, 4, 4, 3};
    double *feat;
    size_t n;
    if (a.n <= 4096 && med_image_features(&cfg, &a, "fuzz.npy", &feat, &n, &err) == 0) free(feat);
    med_array_free(&a);
  }
  return 0;
}
