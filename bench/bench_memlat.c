/* Memory latency of this machine as the tokenizer sees it: a dependent chase through
 * random 64-byte lines of a buffer of the given size, so every load waits for the one
 * before. Run it next to a tokenizer benchmark to tell a busy host (lines that leave
 * L2 come from DRAM) from a code change.
 *
 *   bench_memlat BYTES...   prints one line per size: ns per access */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/al.h"

static uint64_t RNG = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  RNG ^= RNG << 13;
  RNG ^= RNG >> 7;
  RNG ^= RNG << 17;
  return RNG;
}

static double chase(size_t bytes) {
  size_t lines = bytes / 64;
  if (lines < 2) lines = 2;
  size_t *buf = aligned_alloc(64, lines * 64);
  size_t *order = malloc(lines * sizeof *order);
  if (!buf || !order) {
    fprintf(stderr, "out of memory for %zu bytes\n", bytes);
    exit(1);
  }
  for (size_t i = 0; i < lines; i++) order[i] = i;
  for (size_t i = lines - 1; i > 0; i--) { /* one random cycle through every line */
    size_t j = (size_t)(rnd() % (i + 1)), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (size_t i = 0; i < lines; i++) buf[order[i] * 8] = order[(i + 1) % lines] * 8;
  size_t p = order[0] * 8;
  for (size_t i = 0; i < lines; i++) p = buf[p]; /* warm */
  const long steps = 5000000;
  double t0 = al_mono_s();
  for (long i = 0; i < steps; i++) p = buf[p];
  double dt = al_mono_s() - t0;
  if (p == (size_t)-1) puts(""); /* keeps the chase */
  free(buf);
  free(order);
  return dt / (double)steps * 1e9;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s BYTES...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    long long b = atoll(argv[i]);
    if (b < 128) {
      fprintf(stderr, "BYTES must be at least 128: %s\n", argv[i]);
      return 2;
    }
    printf("%lld bytes: %.1f ns per dependent access\n", b, chase((size_t)b));
  }
  return 0;
}
