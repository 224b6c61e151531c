/* alctl: administration client for a running Auralith coordinator.
 *
 *   alctl [--coordinator HOST:PORT] [--json] [--timeout S] COMMAND [ARGS]
 *
 * Every command is one request through the client library (include/auralith/client.h),
 * which speaks the wire protocol through src/proto. Results go to stdout; an error is
 * one line on stderr ("alctl: job not found: <id>") and exit 1; usage errors exit 2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alctl.h"
#include "cli/cli_render.h"
#include "common/al.h"

typedef struct alctl_cmd {
  const char *name;
  const char *args;     /* usage text after the name */
  const char *summary;
  int min_args, max_args;
  int (*run)(alctl_ctx *ctx, int argc, char **argv);
  const char *details;  /* extra --help text, may be NULL */
} alctl_cmd;

static int with_client(alctl_ctx *ctx) {
  al_err err;
  ctx->client = al_connect(ctx->address, AL_ROLE_ADMIN, NULL, ctx->timeout_s, &err);
  if (!ctx->client) return alctl_fail(&err);
  return 0;
}

int alctl_fail(const al_err *err) {
  fprintf(stderr, "alctl: %s\n", err->msg);
  return 1;
}

static int cmd_workers(alctl_ctx *ctx, int argc, char **argv) {
  al_err err;
  al_worker_list ws;
  if (with_client(ctx) != 0) return 1;
  if (al_list_workers(ctx->client, &ws, &err) != 0) return alctl_fail(&err);
  if (ctx->json)
    cli_json_print(stdout, cli_workers_json(&ws));
  else
    cli_render_workers_table(stdout, &ws);
  al_worker_list_free(&ws);
  return 0;
}

static int cmd_jobs(alctl_ctx *ctx, int argc, char **argv) {
  al_err err;
  al_job_list js;
  if (with_client(ctx) != 0) return 1;
  if (al_list_jobs_page(ctx->client, (uint32_t)ctx->limit, ctx->after, &js, &err) != 0) return alctl_fail(&err);
  if (ctx->json) {
    cli_json_print(stdout, cli_jobs_json(&js));
  } else {
    cli_render_jobs_table(stdout, &js);
    if (js.more && js.n > 0) printf("(older jobs: alctl jobs --after %s)\n", js.v[0].id);
  }
  al_job_list_free(&js);
  return 0;
}

static int cmd_job(alctl_ctx *ctx, int argc, char **argv) {
  al_err err;
  al_job j;
  if (with_client(ctx) != 0) return 1;
  if (al_job_status(ctx->client, argv[0], &j, &err) != 0) return alctl_fail(&err);
  if (ctx->json)
    cli_json_print(stdout, cli_job_json(&j));
  else
    cli_render_job_text(stdout, &j);
  al_job_free(&j);
  return 0;
}

static int cmd_task(alctl_ctx *ctx, int argc, char **argv) {
  al_err err;
  al_task t;
  if (with_client(ctx) != 0) return 1;
  if (al_get_task(ctx->client, argv[0], &t, &err) != 0) return alctl_fail(&err);
  if (ctx->json)
    cli_json_print(stdout, cli_task_json(&t));
  else
    cli_render_task_text(stdout, &t);
  al_task_free(&t);
  return 0;
}

/* A one-word confirmation: {"ok": true, <key>: <value>} with --json, else the text. */
static void confirm(alctl_ctx *ctx, const char *key, const char *value, const char *text) {
  if (ctx->json) {
    json_t *o = json_object();
    json_object_set_new(o, "ok", json_true());
    json_object_set_new(o, key, json_string(value));
    cli_json_print(stdout, o);
  } else {
    printf("%s\n", text);
  }
}

static int cmd_cancel(alctl_ctx *ctx, int argc, char **argv) {
  al_err err;
  if (with_client(ctx) != 0) return 1;
  if (al_cancel_job(ctx->client, argv[0], &err) != 0) return alctl_fail(&err);
  char text[512];
  snprintf(text, sizeof text, "Cancelled job %s", argv[0]);
  confirm(ctx, "cancelled", argv[0], text);
  return 0;
}

static const char *const STRATEGIES[] = {"round_robin", "least_busy", "dynamic"};

static int cmd_strategy(alctl_ctx *ctx, int argc, char **argv) {
  al_err err;
  if (with_client(ctx) != 0) return 1;
  if (argc == 0) { /* the current strategy (from the welcome) and the choices */
    const char *now = al_server_strategy(ctx->client);
    if (ctx->json) {
      json_t *a = json_array();
      for (size_t i = 0; i < AL_ARRAY_LEN(STRATEGIES); i++) json_array_append_new(a, json_string(STRATEGIES[i]));
      json_t *o = json_object();
      json_object_set_new(o, "strategy", now[0] ? json_string(now) : json_null());
      json_object_set_new(o, "strategies", a);
      cli_json_print(stdout, o);
    } else {
      printf("Strategy: %s\nStrategies: round_robin, least_busy, dynamic\n"
             "Run 'alctl strategy NAME' to switch the coordinator to one of them.\n",
             now[0] ? now : "(not reported by this coordinator)");
    }
    return 0;
  }
  if (al_set_strategy(ctx->client, argv[0], &err) != 0) return alctl_fail(&err);
  char text[512];
  snprintf(text, sizeof text, "Strategy set to %s", argv[0]);
  confirm(ctx, "strategy", argv[0], text);
  return 0;
}

static int cmd_drain(alctl_ctx *ctx, int argc, char **argv) {
  al_err err;
  if (with_client(ctx) != 0) return 1;
  if (al_drain_worker(ctx->client, argv[0], &err) != 0) return alctl_fail(&err);
  char text[512];
  snprintf(text, sizeof text, "Draining worker %s: it takes no new tasks and finishes those it holds",
           argv[0]);
  confirm(ctx, "draining", argv[0], text);
  return 0;
}

static int cmd_top(alctl_ctx *ctx, int argc, char **argv) {
  if (with_client(ctx) != 0) return 1;
  return alctl_top(ctx);
}

static const alctl_cmd COMMANDS[] = {
    {"workers", "", "List the workers: state, slots, running and queued tasks, CPU, memory", 0, 0, cmd_workers,
     NULL},
    {"jobs", "[--limit N] [--after ID]", "List the jobs: status, progress, failures, created time", 0, 0, cmd_jobs,
     "Options:\n"
     "  --limit N   at most N jobs (the coordinator sends at most 1000 per page)\n"
     "  --after ID  the jobs created before job ID (the first job of the previous page)\n"
     "Jobs are listed oldest first; when older jobs remain, the last line names the\n"
     "--after value that lists them.\n"},
    {"job", "ID", "Show one job: status, created, progress, throughput, errors", 1, 1, cmd_job, NULL},
    {"task", "ID", "Show one task: status, attempts, worker, error", 1, 1, cmd_task, NULL},
    {"cancel", "ID", "Cancel a job (final: dispatch stops, workers abandon its tasks)", 1, 1, cmd_cancel, NULL},
    {"strategy", "[NAME]", "Switch the scheduling strategy (round_robin, least_busy, dynamic)", 0, 1,
     cmd_strategy, "Without NAME, shows the current strategy and the choices.\n"},
    {"drain", "WORKER", "Stop giving a worker new tasks; it finishes those it holds", 1, 1, cmd_drain, NULL},
    {"top", "[--interval S] [--iterations N]", "Live view of workers and jobs, redrawn every second", 0, 0,
     cmd_top,
     "Options:\n"
     "  --interval S     seconds between redraws [default: 1]\n"
     "  --iterations N   stop after N redraws (default: until Ctrl-C)\n"
     "On a terminal each redraw clears the screen (ANSI); otherwise frames follow each\n"
     "other. With --json each redraw is one JSON line {time, workers, jobs}.\n"},
};

static void print_usage(FILE *f) {
  fputs("Usage: alctl [--coordinator HOST:PORT] [--json] [--timeout S] COMMAND [ARGS]\n\n"
        "Administer a running Auralith coordinator.\n\nCommands:\n",
        f);
  for (size_t i = 0; i < AL_ARRAY_LEN(COMMANDS); i++) {
    char head[64];
    /* option lists ("[--interval S] ...") are left to the command's --help */
    bool opts_only = strncmp(COMMANDS[i].args, "[--", 3) == 0;
    snprintf(head, sizeof head, "%s %s", COMMANDS[i].name, opts_only ? "" : COMMANDS[i].args);
    fprintf(f, "  %-22s %s\n", head, COMMANDS[i].summary);
  }
  fputs("\nOptions:\n"
        "  --coordinator HOST:PORT  coordinator address ([IPv6]:PORT for IPv6)\n"
        "                           [default: $" AL_ENV_COORDINATOR " or " AL_DEFAULT_ADDRESS "]\n"
        "  --json                   print JSON instead of text\n"
        "  --timeout S              give up when the coordinator does not answer [default: 10]\n"
        "  --version                print the version\n"
        "  -h, --help               show this help (also: alctl COMMAND --help)\n\n"
        "The auth token, when the coordinator needs one, comes from $" AL_ENV_AUTH_TOKEN ".\n"
        "TLS is on when $" AL_ENV_TLS_CA " names the CA of the coordinator's certificate ($" AL_ENV_TLS_SERVER_NAME
        ",\n$" AL_ENV_TLS_CERT " and $" AL_ENV_TLS_KEY " optional; docs/SECURITY.md).\n"
        "Exit codes: 0 success, 1 error (coordinator unreachable, unknown job, ...), 2 usage error.\n",
        f);
}

static void print_cmd_help(const alctl_cmd *c) {
  printf("Usage: alctl [--coordinator HOST:PORT] [--json] %s %s\n\n%s.\n", c->name, c->args, c->summary);
  if (c->details) printf("\n%s", c->details);
}

static int usage_error(const char *fmt, const char *a) {
  fputs("alctl: ", stderr);
  fprintf(stderr, fmt, a);
  fputs("\nTry 'alctl --help'.\n", stderr);
  return 2;
}

/* "--name=value" or "--name value": returns the value or NULL (usage error printed). */
static const char *opt_value(const char *name, int argc, char **argv, int *i) {
  const char *a = argv[*i];
  size_t nl = strlen(name);
  if (a[nl] == '=') return a + nl + 1;
  if (*i + 1 >= argc) {
    usage_error("option %s needs a value", name);
    return NULL;
  }
  return argv[++*i];
}

static bool is_opt(const char *a, const char *name) {
  size_t nl = strlen(name);
  return strncmp(a, name, nl) == 0 && (a[nl] == '\0' || a[nl] == '=');
}

static bool parse_double(const char *s, double min, double max, double *out) {
  char *end;
  errno = 0;
  double d = strtod(s, &end);
  if (errno || end == s || *end || !(d >= min && d <= max)) return false;
  *out = d;
  return true;
}

int main(int argc, char **argv) {
  alctl_ctx ctx = {0};
  ctx.timeout_s = AL_DEFAULT_TIMEOUT_S;
  ctx.interval_s = 1.0;
  ctx.iterations = -1;
  const alctl_cmd *cmd = NULL;
  char **args = al_xcalloc((size_t)argc + 1, sizeof *args);
  int nargs = 0, want_help = 0, rc = 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val;
    if (strcmp(a, "--") == 0) {
      while (++i < argc) args[nargs++] = argv[i];
      break;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      want_help = 1;
    } else if (strcmp(a, "--version") == 0) {
      printf("alctl %s\n", AURALITH_VERSION);
      free(args);
      return 0;
    } else if (strcmp(a, "--json") == 0) {
      ctx.json = true;
    } else if (is_opt(a, "--coordinator")) {
      if (!(val = opt_value("--coordinator", argc, argv, &i))) goto out;
      ctx.address = val;
    } else if (is_opt(a, "--timeout")) {
      if (!(val = opt_value("--timeout", argc, argv, &i))) goto out;
      if (!parse_double(val, 0.001, 86400, &ctx.timeout_s)) {
        rc = usage_error("--timeout expects seconds between 0.001 and 86400, got '%s'", val);
        goto out;
      }
    } else if (is_opt(a, "--interval")) {
      if (!(val = opt_value("--interval", argc, argv, &i))) goto out;
      if (!parse_double(val, 0.05, 3600, &ctx.interval_s)) {
        rc = usage_error("--interval expects seconds between 0.05 and 3600, got '%s'", val);
        goto out;
      }
    } else if (is_opt(a, "--limit")) {
      double n;
      if (!(val = opt_value("--limit", argc, argv, &i))) goto out;
      if (!parse_double(val, 1, 1000000, &n) || n != (double)(long)n) {
        rc = usage_error("--limit expects a positive integer, got '%s'", val);
        goto out;
      }
      ctx.limit = (long)n;
    } else if (is_opt(a, "--after")) {
      if (!(val = opt_value("--after", argc, argv, &i))) goto out;
      ctx.after = val;
    } else if (is_opt(a, "--iterations")) {
      double n;
      if (!(val = opt_value("--iterations", argc, argv, &i))) goto out;
      if (!parse_double(val, 1, 1e9, &n) || n != (double)(long)n) {
        rc = usage_error("--iterations expects a positive integer, got '%s'", val);
        goto out;
      }
      ctx.iterations = (long)n;
    } else if (a[0] == '-' && a[1] != '\0') {
      rc = usage_error("unknown option '%s'", a);
      goto out;
    } else {
      args[nargs++] = argv[i];
    }
  }
  if (nargs == 0) {
    print_usage(want_help ? stdout : stderr);
    rc = want_help ? 0 : 2;
    goto out;
  }
  for (size_t k = 0; k < AL_ARRAY_LEN(COMMANDS); k++)
    if (strcmp(args[0], COMMANDS[k].name) == 0) cmd = &COMMANDS[k];
  if (!cmd) {
    rc = usage_error("unknown command '%s'", args[0]);
    goto out;
  }
  if (want_help) {
    print_cmd_help(cmd);
    rc = 0;
    goto out;
  }
  int given = nargs - 1;
  if (given < cmd->min_args || given > cmd->max_args) {
    fprintf(stderr, "alctl %s: expected %s%s\nUsage: alctl %s %s\n", cmd->name,
            cmd->min_args == cmd->max_args ? "" : "at most ",
            cmd->max_args == 0 ? "no arguments" : cmd->max_args == 1 ? "one argument" : "arguments", cmd->name,
            cmd->args);
    rc = 2;
    goto out;
  }
  if ((ctx.iterations > 0 || ctx.interval_s != 1.0) && strcmp(cmd->name, "top") != 0) {
    rc = usage_error("--interval and --iterations are options of 'top', not '%s'", cmd->name);
    goto out;
  }
  rc = cmd->run(&ctx, given, args + 1);
out:
  al_close(ctx.client);
  free(args);
  return rc;
}
