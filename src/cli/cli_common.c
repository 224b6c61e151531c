/* Helpers shared by the subcommands. */
#include "cli/cli_common.h"

#include <stdio.h>
#include <string.h>

#include "auralith/client.h"

int cli_load_config(const cli_cmd *cmd, const char *path, cfg_config *cfg) {
  al_err err;
  al_err_clear(&err);
  (void)cmd;
  if (cfg_load(path, cfg, &err) != 0) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    return -1;
  }
  cfg_apply_env(cfg);
  return 0;
}

void cli_title(const char *title) {
  char rule[61];
  memset(rule, '=', 60);
  rule[60] = '\0';
  printf("%s\n%s\n%s\n", rule, title, rule);
}

al_client *cli_admin_open(const cli_cmd *cmd, int argc, char **argv, cli_values *v, int *exit_code) {
  int rc = cli_parse(cmd, argc, argv, v);
  if (rc != CLI_OK) {
    cli_values_free(v);
    *exit_code = rc == CLI_HELP ? 0 : 2;
    return NULL;
  }
  double timeout = 10;
  if (!cli_get_double(v, "timeout", 0.001, 86400, &timeout)) {
    cli_values_free(v);
    *exit_code = 2;
    return NULL;
  }
  al_err err;
  al_client *c = al_connect(cli_get(v, "coordinator"), AL_ROLE_ADMIN, NULL, timeout, &err);
  if (!c) {
    fprintf(stderr, "[ERROR] %s\n", err.msg);
    cli_values_free(v);
    *exit_code = 1;
  }
  return c;
}

int cli_parse_with_config(const cli_cmd *cmd, int argc, char **argv, cli_values *v, cfg_config *cfg) {
  int rc = cli_parse(cmd, argc, argv, v);
  if (rc != CLI_OK) {
    cli_values_free(v);
    return rc == CLI_HELP ? 0 : 2;
  }
  if (cli_load_config(cmd, cli_get(v, "config"), cfg) != 0) {
    cli_values_free(v);
    return 1;
  }
  return -1;
}
