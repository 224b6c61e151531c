/* auralith-pipeline: global options and dispatch to one function per subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/opts.h"
#include "common/al.h"

typedef struct command {
  const char *name;
  int (*fn)(int, char **);
  const char *summary;
} command;

static const command COMMANDS[] = {
    {"coordinator", cmd_coordinator, "Start a coordinator node (TCP server owning all job state)"},
    {"worker", cmd_worker, "Start a worker node that connects to a coordinator"},
    {"submit-job", cmd_submit_job, "Tokenize a directory of files into SafeTensors shards"},
    {"status", cmd_status, "Show the workers of a running coordinator"},
    {"job-status", cmd_job_status, "Show the status of one job"},
    {"train-tokenizer", cmd_train_tokenizer, "Train a tokenizer (text BPE)"},
    {"encode", cmd_encode, "Print the token ids of a text"},
    {"classify", cmd_classify, "Print the modality the pipeline assigns to paths"},
    {"sample", cmd_sample, "Print the row the pipeline builds for each file (every modality)"},
    {"inspect", cmd_inspect, "Print the header and samples of a .safetensors shard"},
};

static void print_help(void) {
  printf("Usage: auralith-pipeline [--version] [-v] [--no-banner] COMMAND [OPTIONS]\n\n"
         "Distributed tokenization of raw files into SafeTensors shards for LLM training.\n\n"
         "Commands:\n");
  for (size_t i = 0; i < AL_ARRAY_LEN(COMMANDS); i++)
    printf("  %-16s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
  printf("\nGlobal options:\n"
         "  --version        print the version and exit\n"
         "  -v, --verbose    debug logging\n"
         "  -q, --quiet      log warnings and errors only\n"
         "  --log-format F   log lines as text (default) or json\n"
         "  --no-banner      accepted for compatibility (no banner is printed)\n"
         "  -h, --help       show this help\n\n"
         "Run 'auralith-pipeline COMMAND --help' for the options of a command.\n"
         "Exit codes: 0 success, 1 failure, 2 usage error; submit-job: see its --help.\n");
}

int main(int argc, char **argv) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--version") == 0) {
      printf("auralith-pipeline %s\n", AURALITH_VERSION);
      return 0;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      print_help();
      return 0;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      al_log_set_level(AL_LOG_DEBUG);
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      al_log_set_level(AL_LOG_WARN);
    } else if (strncmp(a, "--log-format", 12) == 0 && (a[12] == '\0' || a[12] == '=')) {
      const char *f = a[12] == '=' ? a + 13 : (i + 1 < argc ? argv[++i] : NULL);
      if (cli_set_log_format(f) != 0) {
        fprintf(stderr, "auralith-pipeline: --log-format: expected text or json, got '%s'\n", f ? f : "");
        return 2;
      }
    } else if (strcmp(a, "--no-banner") == 0) {
      /* The original prints a banner on a TTY; we never do. */
    } else {
      fprintf(stderr, "auralith-pipeline: unknown option '%s'\nTry 'auralith-pipeline --help'.\n", a);
      return 2;
    }
  }
  if (i >= argc) {
    print_help();
    return 2;
  }
  for (size_t c = 0; c < AL_ARRAY_LEN(COMMANDS); c++) {
    if (strcmp(argv[i], COMMANDS[c].name) != 0) continue;
    al_log_set_component(COMMANDS[c].name);
    return COMMANDS[c].fn(argc - i, argv + i);
  }
  fprintf(stderr, "auralith-pipeline: unknown command '%s'\nTry 'auralith-pipeline --help'.\n", argv[i]);
  return 2;
}
