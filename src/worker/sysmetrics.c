/* /proc readers for heartbeat metrics. */
#include "worker/sysmetrics.h"

#include <stdio.h>
#include <string.h>

double worker_cpu_percent(worker_cpu_sampler *s) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return -1;
  unsigned long long v[10] = {0};
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                 &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
  fclose(f);
  if (n < 4) return -1;
  uint64_t total = 0;
  for (int i = 0; i < 8 && i < n; i++) total += v[i]; /* guest times are inside user */
  uint64_t idle = v[3] + (n > 4 ? v[4] : 0);          /* idle + iowait */
  uint64_t dt = total - s->prev_total, di = idle - s->prev_idle;
  if (!s->primed) {
    dt = total;
    di = idle;
  }
  s->prev_total = total;
  s->prev_idle = idle;
  s->primed = 1;
  if (dt == 0) return 0;
  double pct = 100.0 * (double)(dt - di) / (double)dt;
  return pct < 0 ? 0 : (pct > 100 ? 100 : pct);
}

static long long meminfo_kb(const char *key) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return -1;
  char line[256];
  long long val = -1;
  size_t klen = strlen(key);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
      sscanf(line + klen + 1, "%lld", &val);
      break;
    }
  }
  fclose(f);
  return val;
}

double worker_mem_percent(void) {
  long long total = meminfo_kb("MemTotal"), avail = meminfo_kb("MemAvailable");
  if (total <= 0 || avail < 0) return -1;
  return 100.0 * (double)(total - avail) / (double)total;
}

static uint64_t status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  unsigned long long val = 0;
  size_t klen = strlen(key);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
      sscanf(line + klen + 1, "%llu", &val);
      break;
    }
  }
  fclose(f);
  return (uint64_t)val * 1024u;
}

uint64_t worker_rss_bytes(void) { return status_kb("VmRSS"); }
uint64_t worker_peak_rss_bytes(void) { return status_kb("VmHWM"); }
