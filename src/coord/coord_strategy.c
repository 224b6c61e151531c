/* round_robin, least_busy and dynamic worker selection (original-behaviour §5). */
#include "coord/coord_strategy.h"

size_t coord_worker_load(const coord_worker *w) { return w->queued.n + w->running.n; }

double coord_dynamic_score(const coord_worker *w) {
  double cpu = w->cpu < 0 ? 50.0 : w->cpu;
  double mem = w->mem < 0 ? 50.0 : w->mem;
  return 0.4 * (double)coord_worker_load(w) + 0.3 * cpu + 0.3 * mem;
}

size_t coord_strategy_pick(coord_strategy_kind k, coord_worker *const *cand, size_t n,
                           size_t *rr_index) {
  size_t best = 0;
  switch (k) {
  case COORD_STRATEGY_ROUND_ROBIN:
    best = *rr_index % n;
    (*rr_index)++;
    break;
  case COORD_STRATEGY_LEAST_BUSY:
    for (size_t i = 1; i < n; i++)
      if (coord_worker_load(cand[i]) < coord_worker_load(cand[best])) best = i;
    break;
  case COORD_STRATEGY_DYNAMIC:
    for (size_t i = 1; i < n; i++)
      if (coord_dynamic_score(cand[i]) < coord_dynamic_score(cand[best])) best = i;
    break;
  }
  return best;
}
