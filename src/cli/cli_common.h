/* Helpers shared by the subcommands. */
#ifndef AL_CLI_COMMON_H
#define AL_CLI_COMMON_H

#include "cli/opts.h"
#include "config/config.h"

/* Loads the config file and applies the environment (AURALITH_AUTH_TOKEN). On error
 * prints "[ERROR] <message naming file:line:column and key>" to stderr and returns -1
 * (*cfg then owns nothing). */
int cli_load_config(const cli_cmd *cmd, const char *path, cfg_config *cfg);
/* Parses argv and loads the config named by --config. Returns -1 when the command goes
 * on (the caller then owns *v and *cfg), or the exit code to return: 0 after --help,
 * 2 on a usage error, 1 when the config cannot be loaded (nothing left to free). */
int cli_parse_with_config(const cli_cmd *cmd, int argc, char **argv, cli_values *v, cfg_config *cfg);

struct al_client;
/* For the admin commands (status, job-status): parses argv (the command's options must
 * include --coordinator and --timeout) and connects as an admin. Returns the client
 * (caller closes it and frees *v), or NULL with *exit_code set: 0 after --help, 2 on a
 * usage error, 1 when the coordinator cannot be reached (one [ERROR] line printed). */
struct al_client *cli_admin_open(const cli_cmd *cmd, int argc, char **argv, cli_values *v, int *exit_code);

/* The original's section title: a line of 60 '=', the title, another line of 60 '='. */
void cli_title(const char *title);

#endif
