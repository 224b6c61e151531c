/* Checked allocation: abort with a message rather than return NULL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"

static void oom(size_t n) {
  fprintf(stderr, "auralith: out of memory allocating %zu bytes\n", n);
  abort();
}

void *al_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) oom(n);
  return p;
}

void *al_xcalloc(size_t count, size_t n) {
  void *p = calloc(count ? count : 1, n ? n : 1);
  if (!p) oom(count * n);
  return p;
}

void *al_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) oom(n);
  return q;
}

char *al_xstrdup(const char *s) {
  if (!s) return NULL;
  return al_xstrndup(s, strlen(s));
}

char *al_xstrndup(const char *s, size_t n) {
  char *p = al_xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *al_xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  char *p = al_xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}
