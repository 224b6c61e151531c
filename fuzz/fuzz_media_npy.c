/* Fuzz target: the .npy reader (image and audio .npy inputs are untrusted files) as the
 * image tokenizer reads it (arrays to resize held as bytes) and as the audio tokenizer
 * does (sample limit), then the image preprocessing on whatever array it accepts. */
#include <stdint.h>
#include <stdlib.h>

#include "media/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Small configuration so that large accepted arrays still run quickly. */
  med_image_cfg cfg = {8, 4, 4, 3};
  const med_npy_opts image = {0, NULL, 8}, audio = {MED_MAX_AUDIO_SAMPLES, "audio samples", 0};
  const med_npy_opts *uses[] = {NULL, &image, &audio};
  for (int u = 0; u < 3; u++) {
    med_array a;
    al_err err;
    if (med_npy_parse_opts(data, size, "fuzz.npy", uses[u], &a, &err) == 0) {
      double *feat;
      size_t n;
      if (u < 2 && a.n <= 4096 && med_image_features(&cfg, &a, "fuzz.npy", &feat, &n, &err) == 0) free(feat);
      med_array_free(&a);
    }
  }
  return 0;
}
