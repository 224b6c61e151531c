/* See ops_process.h. */
#include "ops/ops_process.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "ops/ops_prom.h"

uint64_t ops_process_rss_bytes(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  unsigned long long kb = 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) {
      sscanf(line + 6, "%llu", &kb);
      break;
    }
  fclose(f);
  return (uint64_t)kb * 1024u;
}

/* Entries of /proc/self/fd, less the one opendir itself holds; -1 when unreadable. */
static long open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  long n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1;
}

void ops_process_metrics(al_buf *o) {
  uint64_t rss = ops_process_rss_bytes();
  if (rss) {
    ops_prom_help(o, "process_resident_memory_bytes", "gauge", "resident memory size in bytes");
    ops_prom_sample(o, "process_resident_memory_bytes", (double)rss);
  }
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 ru.ru_stime.tv_usec / 1e6;
    ops_prom_help(o, "process_cpu_seconds_total", "counter", "user and system CPU time spent, in seconds");
    al_buf_printf(o, "process_cpu_seconds_total %.6f\n", cpu);
  }
  long fds = open_fds();
  if (fds >= 0) {
    ops_prom_help(o, "process_open_fds", "gauge", "open file descriptors");
    ops_prom_sample(o, "process_open_fds", (double)fds);
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    ops_prom_help(o, "process_max_fds", "gauge", "limit on open file descriptors (RLIMIT_NOFILE)");
    ops_prom_sample(o, "process_max_fds", (double)rl.rlim_cur);
  }
}
