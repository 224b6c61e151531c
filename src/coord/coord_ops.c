/* See coord_ops.h. */
#include "coord/coord_ops.h"

#include <stdlib.h>

#include "coord/coord_metrics.h"
#include "ops/ops_server.h"

struct coord_ops {
  coord_server *srv;
  ops_server *http;
  uv_timer_t watch;
  double started;
  double warn_s;
  double waiting_since; /* monotonic; 0 = no task waiting without a worker */
};

static void render(void *ud, al_buf *out) {
  coord_ops *ops = ud;
  coord_metrics_render(ops->srv, ops->started, out);
}

/* Healthy while serving; the endpoint says so and how many workers are alive. */
static int healthy(void *ud, al_buf *why) {
  (void)ud;
  (void)why;
  return 1;
}

/* Checks every second; warns when tasks have waited with no alive worker for
 * warn_s, then every warn_s while it lasts. */
static void on_watch(uv_timer_t *t) {
  coord_ops *ops = t->data;
  size_t waiting = coord_metrics_waiting_tasks(ops->srv);
  if (waiting == 0 || coord_metrics_alive_workers(ops->srv) > 0) {
    ops->waiting_since = 0;
    return;
  }
  double now = al_mono_s();
  if (ops->waiting_since == 0) {
    ops->waiting_since = now;
    return;
  }
  if (now - ops->waiting_since < ops->warn_s) return;
  al_warn("coordinator: %zu task(s) waiting and no alive worker for %.0fs: start workers with "
          "'auralith-pipeline worker --coordinator HOST:PORT' (grep the log for 'heartbeat' to see which joined "
          "or were lost)",
          waiting, now - ops->waiting_since);
  ops->waiting_since = now - 1e-3; /* next warning after another warn_s */
}

coord_ops *coord_ops_start(uv_loop_t *loop, coord_server *srv, const coord_ops_options *o, al_err *err) {
  coord_ops *ops = al_xcalloc(1, sizeof *ops);
  ops->srv = srv;
  ops->started = al_mono_s();
  ops->warn_s = o->no_worker_warn_s;
  if (o->metrics_port > 0) {
    ops_server_hooks h = {render, healthy, ops};
    ops->http = ops_server_start(loop, o->metrics_host ? o->metrics_host : "0.0.0.0", o->metrics_port, &h, err);
    if (!ops->http) {
      free(ops);
      return NULL;
    }
    al_info("coordinator: metrics on http://%s:%d/metrics", o->metrics_host ? o->metrics_host : "0.0.0.0",
            ops_server_port(ops->http));
  }
  uv_timer_init(loop, &ops->watch);
  ops->watch.data = ops;
  if (ops->warn_s > 0) {
    uint64_t period = ops->warn_s < 1 ? (uint64_t)(ops->warn_s * 1000) : 1000;
    uv_timer_start(&ops->watch, on_watch, period, period);
  }
  return ops;
}

int coord_ops_metrics_port(const coord_ops *ops) { return ops && ops->http ? ops_server_port(ops->http) : 0; }

static void on_watch_closed(uv_handle_t *h) { free(h->data); }

void coord_ops_stop(coord_ops *ops) {
  if (!ops) return;
  ops_server_stop(ops->http);
  ops->http = NULL;
  uv_close((uv_handle_t *)&ops->watch, on_watch_closed);
}
