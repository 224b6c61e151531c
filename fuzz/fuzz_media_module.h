/* Shared by the fuzz targets whose decoders live in the media codec module: the module
 * must load (a missing module would make every input a quiet no-op). libFuzzer calls
 * LLVMFuzzerInitialize before it enumerates instrumented modules, so the codec module's
 * coverage counters are seen; the replay driver reaches the check on its first input. */
#ifndef AL_FUZZ_MEDIA_MODULE_H
#define AL_FUZZ_MEDIA_MODULE_H

#include <stdio.h>
#include <stdlib.h>

#include "media/media.h"

static void fuzz_media_require_module(void) {
  al_err e;
  al_err_clear(&e);
  if (med_module_available(&e) != 0) {
    fprintf(stderr, "fuzz target needs the media codec module: %s\n", e.msg);
    abort();
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  fuzz_media_require_module();
  return 0;
}

#endif
