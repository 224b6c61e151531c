/* Helpers shared by the subcommands. */
#include "cli/cli_common.h"

#include <stdio.h>
#include <string.h>

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
