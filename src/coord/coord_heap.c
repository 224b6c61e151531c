/* Intrusive min-heap: each coord_timer records its slot, so cancel is O(log n). */
#include <stdint.h>
#include <stdlib.h>

#include "common/al.h"
#include "coord/coord_heap.h"

static void heap_set(coord_heap *h, size_t i, coord_timer *t) {
  h->v[i] = t;
  t->idx = (uint32_t)i; /* i < n <= COORD_HEAP_MAX */
}

static void heap_up(coord_heap *h, size_t i) {
  coord_timer *t = h->v[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (h->v[p]->deadline <= t->deadline) break;
    heap_set(h, i, h->v[p]);
    i = p;
  }
  heap_set(h, i, t);
}

static void heap_down(coord_heap *h, size_t i) {
  coord_timer *t = h->v[i];
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    double best = t->deadline;
    if (l < h->n && h->v[l]->deadline < best) {
      m = l;
      best = h->v[l]->deadline;
    }
    if (l + 1 < h->n && h->v[l + 1]->deadline < best) m = l + 1;
    if (m == i) break;
    heap_set(h, i, h->v[m]);
    i = m;
  }
  heap_set(h, i, t);
}

void coord_heap_free(coord_heap *h) {
  for (size_t i = 0; i < h->n; i++) h->v[i]->idx = UINT32_MAX;
  free(h->v);
  h->v = NULL;
  h->n = h->cap = 0;
}

void coord_heap_cancel(coord_heap *h, coord_timer *t) {
  if (!coord_timer_armed(t)) return;
  size_t i = t->idx;
  t->idx = UINT32_MAX;
  h->n--;
  if (i == h->n) return;
  coord_timer *last = h->v[h->n];
  heap_set(h, i, last);
  heap_up(h, i);
  heap_down(h, last->idx);
}

void coord_heap_arm(coord_heap *h, coord_timer *t, double deadline) {
  coord_heap_cancel(h, t);
  if (h->n >= COORD_HEAP_MAX) { /* unreachable below the manager's limits; never wrap an index */
    al_error("coordinator: more than %u deadlines armed at once", (unsigned)COORD_HEAP_MAX);
    abort();
  }
  if (h->n == h->cap) {
    h->cap = h->cap ? h->cap * 2 : 64;
    h->v = al_xrealloc(h->v, h->cap * sizeof *h->v);
  }
  t->deadline = deadline;
  heap_set(h, h->n++, t);
  heap_up(h, h->n - 1);
}

coord_timer *coord_heap_top(const coord_heap *h) { return h->n ? h->v[0] : NULL; }
