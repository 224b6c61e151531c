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
  e->code = code ? code : AL_E_FAILED; /* a failure always has a code */
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

const char *al_err_code_name(int code) {
  switch ((al_err_code)code) {
  case AL_OK: return "OK";
  case AL_E_BAD_FRAME: return "BAD_FRAME";
  case AL_E_FRAME_TOO_LARGE: return "FRAME_TOO_LARGE";
  case AL_E_UNKNOWN_TYPE: return "UNKNOWN_TYPE";
  case AL_E_BAD_FIELD: return "BAD_FIELD";
  case AL_E_AUTH: return "AUTH";
  case AL_E_VERSION: return "VERSION";
  case AL_E_NOT_FOUND: return "NOT_FOUND";
  case AL_E_BAD_STATE: return "BAD_STATE";
  case AL_E_INTERNAL: return "INTERNAL";
  case AL_E_NOT_ALLOWED: return "NOT_ALLOWED";
  case AL_E_STALE: return "STALE";
  case AL_E_ID_IN_USE: return "ID_IN_USE";
  case AL_E_LIMIT: return "LIMIT";
  case AL_E_ADDRESS: return "ADDRESS";
  case AL_E_CONNECT: return "CONNECT";
  case AL_E_TIMEOUT: return "TIMEOUT";
  case AL_E_CLOSED: return "CLOSED";
  case AL_E_PROTOCOL: return "PROTOCOL";
  case AL_E_ARG: return "ARG";
  case AL_E_IO: return "IO";
  case AL_E_NO_FILES: return "NO_FILES";
  case AL_E_TLS: return "TLS";
  case AL_E_CONFIG_NOT_FOUND: return "CONFIG_NOT_FOUND";
  case AL_E_CONFIG_IO: return "CONFIG_IO";
  case AL_E_CONFIG_SYNTAX: return "CONFIG_SYNTAX";
  case AL_E_CONFIG_SCHEMA: return "CONFIG_SCHEMA";
  case AL_E_FORMAT: return "FORMAT";
  case AL_E_FAILED: return "FAILED";
  }
  return "UNKNOWN";
}
