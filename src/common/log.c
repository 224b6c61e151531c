/* Logging to stderr with a UTC timestamp and a level. One fprintf per line so lines
 * from several threads do not interleave mid-line (stdio locks the stream). */
#include <stdio.h>
#include <time.h>

#include "common/al.h"

static al_log_level g_level = AL_LOG_INFO;

void al_log_set_level(al_log_level lvl) { g_level = lvl; }
al_log_level al_log_get_level(void) { return g_level; }

static const char *level_name(al_log_level lvl) {
  switch (lvl) {
    case AL_LOG_DEBUG: return "DEBUG";
    case AL_LOG_INFO: return "INFO";
    case AL_LOG_WARN: return "WARN";
    case AL_LOG_ERROR: return "ERROR";
    default: return "?";
  }
}

void al_logv(al_log_level lvl, const char *fmt, va_list ap) {
  if (lvl < g_level) return;
  char msg[2048];
  vsnprintf(msg, sizeof msg, fmt, ap);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[32];
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  fprintf(stderr, "%s.%03ldZ %-5s %s\n", when, ts.tv_nsec / 1000000L, level_name(lvl), msg);
}

void al_log(al_log_level lvl, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  al_logv(lvl, fmt, ap);
  va_end(ap);
}
