/* Declarative option parsing (see opts.h). Accepts --name VALUE, --name=VALUE, -x VALUE,
 * -xVALUE, flags, "--" to end options, and positionals in any position. */
#include "cli/opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/al.h"

static int opt_count(const cli_cmd *cmd) {
  int n = 0;
  while (cmd->opts && cmd->opts[n].name) n++;
  return n;
}

static int find_long(const cli_cmd *cmd, const char *name, size_t len) {
  for (int i = 0; cmd->opts && cmd->opts[i].name; i++)
    if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, name, len) == 0) return i;
  return -1;
}

static int find_short(const cli_cmd *cmd, char c) {
  for (int i = 0; cmd->opts && cmd->opts[i].name; i++)
    if (cmd->opts[i].short_name == c) return i;
  return -1;
}

int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "auralith-pipeline %s: %s\n", cmd->name, msg);
  fprintf(stderr, "Try 'auralith-pipeline %s --help' for the options.\n", cmd->name);
  return CLI_USAGE;
}

void cli_print_help(const cli_cmd *cmd) {
  printf("Usage: auralith-pipeline %s %s\n\n%s\n\nOptions:\n", cmd->name,
         cmd->usage ? cmd->usage : "[OPTIONS]", cmd->summary);
  for (int i = 0; cmd->opts && cmd->opts[i].name; i++) {
    const cli_opt *o = &cmd->opts[i];
    char left[96];
    if (o->short_name)
      snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->metavar ? " " : "",
               o->metavar ? o->metavar : "");
    else
      snprintf(left, sizeof left, "    --%s%s%s", o->name, o->metavar ? " " : "",
               o->metavar ? o->metavar : "");
    printf("  %-34s %s", left, o->help);
    if (o->flags & CLI_REQUIRED) printf(" [required]");
    if (o->default_text) printf(" [default: %s]", o->default_text);
    printf("\n");
  }
  printf("  %-34s %s\n", "-v, --verbose", "debug logging");
  printf("  %-34s %s\n", "-q, --quiet", "log warnings and errors only");
  printf("  %-34s %s\n", "    --log-format text|json", "log line format on stderr [default: text]");
  printf("  %-34s %s\n", "-h, --help", "show this help and exit");
  if (cmd->epilog) printf("\n%s\n", cmd->epilog);
}

static int set_value(const cli_cmd *cmd, cli_values *v, int idx, const char *val) {
  const cli_opt *o = &cmd->opts[idx];
  if (v->given[idx] && !(o->flags & CLI_REPEAT))
    return cli_usage_error(cmd, "option --%s given more than once", o->name);
  v->given[idx] = true;
  v->value[idx] = val;
  return CLI_OK;
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_values *out) {
  memset(out, 0, sizeof *out);
  out->cmd = cmd;
  if (opt_count(cmd) > CLI_MAX_OPTS) return cli_usage_error(cmd, "internal: too many options");
  out->positional = al_xcalloc((size_t)argc + 1, sizeof(char *));
  bool only_positional = false;
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (only_positional || a[0] != '-' || strcmp(a, "-") == 0) {
      if (out->npositional >= CLI_MAX_POSITIONAL) return cli_usage_error(cmd, "too many arguments");
      out->positional[out->npositional++] = a;
      continue;
    }
    if (strcmp(a, "--") == 0) {
      only_positional = true;
      continue;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      cli_print_help(cmd);
      return CLI_HELP;
    }
    if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      al_log_set_level(AL_LOG_DEBUG);
      continue;
    }
    if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      al_log_set_level(AL_LOG_WARN);
      continue;
    }
    if (strncmp(a, "--log-format", 12) == 0 && (a[12] == '\0' || a[12] == '=')) {
      const char *f = a[12] == '=' ? a + 13 : (i + 1 < argc ? argv[++i] : NULL);
      if (cli_set_log_format(f) != 0)
        return cli_usage_error(cmd, "option --log-format: expected text or json, got '%s'", f ? f : "");
      continue;
    }
    int idx;
    const char *inline_val = NULL;
    if (a[1] == '-') {
      const char *name = a + 2;
      const char *eq = strchr(name, '=');
      size_t len = eq ? (size_t)(eq - name) : strlen(name);
      idx = find_long(cmd, name, len);
      if (idx < 0) return cli_usage_error(cmd, "unknown option '--%.*s'", (int)len, name);
      if (eq) inline_val = eq + 1;
    } else {
      idx = find_short(cmd, a[1]);
      if (idx < 0) return cli_usage_error(cmd, "unknown option '-%c'", a[1]);
      if (a[2]) inline_val = a + 2;
    }
    const cli_opt *o = &cmd->opts[idx];
    int rc;
    if (!o->metavar) {
      if (inline_val) return cli_usage_error(cmd, "option --%s takes no value", o->name);
      rc = set_value(cmd, out, idx, "1");
    } else if (inline_val) {
      rc = set_value(cmd, out, idx, inline_val);
    } else {
      if (i + 1 >= argc) return cli_usage_error(cmd, "option --%s needs a value (%s)", o->name, o->metavar);
      rc = set_value(cmd, out, idx, argv[++i]);
    }
    if (rc != CLI_OK) return rc;
  }
  for (int i = 0; cmd->opts && cmd->opts[i].name; i++) {
    if ((cmd->opts[i].flags & CLI_REQUIRED) && !out->given[i])
      return cli_usage_error(cmd, "missing required option --%s", cmd->opts[i].name);
  }
  return CLI_OK;
}

int cli_set_log_format(const char *f) {
  if (f && strcmp(f, "text") == 0) al_log_set_format(AL_LOG_TEXT);
  else if (f && strcmp(f, "json") == 0) al_log_set_format(AL_LOG_JSON);
  else return -1;
  return 0;
}

void cli_values_free(cli_values *v) {
  free(v->positional);
  v->positional = NULL;
}

const char *cli_get(const cli_values *v, const char *name) {
  int idx = find_long(v->cmd, name, strlen(name));
  if (idx < 0) return NULL;
  return v->given[idx] ? v->value[idx] : v->cmd->opts[idx].default_text;
}

bool cli_given(const cli_values *v, const char *name) {
  int idx = find_long(v->cmd, name, strlen(name));
  return idx >= 0 && v->given[idx];
}

bool cli_flag(const cli_values *v, const char *name) { return cli_given(v, name); }

bool cli_get_int(const cli_values *v, const char *name, int64_t min, int64_t max, int64_t *out) {
  const char *s = cli_get(v, name);
  if (!s) return true;
  char *end;
  errno = 0;
  long long x = strtoll(s, &end, 10);
  if (errno || end == s || *end || x < min || x > max) {
    cli_usage_error(v->cmd, "option --%s: expected an integer in [%lld, %lld], got '%s'", name,
                    (long long)min, (long long)max, s);
    return false;
  }
  *out = x;
  return true;
}

bool cli_get_double(const cli_values *v, const char *name, double min, double max, double *out) {
  const char *s = cli_get(v, name);
  if (!s) return true;
  char *end;
  errno = 0;
  double x = strtod(s, &end);
  if (errno || end == s || *end || !(x >= min && x <= max)) {
    cli_usage_error(v->cmd, "option --%s: expected a number in [%g, %g], got '%s'", name, min, max, s);
    return false;
  }
  *out = x;
  return true;
}
