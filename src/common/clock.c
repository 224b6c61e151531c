/* Clocks and the original's ISO timestamp format. */
#include <stdio.h>
#include <time.h>

#include "common/al.h"

uint64_t al_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double al_mono_s(void) { return (double)al_mono_ns() / 1e9; }

double al_wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *al_iso_from_wall(double wall_s, char *buf, size_t cap) {
  time_t secs = (time_t)wall_s;
  long usec = (long)((wall_s - (double)secs) * 1e6);
  if (usec < 0) usec = 0;
  if (usec > 999999) usec = 999999;
  struct tm tm;
  localtime_r(&secs, &tm);
  char base[24];
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  if (usec == 0)
    snprintf(buf, cap, "%s", base);
  else
    snprintf(buf, cap, "%s.%06ld", base, usec);
  return buf;
}

char *al_iso_now(char *buf, size_t cap) { return al_iso_from_wall(al_wall_s(), buf, cap); }
