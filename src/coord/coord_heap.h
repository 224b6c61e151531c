/* Intrusive binary min-heap of coord_timer deadlines: O(log n) arm, cancel and pop,
 * so one libuv timer serves every deadline of the coordinator. */
#ifndef AL_COORD_HEAP_H
#define AL_COORD_HEAP_H

#include "coord/coord_jm.h"

/* Timers armed at once: the index is 32 bits (coord_timer.idx); far above any count of
 * tasks, jobs and workers the manager's own limits allow. */
#define COORD_HEAP_MAX (UINT32_MAX - 1u)

typedef struct coord_heap {
  coord_timer **v;
  size_t n, cap;
} coord_heap;

void coord_heap_free(coord_heap *h);
/* Arms t at deadline (re-arms if already armed). Aborts past COORD_HEAP_MAX armed timers. */
void coord_heap_arm(coord_heap *h, coord_timer *t, double deadline);
/* Disarms t; no-op when not armed. */
void coord_heap_cancel(coord_heap *h, coord_timer *t);
/* Earliest armed timer, or NULL. */
coord_timer *coord_heap_top(const coord_heap *h);
static inline void coord_timer_init(coord_timer *t, int kind) {
  t->deadline = 0;
  t->idx = UINT32_MAX;
  t->kind = kind;
}
static inline int coord_timer_armed(const coord_timer *t) { return t->idx != UINT32_MAX; }

#endif
