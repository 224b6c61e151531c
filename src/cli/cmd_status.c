/* auralith-pipeline status: the workers of a running coordinator, in the original's
 * format (title, "Active Workers: n", one "  • id: CPU=x% Memory=y%" line each) with
 * slots, running and queued tasks and state appended, or JSON with --json.
 * Unlike the original, an unreachable coordinator is an error: one "[ERROR] ..." line
 * on stderr and exit 1. */
#include <stdio.h>

#include "auralith/client.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "client/render.h"

static const cli_opt OPTS[] = {
    {"coordinator", 0, "HOST:PORT", "coordinator address ([IPv6]:PORT for IPv6)", NULL, CLI_REQUIRED},
    {"json", 0, NULL, "print JSON", NULL, 0},
    {"timeout", 0, "SECONDS", "give up when the coordinator does not answer", "10", 0},
    {0}};

static const cli_cmd CMD = {"status", "Show the active workers of a running coordinator.",
                            "--coordinator HOST:PORT [--json]", OPTS,
                            "The auth token, when the coordinator needs one, comes from $AURALITH_AUTH_TOKEN.\n"
                            "Exit codes: 0 success, 1 coordinator unreachable or error, 2 usage error."};

int cmd_status(int argc, char **argv) {
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
  bool json = cli_flag(&v, "json");
  al_err err;
  alc_client *c = alc_connect(addr, ALC_ROLE_ADMIN, NULL, timeout, &err);
  alc_worker_list ws = {0};
  if (!c || alc_list_workers(c, &ws, &err) != 0) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    alc_close(c);
    cli_values_free(&v);
    return 1;
  }
  if (json)
    alc_json_print(stdout, alc_status_json(addr, &ws));
  else
    alc_render_status_text(stdout, addr, &ws);
  alc_worker_list_free(&ws);
  alc_close(c);
  cli_values_free(&v);
  return 0;
}
