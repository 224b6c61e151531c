/* Submitting a job and following it to its end, over any connected stream socket (TCP
 * to a remote coordinator, or a socketpair into the embedded one), so both modes share
 * this code. Blocking I/O with timeouts: it runs on the submitting thread, never on a
 * loop. Prefix: app_. */
#ifndef AL_APP_JOB_RUNNER_H
#define AL_APP_JOB_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "common/al.h"

/* Every regular file under dir (recursive; symlinks to files count, symlinked
 * directories are not followed), sorted by full path string as the original does.
 * Returns 0 and an owned array (free each path and the array), or -1 with err: "No
 * files found in <dir>" when there are none or dir does not exist. */
int app_scan_files(const char *dir, char ***files, size_t *n, al_err *err);
void app_free_files(char **files, size_t n);

typedef struct app_job_request {
  const char *name;
  const char *input_dir, *output_dir, *tokenizers_dir; /* made absolute before sending */
  uint32_t max_seq_len;
  uint64_t shard_size;
  uint32_t files_per_task;
  double timeout_s;           /* job timeout; 0 = none */
  const char *auth_token;     /* NULL = none */
  int detach;                 /* return once the job is submitted */
} app_job_request;

typedef struct app_job_result {
  char job_id[128];
  char status[32];            /* pending ... completed, completed_with_errors, failed, ... */
  uint64_t total_tasks, completed_tasks, failed_tasks, retried_tasks;
  uint64_t samples, tokens, files;
  double elapsed_s;
  char error[512];            /* first task error, when any */
} app_job_result;

/* Progress callback (may be NULL): called on every progress event. */
typedef void (*app_progress_cb)(const app_job_result *now, void *ud);

/* Scans input_dir, submits the job in batches over fd, seals it and (unless detach)
 * follows its progress until a final status. Returns 0 when the job ran to a final
 * status (res->status says which) or was detached; -1 with err on a failure to scan,
 * connect or talk to the coordinator. *interrupted (may be NULL) is polled while
 * following: when it becomes non-zero the runner returns 0 with status "running". */
int app_run_job(int fd, const app_job_request *req, app_progress_cb cb, void *ud, volatile int *interrupted,
                app_job_result *res, al_err *err);

/* Exit code of submit-job for a final status: 0 completed, 3 completed_with_errors,
 * 4 failed, 5 cancelled, 6 timeout, 1 anything else. */
int app_status_exit_code(const char *status);

#endif
