/* auralith-pipeline worker */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/opts.h"

static const cli_opt OPTS[] = {
    {"config", 'c', "PATH", "YAML config file", NULL, CLI_REQUIRED},
    {"coordinator", 0, "HOST:PORT", "coordinator address ([v6addr]:port for IPv6)", NULL, CLI_REQUIRED},
    {"worker-id", 0, "ID", "unique id of this worker", NULL, CLI_REQUIRED},
    {"threads", 0, "N", "tokenizer threads (task slots); default: num_processes of the first pool", NULL, 0},
    {"state-store", 0, "redis|memory", "accepted for compatibility; workers talk only to the coordinator", "redis", 0},
    {"print-config", 0, NULL, "print the effective configuration as YAML and exit", NULL, 0},
    {0}};

static const cli_cmd CMD = {"worker", "Start a worker node that connects to a coordinator and runs tasks.",
                            "-c CONFIG --coordinator HOST:PORT --worker-id ID [OPTIONS]", OPTS, NULL};

int cmd_worker(int argc, char **argv) {
  cli_values v;
  int rc = cli_parse(&CMD, argc, argv, &v);
  cli_values_free(&v);
  if (rc != CLI_OK) return rc == CLI_HELP ? 0 : 2;
  fprintf(stderr, "auralith-pipeline worker: the worker runtime is not available in this build yet\n");
  return 1;
}
