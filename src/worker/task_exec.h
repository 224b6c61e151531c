/* Executes one task on a worker thread: classify, read, tokenize and shard every file
 * of the task, and report what happened. Pure with respect to the worker's loop: it
 * touches only its spec, its outcome, the shared tokenizer cache and the file system,
 * so it runs inside uv_queue_work and is unit-testable without a network.
 * Prefix: worker_. */
#ifndef AL_WORKER_TASK_EXEC_H
#define AL_WORKER_TASK_EXEC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "shard/rows.h"
#include "shard/shard.h"
#include "worker/tokcache.h"

typedef struct worker_task_spec {
  char *task_id;
  char *job_id;
  uint32_t attempt;
  char **files;
  size_t n_files;
  char *tokenizers_dir;
  char *output_dir;      /* where the coordinator publishes the task: <job output>/task_<task_id>;
                          * the worker never writes there */
  char *staging_dir;     /* where this attempt writes: <job output>/.staging/<name>; NULL =
                          * derived from output_dir and attempt (worker_task_staging_dir) */
  char *input_dir;       /* the job's input_dir: files must resolve inside it; NULL = unchecked */
  uint32_t max_seq_len;
  uint64_t shard_size;
  shard_long_mode long_documents;  /* job.long_documents (default truncate) */
  shard_pack_mode packing;         /* job.packing (default none) */
  int detect_text;                 /* job.detect_text: extensionless text files too */
  char *jsonl_field;               /* job.jsonl_field; NULL = "text" */
  uint64_t decomp_limit;           /* decompressed-size limit per file; 0 = by file size
                                      (worker_decomp_limit); not on the wire (tests) */
  char *bad_option;      /* set when the assignment named an unknown mode: the task fails
                            with this text (owned) */
} worker_task_spec;

/* The attempt's staging directory: spec->staging_dir, or one derived from output_dir.
 * Returns a new string (caller frees). */
char *worker_task_staging_dir(const worker_task_spec *s);
/* Removes an attempt's staging directory and, when empty, the .staging directory that
 * holds it. Never touches published output. */
void worker_task_remove_staging(const char *staging_dir);

/* Frees every string of the spec and zeroes it. */
void worker_task_spec_clear(worker_task_spec *s);

typedef struct worker_skip {
  char *path;
  char *reason;          /* "unclassified", "no tokenizer for modality 'image'", "blank text", ... */
} worker_skip;

typedef struct worker_task_outcome {
  int ok;                /* 1: task succeeded (status says whether it made samples) */
  int cancelled;         /* 1: stopped by a cancel request; output removed */
  int permanent;         /* 1 when !ok: every retry would fail the same way (tokenizers) */
  char *error;           /* when !ok: why (owned) */
  const char *status;    /* "success" or "no_samples" (static) when ok */
  uint64_t samples;      /* rows written */
  uint64_t tokens;       /* ids written (real positions of the rows) */
  uint64_t bytes_read;
  shard_row_counts counts; /* documents, ids encoded/written/truncated, padding */
  worker_skip *skips;    /* owned, n_skips entries; a run of bad JSON Lines records of
                          * one file with one reason is one entry "<file>:<a>-<b>" */
  size_t n_skips, skip_cap;
  uint64_t skipped;      /* files and records skipped (the runs expanded) */
  shard_info *shards;    /* owned, n_shards entries; paths relative to the job output
                          * (".staging/<name>/shard_NNNNNN.safetensors") */
  size_t n_shards;
  double duration_s;
} worker_task_outcome;

void worker_task_outcome_clear(worker_task_outcome *o);

typedef struct worker_exec_env {
  worker_tokcache *tokenizers;  /* shared; required */
  const char *output_root;      /* outputs must resolve under it; NULL = anywhere */
  const char *input_roots;      /* ':'-separated; inputs must resolve under one; NULL = any */
  atomic_int *cancel;           /* set non-zero to stop between files; may be NULL */
} worker_exec_env;

/* Runs the task into its staging directory. Always fills *out (zero it first): a
 * per-file problem is a skip, a problem with the tokenizers or the output directory
 * fails the task (ok = 0, error set) so that the coordinator retries it. A failed or
 * cancelled attempt removes its staging directory; a successful one leaves it for the
 * coordinator to verify and publish. */
void worker_task_execute(const worker_task_spec *spec, const worker_exec_env *env,
                         worker_task_outcome *out);

#endif
