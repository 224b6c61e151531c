/* Growable byte buffer (amortised doubling). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"

void al_buf_reserve(al_buf *b, size_t extra) {
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap *= 2;
  b->data = al_xrealloc(b->data, cap);
  b->cap = cap;
}

void al_buf_append(al_buf *b, const void *p, size_t n) {
  al_buf_reserve(b, n);
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void al_buf_puts(al_buf *b, const char *s) { al_buf_append(b, s, strlen(s)); }

void al_buf_printf(al_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n <= 0) return;
  al_buf_reserve(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void al_buf_free(al_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

const char *al_buf_cstr(al_buf *b) {
  al_buf_reserve(b, 0);
  b->data[b->len] = '\0';
  return b->data;
}
