/* auralith-pipeline worker: connects to a coordinator and runs tasks on a thread pool. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app/app.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "ops/ops_server.h"
#include "worker/worker_metrics.h"

static const cli_opt OPTS[] = {
    {"config", 'c', "PATH", "YAML config file", NULL, CLI_REQUIRED},
    {"coordinator", 0, "HOST:PORT", "coordinator address ([v6addr]:port for IPv6)", NULL, CLI_REQUIRED},
    {"worker-id", 0, "ID", "unique id of this worker", NULL, CLI_REQUIRED},
    {"threads", 0, "N", "tokenizer threads (task slots); default: num_processes of the first pool", NULL, 0},
    {"state-store", 0, "redis|memory", "accepted for compatibility; workers talk only to the coordinator", "redis", 0},
    {"print-config", 0, NULL, "print the effective configuration as YAML and exit", NULL, 0},
    {"metrics-port", 0, "PORT",
     "serve this worker's GET /metrics (Prometheus) and /healthz (200 while connected to the coordinator) on "
     "this port (default: none)",
     NULL, 0},
    {"metrics-host", 0, "ADDR", "address the metrics port listens on (IPv4 or IPv6; 0.0.0.0 for every interface)",
     "127.0.0.1", 0},
    {0}};

static const cli_cmd CMD = {
    "worker", "Start a worker node that connects to a coordinator and runs tasks.",
    "-c CONFIG --coordinator HOST:PORT --worker-id ID [OPTIONS]", OPTS,
    "SIGTERM or Ctrl-C drains: no new tasks, the running ones finish and are reported,\n"
    "then the worker exits 0. A second Ctrl-C abandons the running tasks.\n"
    "A lost coordinator is retried with exponential backoff and jitter; running tasks\n"
    "keep going and are reported after the reconnect."};

typedef struct worker_main {
  uv_signal_t sigint, sigterm;
  worker *w;
  ops_server *metrics; /* NULL without --metrics-port, and once stopped */
  char worker_id[256];
  char coordinator[300];
  int sigints;
  int status;
} worker_main;

static void render_metrics(void *ud, al_buf *out) {
  worker_main *m = ud;
  worker_metrics_render(m->w, m->worker_id, m->coordinator, out);
}

static int metrics_healthy(void *ud, al_buf *why) {
  worker_main *m = ud;
  return worker_metrics_healthy(m->w, m->coordinator, why);
}

static void on_stopped(worker *w, int status, const char *msg, void *ud) {
  worker_main *m = ud;
  (void)w;
  m->status = status;
  if (status) fprintf(stderr, "[ERROR] %s\n", msg);
  ops_server_stop(m->metrics);
  m->metrics = NULL;
  uv_close((uv_handle_t *)&m->sigint, NULL);
  uv_close((uv_handle_t *)&m->sigterm, NULL);
}

static void on_signal(uv_signal_t *s, int signum) {
  worker_main *m = s->data;
  if (signum == SIGINT && ++m->sigints >= 2) {
    printf("Abandoning running tasks...\n");
    fflush(stdout);
    worker_abandon(m->w);
    return;
  }
  printf("Shutting down worker (draining; Ctrl-C again to abandon)...\n");
  fflush(stdout);
  worker_drain(m->w);
}

int cmd_worker(int argc, char **argv) {
  cli_values v;
  cfg_config cfg;
  int code = cli_parse_with_config(&CMD, argc, argv, &v, &cfg);
  if (code >= 0) return code;
  int64_t threads = 0, metrics_port = 0;
  if (!cli_get_int(&v, "threads", 1, 1024, &threads)) goto usage;
  if (cli_given(&v, "metrics-port") && !cli_get_int(&v, "metrics-port", 1, 65535, &metrics_port)) goto usage;
  const char *store_kind = cli_get(&v, "state-store");
  if (strcmp(store_kind, "redis") != 0 && strcmp(store_kind, "memory") != 0) {
    cli_usage_error(&CMD, "option --state-store: expected redis or memory, got '%s'", store_kind);
    goto usage;
  }
  if (cli_flag(&v, "print-config")) {
    cfg_print_yaml_opts(&cfg, stdout, true);
    cfg_free(&cfg);
    cli_values_free(&v);
    return 0;
  }
  char host[256];
  int port;
  al_err err;
  if (app_parse_hostport(cli_get(&v, "coordinator"), 0, host, sizeof host, &port, &err) != 0) {
    cli_usage_error(&CMD, "option --coordinator: %s", err.msg);
    goto usage;
  }
  worker_options wo;
  app_worker_options(&cfg, cli_get(&v, "worker-id"), host, port, (uint32_t)threads, &wo);

  cli_title("Starting Auralith Worker Node");
  printf("Worker ID:   %s\nCoordinator: %s:%d\nThreads:     %u\n", wo.worker_id, host, port, wo.slots);
  fflush(stdout);

  uv_loop_t loop;
  uv_loop_init(&loop);
  worker_tokcache *cache = worker_tokcache_new();
  worker_main m = {0};
  m.w = worker_new(&loop, &wo, cache, on_stopped, &m, &err);
  if (!m.w) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    worker_tokcache_free(cache);
    uv_loop_close(&loop);
    cfg_free(&cfg);
    cli_values_free(&v);
    return 1;
  }
  snprintf(m.worker_id, sizeof m.worker_id, "%s", wo.worker_id);
  snprintf(m.coordinator, sizeof m.coordinator, "%s", cli_get(&v, "coordinator"));
  uv_signal_init(&loop, &m.sigint);
  uv_signal_init(&loop, &m.sigterm);
  m.sigint.data = m.sigterm.data = &m;
  uv_signal_start(&m.sigint, on_signal, SIGINT);
  uv_signal_start(&m.sigterm, on_signal, SIGTERM);
  signal(SIGPIPE, SIG_IGN);
  int start_failed = 0;
  if (metrics_port > 0) {
    ops_server_hooks h = {render_metrics, metrics_healthy, &m};
    m.metrics = ops_server_start(&loop, cli_get(&v, "metrics-host"), (int)metrics_port, &h, &err);
    if (m.metrics)
      al_info("worker %s: metrics on http://%s:%d/metrics", wo.worker_id, cli_get(&v, "metrics-host"),
              ops_server_port(m.metrics));
    else /* asked for and not served: an operator would scrape nothing */
      start_failed = 1;
  }
  if (start_failed || worker_connect_tcp(m.w, &err) != 0) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    start_failed = 1;
    worker_abandon(m.w);
  } else {
    printf("[OK] Worker started successfully\n[OK] Heartbeat active\nWaiting for tasks... (Press Ctrl+C to stop)\n");
    fflush(stdout);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  worker_free(m.w);
  worker_tokcache_free(cache);
  uv_loop_close(&loop);
  if (m.status == 0 && !start_failed) printf("[OK] Worker stopped\n");
  cfg_free(&cfg);
  cli_values_free(&v);
  return m.status || start_failed ? 1 : 0;
usage:
  cfg_free(&cfg);
  cli_values_free(&v);
  return 2;
}
