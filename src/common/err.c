/* Error reports: a code plus a message naming what failed. */
#include <stdio.h>
#include <string.h>

#include "common/al.h"

void al_err_clear(al_err *e) {
  if (!e) return;
  e->code = 0;
  e->msg[0] = '\0';
}

int al_err_set(al_err *e, int code, const char *fmt, ...) {
  if (!e) return -1;
  e->code = code ? code : -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  return -1;
}

void al_err_prefix(al_err *e, const char *fmt, ...) {
  if (!e) return;
  char prefix[AL_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  /* Build "prefix: old" in a larger scratch buffer, then cut to the report size. */
  char joined[2 * AL_ERR_MSG_MAX + 4];
  snprintf(joined, sizeof joined, "%s: %s", prefix, e->msg);
  memcpy(e->msg, joined, AL_ERR_MSG_MAX - 1);
  e->msg[AL_ERR_MSG_MAX - 1] = '\0';
}
