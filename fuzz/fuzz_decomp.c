/* libFuzzer target: the streaming decompressors (worker_src over a file). The first
 * byte picks the format (gzip, zstd, xz, bzip2); the rest is the compressed file. Any
 * input must end in data or an error with a reason, within the size limit (1 MiB), and
 * never read past what the decoder hands out. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/decomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  worker_zkind kind = (worker_zkind)(1 + data[0] % 4);
  FILE *f = tmpfile();
  if (!f) return 0;
  if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1) abort();
  fflush(f);
  int fd = dup(fileno(f));
  fclose(f);
  if (fd < 0 || lseek(fd, 0, SEEK_SET) != 0) abort();
  const uint64_t limit = 1u << 20;
  worker_src *s = worker_src_new(fd, kind, limit);
  char buf[4096], reason[512];
  uint64_t total = 0;
  ssize_t n;
  while ((n = worker_src_read(s, buf, sizeof buf, reason, sizeof reason)) > 0) {
    if ((size_t)n > sizeof buf) abort();
    total += (uint64_t)n;
  }
  if (n < 0 && reason[0] == '\0') abort();
  if (total > limit + sizeof buf) abort();
  if (worker_src_raw_bytes(s) > size - 1) abort();
  worker_src_close(s);
  return 0;
}
