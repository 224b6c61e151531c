/* The coordinator's Prometheus figures, read from the job manager and the server on
 * the loop thread (no locks, no counters kept twice): gauges from the current state,
 * counters summed over the jobs the manager holds (finished jobs count until their
 * retention expires). Prefix: coord_metrics_. */
#ifndef AL_COORD_METRICS_H
#define AL_COORD_METRICS_H

#include "common/al.h"
#include "coord/coord_server.h"

/* Appends the text exposition (format 0.0.4) to out. started_mono: the coordinator's
 * start (al_mono_s) for the uptime gauge. */
void coord_metrics_render(coord_server *s, double started_mono, al_buf *out);

/* Number of workers that are connected and not draining, and tasks waiting for one
 * (pending, backoff). */
size_t coord_metrics_alive_workers(coord_server *s);
size_t coord_metrics_waiting_tasks(coord_server *s);

#endif
