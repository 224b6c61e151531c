/* alctl internals shared by its files. */
#ifndef AL_ALCTL_H
#define AL_ALCTL_H

#include <stdbool.h>

#include "auralith/client.h"

typedef struct alctl_ctx {
  const char *address;   /* NULL: $AURALITH_COORDINATOR or the default */
  bool json;
  double timeout_s;
  double interval_s;     /* top: seconds between redraws */
  long iterations;       /* top: redraws before exiting; -1 = until Ctrl-C */
  long limit;            /* jobs: page size; 0 = the server's page (1000) */
  const char *after;     /* jobs: continue before this job id; NULL = newest */
  al_client *client;    /* connected by the command; closed by main */
} alctl_ctx;

/* Prints "alctl: <message>" on stderr and returns 1 (the exit code for errors). */
int alctl_fail(const al_err *err);

/* The live view; returns the exit code. */
int alctl_top(alctl_ctx *ctx);

#endif
