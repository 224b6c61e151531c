/* Fuzz target: audio decoding (libsndfile: WAV, FLAC, Ogg, MP3 and the rest it sniffs),
 * resampling and the spectrogram, through the file path the worker uses. The input is
 * written to a temporary .wav file (libsndfile sniffs the real format from the bytes). */
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
  if (!path[0]) snprintf(path, sizeof path, "/tmp/al-fuzz-audio-%d.wav", (int)getpid());
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  if (size) fwrite(data, 1, size, f);
  fclose(f);
  /* A small tokenizer: 4 mels × 2 frames, 2 codes; a rate that forces resampling of
   * most inputs. */
  static double cb[2 * 8] = {0, 0, 0, 0, 0, 0, 0, 0, -50, -50, -50, -50, -50, -50, -50, -50};
  med_audio_tok t = {{7000, 64, 32, 4, 2, 2, 0}, {2, 8, cb, NULL}};
  int32_t *codes;
  size_t n;
  al_err err;
  if (med_audio_encode_file(&t, path, &codes, &n, &err) == 0) free(codes);
  return 0;
}
