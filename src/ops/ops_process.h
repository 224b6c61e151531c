/* The standard process_* metrics of Prometheus client libraries, read from /proc and
 * getrusage at scrape time (nothing is kept): resident memory, CPU seconds, open file
 * descriptors and their limit. Prefix: ops_process_. */
#ifndef AL_OPS_PROCESS_H
#define AL_OPS_PROCESS_H

#include <stdint.h>

#include "common/al.h"

/* Resident set size of this process (VmRSS), in bytes; 0 when /proc is unreadable. */
uint64_t ops_process_rss_bytes(void);
/* Appends process_resident_memory_bytes, process_cpu_seconds_total,
 * process_open_fds and process_max_fds (each only when it could be read). */
void ops_process_metrics(al_buf *out);

#endif
