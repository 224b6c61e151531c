/* auralith-pipeline coordinator: the TCP server that owns all job state. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "app/app.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "coord/coord_ops.h"

static const cli_opt OPTS[] = {
    {"config", 'c', "PATH", "YAML config file", NULL, CLI_REQUIRED},
    {"host", 0, "HOST", "address to listen on (IPv4 or IPv6; overrides coordinator.host)", "0.0.0.0", 0},
    {"port", 0, "PORT", "TCP port to listen on (overrides coordinator.port)", "8080", 0},
    {"strategy", 0, "NAME", "round_robin | least_busy | dynamic (overrides coordinator.strategy)", NULL, 0},
    {"print-config", 0, NULL, "print the effective configuration as YAML and exit", NULL, 0},
    {"metrics-port", 0, "PORT",
     "serve GET /metrics (Prometheus) and /healthz on this port, on the --host address (default: "
     "job.monitoring_port when the config sets it, else none)",
     NULL, 0},
    {"no-worker-warning", 0, "SECONDS", "warn this often while tasks wait and no worker is alive (0: never)", "30",
     0},
    {0}};

static const cli_cmd CMD = {
    "coordinator", "Start a coordinator node: a TCP server that owns all job state.", "-c CONFIG [OPTIONS]", OPTS,
    "State lives in Redis when coordinator.state_store_type is redis (durable; a restarted\n"
    "coordinator resumes unfinished jobs) and in memory when it is memory.\n"
    "SIGINT/SIGTERM: stop accepting, tell workers to drain, flush state, exit 0."};

typedef struct coord_main {
  uv_signal_t sigint, sigterm;
  coord_server *srv;
  coord_ops *ops;
  store **st; /* destroyed once the server has flushed it and stopped */
  int stopping;
} coord_main;

static void on_server_stopped(void *ud) {
  coord_main *m = ud;
  if (*m->st) store_destroy(*m->st); /* its connection would keep the loop alive */
  *m->st = NULL;
  uv_close((uv_handle_t *)&m->sigint, NULL);
  uv_close((uv_handle_t *)&m->sigterm, NULL);
}

static void on_signal(uv_signal_t *s, int signum) {
  coord_main *m = s->data;
  (void)signum;
  if (m->stopping) {
    /* A second signal: the stop is waiting for the state store to confirm the last
     * writes (Redis unreachable). Give up on them so that the process can exit; the
     * store logs how many were not confirmed. */
    if (*m->st) {
      al_error("coordinator: second signal while waiting for the state store; exiting without its confirmation");
      store *st = *m->st;
      *m->st = NULL;
      store_destroy(st);
    }
    return;
  }
  m->stopping = 1;
  coord_ops_stop(m->ops);
  m->ops = NULL;
  printf("Shutting down coordinator...\n");
  fflush(stdout);
  coord_server_stop(m->srv, on_server_stopped, m);
}

static int is_loopback(const char *host) {
  return !strcmp(host, "127.0.0.1") || !strcmp(host, "::1") || !strcmp(host, "localhost") ||
         !strncmp(host, "127.", 4);
}

int cmd_coordinator(int argc, char **argv) {
  cli_values v;
  cfg_config cfg;
  int code = cli_parse_with_config(&CMD, argc, argv, &v, &cfg);
  if (code >= 0) return code;
  al_err err;
  /* The original's CLI defaults (0.0.0.0:8080) override the YAML host/port too. */
  if (cfg_set(&cfg, "coordinator.host", cli_get(&v, "host"), &err) != 0 ||
      cfg_set(&cfg, "coordinator.port", cli_get(&v, "port"), &err) != 0 ||
      (cli_given(&v, "strategy") && cfg_set(&cfg, "coordinator.strategy", cli_get(&v, "strategy"), &err) != 0)) {
    cli_usage_error(&CMD, "%s", err.msg);
    cfg_free(&cfg);
    cli_values_free(&v);
    return 2;
  }
  int64_t metrics_port = cfg_is_set(&cfg, "job.monitoring_port") ? cfg.job.monitoring_port : 0;
  double no_worker_s = 30;
  if ((cli_given(&v, "metrics-port") && !cli_get_int(&v, "metrics-port", 0, 65535, &metrics_port)) ||
      !cli_get_double(&v, "no-worker-warning", 0, 1e9, &no_worker_s)) {
    cfg_free(&cfg);
    cli_values_free(&v);
    return 2;
  }
  if (cli_flag(&v, "print-config")) {
    cfg_print_yaml_opts(&cfg, stdout, true);
    cfg_free(&cfg);
    cli_values_free(&v);
    return 0;
  }
  const cfg_coordinator *c = &cfg.coordinator;
  cli_title("Starting Auralith Coordinator Node");
  printf("Coordinator: %s:%lld\n", c->host, (long long)c->port);
  if (c->state_store_type == CFG_STORE_REDIS)
    printf("State Store: redis at %s:%lld\n", c->state_store_host, (long long)c->state_store_port);
  else
    printf("State Store: memory\n");
  printf("Strategy:    %s\n", cfg_strategy_name(c->strategy));
  fflush(stdout);
  if (!c->auth_token && !is_loopback(c->host))
    al_warn("coordinator listens on %s without an auth token: anyone who can reach this port can submit "
            "jobs and make workers write files. Set coordinator.auth_token or %s.",
            c->host, CFG_ENV_AUTH_TOKEN);

  uv_loop_t loop;
  uv_loop_init(&loop);
  signal(SIGPIPE, SIG_IGN);
  coord_options co;
  app_coord_options(&cfg, &co);
  int status = 1;
  store *st = NULL;
  if (app_open_store(&loop, &cfg, &st, &err) != 0) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    goto out;
  }
  co.st = st;
  /* With state_store_type: memory the state dies with the process and every query is
   * answered from the job manager, so mirroring records into a store nobody reads is
   * pure cost (about 40% of the coordinator's CPU per task). Redis gets every record. */
  co.no_persist = st == NULL;
  coord_main m = {0};
  m.st = &st;
  m.srv = coord_server_new(&loop, &co, &err);
  /* recovery before listening: no worker may join while jobs are being reloaded */
  if (m.srv && app_recover(&loop, m.srv, st, &err) != 0) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    coord_server_stop(m.srv, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    coord_server_free(m.srv);
    goto out;
  }
  if (!m.srv || coord_server_listen(m.srv, &err) != 0) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    if (m.srv) {
      coord_server_stop(m.srv, NULL, NULL);
      uv_run(&loop, UV_RUN_DEFAULT);
      coord_server_free(m.srv);
    }
    goto out;
  }
  coord_ops_options oo = {.metrics_host = c->host, .metrics_port = (int)metrics_port, .no_worker_warn_s = no_worker_s};
  m.ops = coord_ops_start(&loop, m.srv, &oo, &err);
  if (!m.ops) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    coord_server_stop(m.srv, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    coord_server_free(m.srv);
    goto out;
  }
  uv_signal_init(&loop, &m.sigint);
  uv_signal_init(&loop, &m.sigterm);
  m.sigint.data = m.sigterm.data = &m;
  uv_signal_start(&m.sigint, on_signal, SIGINT);
  uv_signal_start(&m.sigterm, on_signal, SIGTERM);
  printf("Listening on %s:%d\n[OK] Coordinator started successfully\nPress Ctrl+C to stop...\n", c->host,
         coord_server_port(m.srv));
  fflush(stdout);
  uv_run(&loop, UV_RUN_DEFAULT);
  coord_server_free(m.srv);
  printf("[OK] Coordinator stopped\n");
  status = 0;
out:
  if (st) store_destroy(st);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0) al_warn("coordinator: loop closed with handles still open");
  cfg_free(&cfg);
  cli_values_free(&v);
  return status;
}
