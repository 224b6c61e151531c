/* Zeroed memory for the tables the encoder reads at random. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tokenize/tok_internal.h"

#define HUGE_PAGE ((size_t)2 << 20)

void *tok_table_alloc(size_t bytes, bool huge, const char *what) {
  size_t align = huge ? HUGE_PAGE : 64;
  bytes = (bytes + align - 1) / align * align;
  void *p = aligned_alloc(align, bytes);
  if (!p) {
    al_error("out of memory for %s (%zu bytes)", what, bytes);
    abort();
  }
#ifdef MADV_HUGEPAGE
  if (huge) (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
  memset(p, 0, bytes);
  return p;
}
