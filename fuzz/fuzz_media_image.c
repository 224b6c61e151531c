/* Fuzz target: image decoding (PNG, JPEG, BMP, TIFF, GIF, WebP, sniffed from the bytes)
 * and the LANCZOS resize of what decodes. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_media_module.h"
#include "media/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_media_require_module();
  med_image im, out;
  al_err err;
  if (med_image_decode(data, size, "fuzz.img", &im, &err) == 0) {
    if ((uint64_t)im.w * im.h <= 1u << 20) {
      med_resize_lanczos(&im, 7, 5, &out);
      med_image_free(&out);
    }
    med_image_free(&im);
  }
  return 0;
}
