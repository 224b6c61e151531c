/* Helpers shared by the subcommands. */
#ifndef AL_CLI_COMMON_H
#define AL_CLI_COMMON_H

#include "cli/opts.h"
#include "config/config.h"

/* Loads the config file and applies the environment (AURALITH_AUTH_TOKEN). On error
 * prints "[ERROR] <message naming file:line:column and key>" to stderr and returns -1
 * (*cfg then owns nothing). */
int cli_load_config(const cli_cmd *cmd, const char *path, cfg_config *cfg);
/* The original's section title: a line of 60 '=', the title, another line of 60 '='. */
void cli_title(const char *title);

#endif
