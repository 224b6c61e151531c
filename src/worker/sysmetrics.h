/* Process and machine metrics for worker heartbeats, read from /proc. */
#ifndef AL_WORKER_SYSMETRICS_H
#define AL_WORKER_SYSMETRICS_H

#include <stdint.h>

/* Keeps the previous /proc/stat sample so cpu% is measured over the last interval. */
typedef struct worker_cpu_sampler {
  uint64_t prev_total;
  uint64_t prev_idle;
  int primed;
} worker_cpu_sampler;

/* Machine-wide CPU busy percentage since the previous call (0-100); the first call
 * measures since boot. Returns -1 if /proc/stat is unreadable. */
double worker_cpu_percent(worker_cpu_sampler *s);
/* Machine memory in use as a percentage (MemTotal - MemAvailable), or -1. */
double worker_mem_percent(void);
/* Resident set size of this process in bytes (VmRSS), and its peak (VmHWM); 0 if
 * unavailable. */
uint64_t worker_rss_bytes(void);
uint64_t worker_peak_rss_bytes(void);

#endif
