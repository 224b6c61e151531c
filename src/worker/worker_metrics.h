/* A worker's own Prometheus figures (`worker --metrics-port`), read from the worker on
 * its loop thread at scrape time: nothing is counted twice, and the counters are those
 * its heartbeats report to the coordinator. Prefix: worker_metrics_. */
#ifndef AL_WORKER_WORKER_METRICS_H
#define AL_WORKER_WORKER_METRICS_H

#include "common/al.h"
#include "worker/worker.h"

/* Appends the text exposition (format 0.0.4) of w (borrowed) to out. worker_id names
 * the worker in labels; coordinator ("host:port") in auralith_build_info. */
void worker_metrics_render(const worker *w, const char *worker_id, const char *coordinator, al_buf *out);

/* 1 when w is connected to its coordinator; otherwise 0 with why appended to out. */
int worker_metrics_healthy(const worker *w, const char *coordinator, al_buf *why);

#endif
