/* Fuzz target: the SafeTensors reader and the shard schema check on arbitrary bytes.
 * Any input must either parse into tensors whose data lies inside the buffer, or be
 * rejected with a message; never crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shard/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* A private copy: the reader must not rely on bytes past `size`. */
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) return 0;
  if (size) memcpy(buf, data, size);
  shard_st_file f;
  al_err err;
  if (shard_st_parse(buf, size, &f, &err) == 0) {
    unsigned sum = 0;
    for (size_t i = 0; i < f.ntensors; i++) {
      const shard_st_tensor *t = &f.tensors[i];
      if (t->end > t->begin) sum += t->data[0] + t->data[t->end - t->begin - 1];
    }
    for (size_t i = 0; i < f.nmeta; i++) sum += (unsigned)strlen(f.meta[i].value);
    (void)shard_st_check_schema(&f, NULL, NULL, &err);
    shard_st_free(&f);
    if (sum == 0xFFFFFFFFu) abort(); /* keeps the reads from being optimised away */
  } else if (err.msg[0] == '\0') {
    abort(); /* a rejection must say why */
  }
  free(buf);
  return 0;
}
