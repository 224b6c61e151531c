/* Common utilities shared by every module: checked allocation, error reports,
 * logging and clocks. Prefix: al_. */
#ifndef AL_COMMON_AL_H
#define AL_COMMON_AL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "auralith/error.h" /* al_err, al_err_set, al_log_level */

/* ---- Allocation -------------------------------------------------------------------
 * The al_x* functions never return NULL: on exhaustion they log and abort, because no
 * caller can do anything useful without memory. The caller owns what they return and
 * releases it with free(). */
void *al_xmalloc(size_t n);
void *al_xcalloc(size_t count, size_t n);
void *al_xrealloc(void *p, size_t n);
char *al_xstrdup(const char *s);
char *al_xstrndup(const char *s, size_t n);
/* printf into a fresh heap string; caller frees. */
char *al_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- Errors -----------------------------------------------------------------------
 * al_err, al_err_clear and al_err_set are public (include/auralith/error.h): a
 * fixed-size report filled by functions that can fail, whose message names what failed
 * (file, line, key, field, frame) so it can be printed to a user as it is. */
/* Prepends "prefix: " to an existing message (for adding context while unwinding). */
void al_err_prefix(al_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- Logging ----------------------------------------------------------------------
 * Logs go to stderr, results to stdout. Text: "<UTC ISO time> <LEVEL> <component>:
 * <message>"; JSON: one object per line with time, level, component, job_id, task_id,
 * worker_id (when the message names them) and msg. Messages start with "component: "
 * or "component id: " (log.c says how ids are found). Thread-safe. */
typedef enum { AL_LOG_TEXT = 0, AL_LOG_JSON } al_log_format;
void al_log_set_format(al_log_format f);
al_log_format al_log_get_format(void);
/* Component of lines without a "component: " prefix (the command: "submit-job", ...);
 * copied. */
void al_log_set_component(const char *component);
/* INFO lines of this component are logged as DEBUG (embedded mode keeps the in-process
 * coordinator's and workers' life-cycle lines for -v). At most 4 components. */
void al_log_demote_component(const char *component);
/* Shows line as the status line at the bottom of a terminal (log lines are printed
 * above it and it is redrawn); NULL ends it with a newline. line is copied. */
void al_log_status(const char *line);
void al_log(al_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void al_logv(al_log_level lvl, const char *fmt, va_list ap);
#define al_debug(...) al_log(AL_LOG_DEBUG, __VA_ARGS__)
#define al_info(...) al_log(AL_LOG_INFO, __VA_ARGS__)
#define al_warn(...) al_log(AL_LOG_WARN, __VA_ARGS__)
#define al_error(...) al_log(AL_LOG_ERROR, __VA_ARGS__)

/* ---- Time -------------------------------------------------------------------------- */
uint64_t al_mono_ns(void);   /* monotonic clock */
double al_mono_s(void);      /* monotonic clock in seconds */
double al_wall_s(void);      /* seconds since the epoch */
/* The original's timestamp format: local naive time "YYYY-MM-DDTHH:MM:SS.ffffff"
 * (fraction omitted when microseconds are 0), as Python's datetime.isoformat().
 * Writes into buf (at least 32 bytes) and returns it. */
char *al_iso_now(char *buf, size_t cap);
char *al_iso_from_wall(double wall_s, char *buf, size_t cap);

/* ---- Strings ----------------------------------------------------------------------- */
/* A growable byte buffer. Zero-initialise it ({0}); free with al_buf_free. */
typedef struct al_buf {
  char *data;
  size_t len;
  size_t cap;
} al_buf;
void al_buf_reserve(al_buf *b, size_t extra);
void al_buf_append(al_buf *b, const void *p, size_t n);
void al_buf_puts(al_buf *b, const char *s);
void al_buf_printf(al_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void al_buf_free(al_buf *b);
/* Returns the data NUL-terminated (the terminator is not counted in len). */
const char *al_buf_cstr(al_buf *b);

#define AL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define AL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define AL_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- Path confinement (path.c; docs/SECURITY.md) ----------------------------------- */
/* 1 when p is absolute with no empty, "." or ".." component. */
int al_path_is_clean_abs(const char *p);
/* 1 when path is clean, absolute and strictly inside dir (text only, no file system). */
int al_path_lexically_inside(const char *path, const char *dir);
/* 1 when path, symlinks resolved, lies in root or below it (root resolved too). path
 * need not exist: its nearest existing ancestor is resolved, and a missing tail may
 * not contain "." or "..". 0 when root cannot be resolved. */
int al_path_resolved_under(const char *path, const char *root);
/* 1 when dir is (or resolves to) the file system root "/". */
int al_path_is_fs_root(const char *dir);

#endif
