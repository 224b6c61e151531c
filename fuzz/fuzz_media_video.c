/* Fuzz target: video demuxing and decoding (libavformat/libavcodec from a memory
 * buffer), frame sampling and the bilinear zoom, through the file path the worker
 * uses. The input is written to a temporary file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_media_module.h"
#include "media/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_media_require_module();
  static char path[64];
  if (!path[0]) snprintf(path, sizeof path, "/tmp/al-fuzz-video-%d.avi", (int)getpid());
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  if (size) fwrite(data, 1, size, f);
  fclose(f);
  static double cb[2 * 12];
  med_video_tok t = {{{4, 2, 2, 3}, 3, 2}, {2, 12, cb, NULL}};
  int32_t *codes;
  size_t n;
  al_err err;
  if (med_video_encode_file(&t, path, &codes, &n, &err) == 0) free(codes);
  return 0;
}
