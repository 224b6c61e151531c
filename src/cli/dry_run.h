/* submit-job --dry-run (see dry_run.c). Prefix: cli_. */
#ifndef AL_CLI_DRY_RUN_H
#define AL_CLI_DRY_RUN_H

#include <stdbool.h>
#include <stdint.h>

/* Prints the plan of a job over input_dir; returns the exit code (0, or 1 when the
 * directory cannot be scanned or holds no file). */
int cli_dry_run(const char *input_dir, int64_t files_per_task, bool detect_text);

#endif
