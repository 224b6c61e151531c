/* Record names and runs of records (see source.h). */
#include "shard/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"

/* Reads decimal digits [p, end) into *v; 0 when empty, not all digits or over 2^63. */
static int parse_u64(const char *p, const char *end, uint64_t *v) {
  if (p == end || end - p > 18) return 0;
  uint64_t x = 0;
  for (; p < end; p++) {
    if (*p < '0' || *p > '9') return 0;
    x = x * 10 + (uint64_t)(*p - '0');
  }
  *v = x;
  return 1;
}

int shard_source_record(const char *name, size_t *file_len, uint64_t *first, uint64_t *last) {
  if (!name) return 0;
  const char *colon = strrchr(name, ':');
  if (!colon || colon == name) return 0;
  const char *num = colon + 1, *end = num + strlen(num);
  const char *dash = strchr(num, '-');
  uint64_t a, b;
  if (dash) {
    if (!parse_u64(num, dash, &a) || !parse_u64(dash + 1, end, &b) || b < a) return 0;
  } else {
    if (!parse_u64(num, end, &a)) return 0;
    b = a;
  }
  if (a == 0) return 0;
  *file_len = (size_t)(colon - name);
  *first = a;
  *last = b;
  return 1;
}

uint64_t shard_source_entries(const char *name) {
  size_t fl;
  uint64_t a, b;
  return shard_source_record(name, &fl, &a, &b) && b > a ? b - a + 1 : 1;
}

int shard_source_add_record(char ***v, size_t *n, size_t *cap, const char *file, uint64_t line) {
  size_t fl = strlen(file);
  if (*n > 0 && line > 1) {
    char *prev = (*v)[*n - 1];
    size_t pl;
    uint64_t a, b;
    if (shard_source_record(prev, &pl, &a, &b) && pl == fl && memcmp(prev, file, fl) == 0 && b == line - 1) {
      (*v)[*n - 1] = al_xasprintf("%.*s:%llu-%llu", (int)fl, file, (unsigned long long)a, (unsigned long long)line);
      free(prev);
      return 1;
    }
  }
  if (*n == *cap) {
    *cap = *cap ? 2 * *cap : 16;
    *v = al_xrealloc(*v, *cap * sizeof **v);
  }
  (*v)[(*n)++] = al_xasprintf("%s:%llu", file, (unsigned long long)line);
  return 0;
}
