/* Declarative option parsing shared by every subcommand. Each command describes its
 * options in a table; cli_parse prints --help (exit 0) or a usage error (exit 2) that
 * says what is wrong, so every command behaves the same way.
 *
 *   static const cli_opt OPTS[] = {
 *     {"config", 'c', "PATH", "YAML config file", NULL, CLI_REQUIRED},
 *     {"port", 0, "N", "TCP port", "8080", 0},
 *     {"json", 0, NULL, "print JSON", NULL, 0},          // flag: metavar NULL
 *     {0}};
 *   static const cli_cmd CMD = {"coordinator", "Start a coordinator node", "[OPTIONS]", OPTS};
 *   cli_values v;
 *   int rc = cli_parse(&CMD, argc, argv, &v);  // argv[0] is the command name
 *   if (rc != CLI_OK) return rc == CLI_HELP ? 0 : 2;
 *   const char *cfg = cli_get(&v, "config");
 *   ... cli_values_free(&v);
 */
#ifndef AL_CLI_OPTS_H
#define AL_CLI_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#define CLI_REQUIRED 1u   /* option must be given */
#define CLI_REPEAT 2u     /* option may repeat; cli_get returns the last value */
#define CLI_MAX_OPTS 48
#define CLI_MAX_POSITIONAL 4096

typedef struct cli_opt {
  const char *name;        /* long name without dashes; NULL ends the table */
  char short_name;         /* 0 if none */
  const char *metavar;     /* NULL: a flag taking no value */
  const char *help;
  const char *default_text;/* shown in --help and returned by cli_get when absent */
  unsigned flags;
} cli_opt;

typedef struct cli_cmd {
  const char *name;        /* e.g. "submit-job" */
  const char *summary;     /* one line */
  const char *usage;       /* text after the command name in the usage line */
  const cli_opt *opts;
  const char *epilog;      /* optional extra text at the end of --help */
} cli_cmd;

typedef struct cli_values {
  const cli_cmd *cmd;
  const char *value[CLI_MAX_OPTS]; /* borrowed from argv; NULL when absent */
  bool given[CLI_MAX_OPTS];
  int npositional;
  char **positional;       /* borrowed from argv */
} cli_values;

enum { CLI_OK = 0, CLI_HELP = 1, CLI_USAGE = 2 };

/* Sets the log format from "text" or "json"; -1 for anything else. */
int cli_set_log_format(const char *f);

/* Parses argv (argv[0] = command name). Handles --help/-h, -v/--verbose (log level
 * debug), -q/--quiet (warnings and errors only) and --log-format text|json for every
 * command. On a usage error prints
 * "auralith-pipeline <cmd>: <what is wrong>" and a hint to stderr and returns CLI_USAGE.
 * Values borrow argv memory; cli_values_free releases only the positional array. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_values *out);
void cli_values_free(cli_values *v);

/* Value of an option (or its default_text when absent, or NULL). */
const char *cli_get(const cli_values *v, const char *name);
bool cli_given(const cli_values *v, const char *name);
bool cli_flag(const cli_values *v, const char *name);
/* Parses an integer option within [min,max]; on failure prints a usage error naming the
 * option and returns false. Absent options yield their default (or *out untouched). */
bool cli_get_int(const cli_values *v, const char *name, int64_t min, int64_t max, int64_t *out);
bool cli_get_double(const cli_values *v, const char *name, double min, double max, double *out);
/* Prints a usage error for this command and returns CLI_USAGE (2). */
int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_print_help(const cli_cmd *cmd);

#endif
