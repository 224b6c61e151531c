/* auralith-pipeline job-status: one job's status, created time, progress, throughput
 * (percent complete, as the original computes it) and errors, in the original's format
 * with our fields appended, or JSON with --json. Errors (coordinator unreachable, job
 * not found) are one "[ERROR] ..." line on stderr and exit 1. */
#include <stdio.h>

#include "auralith/client.h"
#include "cli/commands.h"
#include "cli/cli_common.h"
#include "cli/opts.h"
#include "cli/cli_render.h"

static const cli_opt OPTS[] = {
    {"coordinator", 0, "HOST:PORT", "coordinator address ([IPv6]:PORT for IPv6)", NULL, CLI_REQUIRED},
    {"job-id", 0, "ID", "job id", NULL, CLI_REQUIRED},
    {"json", 0, NULL, "print JSON", NULL, 0},
    {"timeout", 0, "SECONDS", "give up when the coordinator does not answer", "10", 0},
    {0}};

static const cli_cmd CMD = {"job-status", "Show the status, progress and errors of one job.",
                            "--coordinator HOST:PORT --job-id ID [--json]", OPTS,
                            "The auth token, when the coordinator needs one, comes from $AURALITH_AUTH_TOKEN.\n"
                            "TLS is on when $AURALITH_TLS_CA names the CA of the coordinator's certificate\n"
                            "($AURALITH_TLS_SERVER_NAME, $AURALITH_TLS_CERT, $AURALITH_TLS_KEY optional).\n"
                            "Exit codes: 0 success, 1 coordinator unreachable, job not found or other error,\n"
                            "2 usage error."};

int cmd_job_status(int argc, char **argv) {
  cli_values v;
  int code;
  al_client *c = cli_admin_open(&CMD, argc, argv, &v, &code);
  if (!c) return code;
  const char *id = cli_get(&v, "job-id");
  al_err err;
  al_job j = {0};
  code = 0;
  if (al_job_status(c, id, &j, &err) != 0) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    code = 1;
  } else if (cli_flag(&v, "json")) {
    cli_json_print(stdout, cli_job_json(&j));
  } else {
    printf("Checking status for job: %s\n", id);
    cli_render_job_text(stdout, &j);
  }
  al_job_free(&j);
  al_close(c);
  cli_values_free(&v);
  return code;
}
