/* auralith-pipeline status */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/opts.h"

static const cli_opt OPTS[] = {
    {"coordinator", 0, "HOST:PORT", "coordinator address", NULL, CLI_REQUIRED},
    {"json", 0, NULL, "print JSON", NULL, 0},
    {0}};

static const cli_cmd CMD = {"status", "Show the active workers of a running coordinator.",
                            "--coordinator HOST:PORT [--json]", OPTS, NULL};

int cmd_status(int argc, char **argv) {
  cli_values v;
  int rc = cli_parse(&CMD, argc, argv, &v);
  cli_values_free(&v);
  if (rc != CLI_OK) return rc == CLI_HELP ? 0 : 2;
  fprintf(stderr, "auralith-pipeline status: the admin client is not available in this build yet\n");
  return 1;
}
