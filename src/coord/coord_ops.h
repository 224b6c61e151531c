/* What an operator of a coordinator sees besides the protocol: the /metrics and
 * /healthz endpoint (src/ops) fed by coord_metrics, and a warning every
 * no_worker_warn_s seconds while tasks wait and no worker is alive. Runs on the
 * coordinator's loop. Prefix: coord_ops_. */
#ifndef AL_COORD_OPS_H
#define AL_COORD_OPS_H

#include <uv.h>

#include "common/al.h"
#include "coord/coord_server.h"

typedef struct coord_ops_options {
  const char *metrics_host; /* NULL: "0.0.0.0" */
  int metrics_port;         /* 0: no endpoint */
  double no_worker_warn_s;  /* <= 0: no warning */
} coord_ops_options;

typedef struct coord_ops coord_ops;

/* Starts the endpoint and the warning timer for srv (which must outlive the result
 * until coord_ops_stop). NULL with err when the endpoint cannot listen. */
coord_ops *coord_ops_start(uv_loop_t *loop, coord_server *srv, const coord_ops_options *o, al_err *err);
/* The endpoint's bound port (0 without an endpoint). */
int coord_ops_metrics_port(const coord_ops *ops);
/* Stops both; frees itself in its close callbacks. NULL is ignored. */
void coord_ops_stop(coord_ops *ops);

#endif
