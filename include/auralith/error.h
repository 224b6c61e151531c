/* Auralith error reports and log level: the part of the library's common layer that the
 * public headers use. Every public function that can fail fills an al_err.
 *
 *   al_err err;
 *   if (al_...(..., &err) != 0) fprintf(stderr, "%s\n", err.msg);
 *
 * The message is one line fit for a user and names what failed (file, line, key, field,
 * frame, address); the code says what kind of failure it was (see client.h and config.h
 * for the codes each header's functions give). Prefix: al_. */
#ifndef AURALITH_ERROR_H
#define AURALITH_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define AL_ERR_MSG_MAX 1024
/* A fixed-size error report (no allocation, so it works when memory is short). */
typedef struct al_err {
  int code;                 /* 0 = no error */
  char msg[AL_ERR_MSG_MAX]; /* NUL-terminated, human readable */
} al_err;

#if defined(__GNUC__) || defined(__clang__)
#define AL_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define AL_PRINTF_LIKE(f, a)
#endif

/* Empties e (code 0, empty message). */
void al_err_clear(al_err *e);
/* Sets code and message. Safe with e == NULL. Always returns -1 so that callers can
 * write `return al_err_set(e, ...)`. */
int al_err_set(al_err *e, int code, const char *fmt, ...) AL_PRINTF_LIKE(3, 4);

/* Logging: the library logs to stderr, filtered by one process-wide level (default
 * INFO; AL_LOG_NONE silences it). */
typedef enum { AL_LOG_DEBUG = 0, AL_LOG_INFO, AL_LOG_WARN, AL_LOG_ERROR, AL_LOG_NONE } al_log_level;
void al_log_set_level(al_log_level lvl);
al_log_level al_log_get_level(void);

#ifdef __cplusplus
}
#endif

#endif
