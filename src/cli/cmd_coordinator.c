/* auralith-pipeline coordinator */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/opts.h"

static const cli_opt OPTS[] = {
    {"config", 'c', "PATH", "YAML config file", NULL, CLI_REQUIRED},
    {"host", 0, "HOST", "address to listen on (IPv4 or IPv6)", "0.0.0.0", 0},
    {"port", 0, "PORT", "TCP port to listen on", "8080", 0},
    {"strategy", 0, "NAME", "round_robin | least_busy | dynamic (overrides the config)", NULL, 0},
    {"print-config", 0, NULL, "print the effective configuration as YAML and exit", NULL, 0},
    {0}};

static const cli_cmd CMD = {"coordinator", "Start a coordinator node: a TCP server that owns all job state.",
                            "-c CONFIG [OPTIONS]", OPTS, NULL};

int cmd_coordinator(int argc, char **argv) {
  cli_values v;
  int rc = cli_parse(&CMD, argc, argv, &v);
  cli_values_free(&v);
  if (rc != CLI_OK) return rc == CLI_HELP ? 0 : 2;
  fprintf(stderr, "auralith-pipeline coordinator: the coordinator server is not available in this build yet\n");
  return 1;
}
