/* auralith-pipeline submit-job */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/opts.h"

static const cli_opt OPTS[] = {
    {"config", 'c', "PATH", "YAML config file", NULL, CLI_REQUIRED},
    {"input-dir", 'i', "DIR", "directory of raw files (recursive)", NULL, CLI_REQUIRED},
    {"output-dir", 'o', "DIR", "directory for shards and index.json", NULL, CLI_REQUIRED},
    {"tokenizers-dir", 't', "DIR", "tokenizers root (text/, image/, ...)", NULL, CLI_REQUIRED},
    {"job-name", 0, "NAME", "name of the job", "auralith-job", 0},
    {"max-seq-len", 0, "N", "tokens per sample row", "4096", 0},
    {"shard-size", 0, "N", "samples per shard file", "10000", 0},
    {"files-per-task", 0, "N", "files per task", "500", 0},
    {"num-workers", 'w', "N", "in-process workers (embedded mode)", "2", 0},
    {"embedded", 0, NULL, "run coordinator and workers in this process (no Redis, no TCP)", NULL, 0},
    {"external", 0, NULL, "submit to a running coordinator (the default)", NULL, 0},
    {"coordinator", 0, "HOST:PORT", "coordinator address (external mode; default from the config)", NULL, 0},
    {"timeout", 0, "SECONDS", "job timeout (default: job.timeout of the config)", NULL, 0},
    {"detach", 0, NULL, "external mode: print the job id and return", NULL, 0},
    {0}};

static const cli_cmd CMD = {"submit-job", "Tokenize a directory of raw files into SafeTensors shards.",
                            "-c CONFIG -i INPUT -o OUTPUT -t TOKENIZERS [OPTIONS]", OPTS,
                            "Exit codes: 0 completed, 1 error before or while running, 2 usage error,\n"
                            "3 completed_with_errors, 4 failed, 5 cancelled, 6 timeout."};

int cmd_submit_job(int argc, char **argv) {
  cli_values v;
  int rc = cli_parse(&CMD, argc, argv, &v);
  cli_values_free(&v);
  if (rc != CLI_OK) return rc == CLI_HELP ? 0 : 2;
  fprintf(stderr, "auralith-pipeline submit-job: job execution is not available in this build yet\n");
  return 1;
}
