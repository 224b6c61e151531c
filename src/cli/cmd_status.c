/* auralith-pipeline status: the workers of a running coordinator, in the original's
 * format (title, "Active Workers: n", one "  • id: CPU=x% Memory=y%" line each) with
 * slots, running and queued tasks and state appended, or JSON with --json.
 * Unlike the original, an unreachable coordinator is an error: one "[ERROR] ..." line
 * on stderr and exit 1. */
#include <stdio.h>

#include "auralith/client.h"
#include "cli/commands.h"
#include "cli/cli_common.h"
#include "cli/opts.h"
#include "cli/cli_render.h"

static const cli_opt OPTS[] = {
    {"coordinator", 0, "HOST:PORT", "coordinator address ([IPv6]:PORT for IPv6)", NULL, CLI_REQUIRED},
    {"json", 0, NULL, "print JSON", NULL, 0},
    {"timeout", 0, "SECONDS", "give up when the coordinator does not answer", "10", 0},
    {0}};

static const cli_cmd CMD = {"status", "Show the active workers of a running coordinator.",
                            "--coordinator HOST:PORT [--json]", OPTS,
                            "The auth token, when the coordinator needs one, comes from $AURALITH_AUTH_TOKEN.\n"
                            "TLS is on when $AURALITH_TLS_CA names the CA of the coordinator's certificate\n"
                            "($AURALITH_TLS_SERVER_NAME, $AURALITH_TLS_CERT, $AURALITH_TLS_KEY optional).\n"
                            "Exit codes: 0 success, 1 coordinator unreachable or error, 2 usage error."};

int cmd_status(int argc, char **argv) {
  cli_values v;
  int code;
  al_client *c = cli_admin_open(&CMD, argc, argv, &v, &code);
  if (!c) return code;
  const char *addr = cli_get(&v, "coordinator");
  al_err err;
  al_worker_list ws = {0};
  code = 0;
  if (al_list_workers(c, &ws, &err) != 0) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    code = 1;
  } else if (cli_flag(&v, "json")) {
    cli_json_print(stdout, cli_status_json(addr, &ws));
  } else {
    cli_render_status_text(stdout, addr, &ws);
  }
  al_worker_list_free(&ws);
  al_close(c);
  cli_values_free(&v);
  return code;
}
