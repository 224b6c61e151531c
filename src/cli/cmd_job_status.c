/* auralith-pipeline job-status: one job's status, created time, progress, throughput
 * (percent complete, as the original computes it) and errors, in the original's format
 * with our fields appended, or JSON with --json. Errors (coordinator unreachable, job
 * not found) are one "[ERROR] ..." line on stderr and exit 1. */
#include <stdio.h>

#include "auralith/client.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "client/render.h"

static const cli_opt OPTS[] = {
    {"coordinator", 0, "HOST:PORT", "coordinator address ([IPv6]:PORT for IPv6)", NULL, CLI_REQUIRED},
    {"job-id", 0, "ID", "job id", NULL, CLI_REQUIRED},
    {"json", 0, NULL, "print JSON", NULL, 0},
    {"timeout", 0, "SECONDS", "give up when the coordinator does not answer", "10", 0},
    {0}};

static const cli_cmd CMD = {"job-status", "Show the status, progress and errors of one job.",
                            "--coordinator HOST:PORT --job-id ID [--json]", OPTS,
                            "The auth token, when the coordinator needs one, comes from $AURALITH_AUTH_TOKEN.\n"
                            "Exit codes: 0 success, 1 coordinator unreachable, job not found or other error,\n"
                            "2 usage error."};

int cmd_job_status(int argc, char **argv) {
  cli_values v;
  int rc = cli_parse(&CMD, argc, argv, &v);
  if (rc != CLI_OK) {
    cli_values_free(&v);
    return rc == CLI_HELP ? 0 : 2;
  }
  double timeout = 10;
  if (!cli_get_double(&v, "timeout", 0.001, 86400, &timeout)) {
    cli_values_free(&v);
    return 2;
  }
  const char *addr = cli_get(&v, "coordinator");
  const char *id = cli_get(&v, "job-id");
  bool json = cli_flag(&v, "json");
  al_err err;
  alc_client *c = alc_connect(addr, ALC_ROLE_ADMIN, NULL, timeout, &err);
  alc_job j = {0};
  if (!c || alc_job_status(c, id, &j, &err) != 0) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    alc_close(c);
    cli_values_free(&v);
    return 1;
  }
  if (json) {
    alc_json_print(stdout, alc_job_json(&j));
  } else {
    printf("Checking status for job: %s\n", id);
    alc_render_job_text(stdout, &j);
  }
  alc_job_free(&j);
  alc_close(c);
  cli_values_free(&v);
  return 0;
}
