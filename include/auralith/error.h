/* Auralith error reports and log level: the part of the library's common layer that the
 * public headers use. Every public function that can fail fills an al_err.
 *
 *   al_err err;
 *   if (al_...(..., &err) != 0) fprintf(stderr, "%s\n", err.msg);
 *
 * The message is one line fit for a user and names what failed (file, line, key, field,
 * frame, address); the code says what kind of failure it was, one al_err_code for the
 * whole library: each number means one thing whichever module sets it. Prefix: al_. */
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

/* The codes of al_err.code. Numbers are stable (append, never renumber).
 *   1-99    the coordinator's codes, the same numbers as its error frames (docs/PROTOCOL.md)
 *   100-109 the connection and the caller (client)
 *   110-119 the configuration file
 *   120-    local failures of the other modules */
typedef enum al_err_code {
  AL_OK = 0,
  AL_E_BAD_FRAME = 1,       /* a frame's length or msgpack is broken */
  AL_E_FRAME_TOO_LARGE = 2, /* a frame over the maximum */
  AL_E_UNKNOWN_TYPE = 3,    /* a message type nobody knows */
  AL_E_BAD_FIELD = 4,       /* a message field missing, mistyped or out of range */
  AL_E_AUTH = 5,            /* token missing or wrong */
  AL_E_VERSION = 6,         /* protocol version mismatch */
  AL_E_NOT_FOUND = 7,       /* the named job, task, worker or file does not exist */
  AL_E_BAD_STATE = 8,       /* not valid in the current state (cancelling a finished job) */
  AL_E_INTERNAL = 9,        /* the coordinator failed */
  AL_E_NOT_ALLOWED = 10,    /* not allowed for this role */
  AL_E_STALE = 11,          /* a result for an attempt that is no longer current */
  AL_E_ID_IN_USE = 12,      /* a worker id held by a live worker */
  AL_E_LIMIT = 13,          /* a configured limit was reached */
  AL_E_ADDRESS = 100,       /* address is not HOST:PORT or [IPv6]:PORT, or does not resolve */
  AL_E_CONNECT = 101,       /* coordinator unreachable (refused, no route, ...) */
  AL_E_TIMEOUT = 102,       /* no answer within the timeout */
  AL_E_CLOSED = 103,        /* the coordinator closed the connection */
  AL_E_PROTOCOL = 104,      /* the coordinator sent something this side cannot read */
  AL_E_ARG = 105,           /* a bad argument from the caller */
  AL_E_IO = 106,            /* a socket or file system call failed (message: path, errno text) */
  AL_E_NO_FILES = 107,      /* pipeline: the input directory holds no files */
  /* 108 is retired (was "config file missing or invalid": now 110-113) */
  AL_E_TLS = 109,           /* a certificate file, the TLS handshake or connection failed */
  AL_E_CONFIG_NOT_FOUND = 110, /* the config file does not exist */
  AL_E_CONFIG_IO = 111,     /* the config file cannot be read (or is too large) */
  AL_E_CONFIG_SYNTAX = 112, /* the config file is not well-formed YAML */
  AL_E_CONFIG_SCHEMA = 113, /* unknown or duplicate key, wrong type, value out of range */
  AL_E_FORMAT = 120,        /* a file's content is invalid (tokenizer, shard, JSON, regex) */
  AL_E_FAILED = 121         /* any other failure; the message says what failed and why */
} al_err_code;

/* Static name of a code ("BAD_FRAME", "CONFIG_NOT_FOUND", ...); "UNKNOWN" otherwise. */
const char *al_err_code_name(int code);

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
