/* Auralith pipeline runner: the equivalent of the original's DistributedPipeline.
 * Configure a job (input, output and tokenizers directories, sequence length, shard
 * size, files per task, timeout, embedded or external), run it, get the result.
 *
 *   al_pipeline_options o;
 *   al_pipeline_options_init(&o);
 *   o.config_path = "configs/distributed.yaml";
 *   o.input_dir = "data/raw"; o.output_dir = "shards"; o.tokenizers_dir = "tokenizers";
 *   al_pipeline_result r;
 *   al_err err;
 *   if (al_pipeline_run(&o, &r, &err) != 0) { fprintf(stderr, "%s\n", err.msg); return 1; }
 *   printf("%s: %llu/%llu tasks in %.1fs\n", r.status,
 *          (unsigned long long)r.completed_tasks, (unsigned long long)r.total_tasks, r.elapsed_s);
 *   int code = al_pipeline_exit_code(r.status);
 *   al_pipeline_result_free(&r);
 *
 * External mode connects to a running coordinator as a submitter: it lists the input
 * files (sorted, recursive, regular files; "No files found in <dir>" before anything
 * starts when there are none), creates the job, submits its tasks in bounded batches,
 * seals it and follows its progress events until the job ends (or detaches).
 * Embedded mode runs a coordinator and num_workers workers in this process.
 * Prefix: alc_. Errors: see client.h. */
#ifndef AURALITH_PIPELINE_H
#define AURALITH_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "auralith/client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct al_pipeline_options {
  /* Optional YAML config (the original's schema). It supplies the coordinator address
   * (coordinator.host/port; job.coordinator_host/port when set), the auth token and
   * the job defaults below. NULL = built-in defaults plus $AURALITH_AUTH_TOKEN. */
  const char *config_path;
  const char *input_dir;       /* required */
  const char *output_dir;      /* required */
  const char *tokenizers_dir;  /* required */
  const char *job_name;        /* NULL = job.name of the config */
  const char *job_id;          /* NULL = the coordinator makes one */
  int64_t max_seq_len;         /* 0 = job.max_seq_len (4096) */
  int64_t shard_size;          /* 0 = job.shard_size (10000) */
  int64_t files_per_task;      /* 0 = job.files_per_task (500) */
  double timeout_s;            /* 0 = job.timeout (86400); the job ends as "timeout" */
  const char *long_documents;  /* "truncate" | "split"; NULL = job.long_documents */
  const char *packing;         /* "none" | "greedy"; NULL = job.packing */
  bool detect_text;            /* true, or job.detect_text */
  const char *jsonl_field;     /* NULL = job.jsonl_field ("text") */
  bool embedded;               /* false = external */
  int num_workers;             /* embedded: in-process workers; 0 = job.num_workers */
  /* External mode. */
  const char *coordinator;     /* "host:port"; NULL = $AURALITH_COORDINATOR, else the config */
  const char *auth_token;      /* NULL = the config's (which $AURALITH_AUTH_TOKEN overrides) */
  double request_timeout_s;    /* bound on each request; 0 = AL_DEFAULT_TIMEOUT_S */
  bool detach;                 /* return once the job is submitted (status "detached") */
  /* Optional callbacks, called on the caller's thread. Snapshots are borrowed for the
   * duration of the call. */
  void (*on_submitted)(void *user_data, const char *job_id, uint64_t files, uint64_t tasks);
  void (*on_progress)(void *user_data, const al_job *snapshot);
  void *user_data;
  /* When not NULL and *stop becomes non-zero (e.g. from a SIGINT handler), run()
   * stops following and returns with status "detached"; the job keeps running on the
   * coordinator (embedded mode: the job is cancelled instead). */
  const volatile sig_atomic_t *stop;
  /* A non-empty output directory: NULL or "new" refuses it, "overwrite" removes what
   * the previous manifest lists first, "resume" keeps the previous run's verified
   * tasks and runs the rest. */
  const char *output_mode;
  const char *verify_shards;   /* NULL = job.verify_shards of the config ("header") */
} al_pipeline_options;

/* Zeroes o (every field at its "use the config" value). */
void al_pipeline_options_init(al_pipeline_options *o);

typedef struct al_pipeline_result {
  char *job_id;                /* heap; NULL when the job was never created */
  char *status;                /* heap: completed, completed_with_errors, failed,
                                  cancelled, timeout, or detached */
  char *coordinator;           /* heap: address used (external), NULL in embedded mode */
  uint64_t files;              /* input files found */
  uint64_t total_tasks;
  uint64_t completed_tasks;
  uint64_t failed_tasks;
  uint64_t samples;
  uint64_t tokens;
  double elapsed_s;            /* wall time of run() */
  char **errors;               /* last task errors (n_errors heap strings) */
  size_t n_errors;
  al_job final;               /* the last snapshot of the job (counts, skip reasons); owned */
} al_pipeline_result;

/* Runs the job. Returns 0 when the job reached a final status or was detached (the
 * outcome is r->status), -1 on an error (err set; r->job_id is set when the job was
 * already created, so the caller can tell the user how to follow it). *r is
 * overwritten; release with al_pipeline_result_free in both cases. */
int al_pipeline_run(const al_pipeline_options *o, al_pipeline_result *r, al_err *err);

/* Releases what r points to and zeroes it. */
void al_pipeline_result_free(al_pipeline_result *r);

/* submit-job's exit code for a final status: 0 completed (and detached),
 * 3 completed_with_errors, 4 failed, 5 cancelled, 6 timeout, 1 anything else. */
int al_pipeline_exit_code(const char *status);

#ifdef __cplusplus
}
#endif

#endif
