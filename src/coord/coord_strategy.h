/* Worker selection strategies. Each picks one of n candidate workers (all of which
 * have free capacity) and returns its index. Ties go to the first in order. */
#ifndef AL_COORD_STRATEGY_H
#define AL_COORD_STRATEGY_H

#include <stddef.h>

#include "coord/coord_jm.h"

/* Load used by least_busy and dynamic: tasks queued plus running on the worker. */
size_t coord_worker_load(const coord_worker *w);
/* The dynamic score 0.4*load + 0.3*cpu + 0.3*mem, unknown cpu/mem counting as 50. */
double coord_dynamic_score(const coord_worker *w);
/* rr_index is the round-robin cursor (persists across calls, as in the original). */
size_t coord_strategy_pick(coord_strategy_kind k, coord_worker *const *cand, size_t n,
                           size_t *rr_index);

#endif
