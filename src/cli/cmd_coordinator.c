/* auralith-pipeline coordinator: the TCP server that owns all job state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "coord/coord_ops.h"

static const cli_opt OPTS[] = {
    {"config", 'c', "PATH", "YAML config file", NULL, CLI_REQUIRED},
    {"host", 0, "HOST", "address to listen on (IPv4 or IPv6) [default: coordinator.host]", NULL, 0},
    {"port", 0, "PORT", "TCP port to listen on [default: coordinator.port]", NULL, 0},
    {"strategy", 0, "NAME", "round_robin | least_busy | dynamic (overrides coordinator.strategy)", NULL, 0},
    {"print-config", 0, NULL, "print the effective configuration as YAML and exit", NULL, 0},
    {"metrics-port", 0, "PORT",
     "serve GET /metrics (Prometheus) and /healthz on this port, on the --host address (default: "
     "job.monitoring_port when the config sets it, else none)",
     NULL, 0},
    {"standby", 0, NULL,
     "with a Redis state store held by another coordinator: wait, and take over (recovering its jobs) when "
     "it stops or its lease (coordinator.lease_ttl) expires; without it this coordinator refuses to start",
     NULL, 0},
    {"no-worker-warning", 0, "SECONDS", "warn this often while tasks wait and no worker is alive (0: never)", "30",
     0},
    {0}};

static const cli_cmd CMD = {
    "coordinator", "Start a coordinator node: a TCP server that owns all job state.", "-c CONFIG [OPTIONS]", OPTS,
    "State lives in Redis when coordinator.state_store_type is redis (durable; a restarted\n"
    "coordinator resumes unfinished jobs) and in memory when it is memory.\n"
    "One coordinator per Redis keyspace: it holds a lease key there and fences every write\n"
    "with it; a coordinator that loses the lease (paused past coordinator.lease_ttl while a\n"
    "standby took over) exits at once with status 3.\n"
    "SIGINT/SIGTERM: stop accepting, flush state, release the lease, exit 0 (workers stay and\n"
    "reconnect to the next coordinator)."};

static void on_listening(int port, void *ud) {
  const cfg_coordinator *c = ud;
  printf("Listening on %s:%d\n[OK] Coordinator started successfully\nPress Ctrl+C to stop...\n", c->host, port);
  fflush(stdout);
}

static void on_stopping(void *ud) {
  (void)ud;
  printf("Shutting down coordinator...\n");
  fflush(stdout);
}

int cmd_coordinator(int argc, char **argv) {
  cli_values v;
  cfg_config cfg;
  int code = cli_parse_with_config(&CMD, argc, argv, &v, &cfg);
  if (code >= 0) return code;
  al_err err;
  /* Flags override the file only when given: the file's host/port are the defaults. */
  if ((cli_given(&v, "host") && cfg_set(&cfg, "coordinator.host", cli_get(&v, "host"), &err) != 0) ||
      (cli_given(&v, "port") && cfg_set(&cfg, "coordinator.port", cli_get(&v, "port"), &err) != 0) ||
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
  if (c->tls_cert)
    printf("TLS:         on (%s%s)\n", c->tls_cert, c->tls_require_client_cert ? ", client certificates required" : "");
  fflush(stdout);

  coord_ops_options oo = {.metrics_host = c->host, .metrics_port = (int)metrics_port, .no_worker_warn_s = no_worker_s};
  app_coord_opts ao = {.ops = &oo, .standby = cli_flag(&v, "standby")};
  app_coord_run_hooks hooks = {on_listening, on_stopping, (void *)c};
  int status = app_coord_run(&cfg, &ao, &hooks);
  if (status == 0) printf("[OK] Coordinator stopped\n");
  cfg_free(&cfg);
  cli_values_free(&v);
  return status;
}
