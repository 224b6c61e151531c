/* The seam between the pipeline runner (src/app/app_pipeline.c) and embedded mode.
 *
 * al_pipeline_run() resolves the configuration, lists the input files and, for
 * embedded mode, calls app_pipeline_run_embedded() with the plan below. It is defined
 * in src/app/app_pipeline_embedded.c on top of the embedded deployment (embedded.c: one loop
 * thread with the coordinator and N workers, clients attached by socketpair), and
 * drives the job with the same submit/follow code as external mode. */
#ifndef AL_APP_PIPELINE_H
#define AL_APP_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auralith/pipeline.h"
#include "config/config.h"

/* Everything resolved before a run starts. All pointers are borrowed from the caller
 * of app_pipeline_run_embedded for the duration of the call. */
typedef struct app_pipeline_plan {
  const cfg_config *cfg;       /* file + environment; coordinator.* for the scheduler */
  const char *input_dir;
  const char *output_dir;
  const char *tokenizers_dir;
  const char *job_name;
  const char *job_id;          /* NULL: make one */
  char *const *files;          /* sorted, n_files >= 1 */
  size_t n_files;
  int64_t max_seq_len;
  int64_t shard_size;
  int64_t files_per_task;
  double timeout_s;
  int num_workers;             /* >= 1 */
  const char *output_mode;     /* NULL/"new", "overwrite", "resume" */
  const char *verify_shards;   /* "header" or "sha256" */
  const char *reconnect_address; /* external mode: where to reconnect while following */
  const char *reconnect_token;
  double reconnect_window_s;   /* how long to keep trying */
  const char *long_documents;  /* "truncate" or "split" */
  const char *packing;         /* "none" or "greedy" */
  bool detect_text;
  const char *jsonl_field;
} app_pipeline_plan;

/* Runs the plan in this process and fills r as al_pipeline_run documents (status,
 * counters, errors, job_id; files and elapsed_s are filled by the caller). Calls
 * o->on_submitted / o->on_progress when set and honours o->stop. Returns 0 when the
 * job reached a final status, -1 with err set otherwise. */
int app_pipeline_run_embedded(const al_pipeline_options *o, const app_pipeline_plan *plan,
                              al_pipeline_result *r, al_err *err);

/* Submits the plan over a connected client, seals it and follows it to a final
 * status (external mode; embedded: the same over a socketpair). With embedded true,
 * o->detach is ignored and o->stop cancels the job instead of detaching. Fills r.
 * With p->reconnect_address set, a connection lost while following is reconnected
 * with backoff for p->reconnect_window_s (the coordinator restarted); *cp is then
 * replaced (the old client closed). */
int app_pipeline_submit_and_follow(al_client **cp, const al_pipeline_options *o, const app_pipeline_plan *p,
                                   bool embedded, al_pipeline_result *r, al_err *err);

#endif
