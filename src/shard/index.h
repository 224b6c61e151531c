/* The job manifest <output_root>/index.json, written once at the end of a job.
 *
 * The coordinator creates one shard_index per job, feeds it every successful task's
 * shards and skipped files as results arrive (in any order, shard_index_put_task), and
 * writes it atomically when the job ends (shard_index_write). The file lists shards sorted by path and skipped files sorted by
 * path, so the same output gives the same manifest whatever order tasks finished in:
 *
 *   {"format":"auralith-index","version":1,"job_id":..,"job_name":..,"status":..,
 *    "created_at":"<iso>","max_seq_len":L,"shard_size":S,"long_documents":..,"packing":..,
 *    "totals":{"shards","samples","tokens","bytes","files","skipped","documents",
 *              "ids_encoded","ids_written","ids_truncated","padding","padding_fraction"},
 *    "skip_reasons":{"<reason>":count,...},
 *    "shards":[{"path":"task_x/shard_000000.safetensors","samples","tokens","bytes",
 *               "sha256","sources":[...]}],
 *    "skipped":[{"path","reason"}]}
 *
 * "files" counts the input files the job covered (the tasks' files; without those
 * counts, the documents plus the skipped files). docs/FORMAT.md defines every field. */
#ifndef AL_SHARD_INDEX_H
#define AL_SHARD_INDEX_H

#include <stdint.h>

#include "common/al.h"
#include "shard/rows.h"
#include "shard/shard.h"

#define SHARD_INDEX_NAME "index.json"

typedef struct shard_index shard_index;

/* output_root: the job's output directory (shard paths are stored relative to it).
 * job_id / job_name may be NULL. Strings are copied. Free with shard_index_free. */
shard_index *shard_index_new(const char *output_root, const char *job_id, const char *job_name);
void shard_index_set_params(shard_index *x, uint32_t max_seq_len, uint32_t shard_size);
/* Records the row layout ("long_documents", "packing"; NULL = the defaults truncate and
 * none), so that --resume reuses only shards of the same layout. Strings are copied. */
void shard_index_set_layout(shard_index *x, const char *long_documents, const char *packing);
/* One input file a task could not use, and why ("unclassified", "no tokenizer",
 * "blank text", "unreadable: ..." - the worker's words). */
typedef struct shard_skip {
  const char *path;
  const char *reason;
} shard_skip;

/* Records (a copy of) one finished task's shards and skipped files. Putting the same
 * task_id again replaces its earlier entry, so a result delivered twice, or a task
 * re-run after its result was recorded, is counted once. Shard paths are made relative
 * to output_root when they lie under it; otherwise they are kept as given. */
void shard_index_put_task(shard_index *x, const char *task_id, const shard_info *shards,
                          size_t nshards, const shard_skip *skips, size_t nskips);
/* Adds the row counts a task's worker reported (documents, ids encoded and truncated)
 * to its entry; call after shard_index_put_task (which clears them). */
void shard_index_put_counts(shard_index *x, const char *task_id, const shard_row_counts *c);
/* Records how many input files the task was given (a JSON Lines file of many records
 * is one). totals.files is their sum when every task has it, else documents + skipped.
 * Call after shard_index_put_task (which clears it). */
void shard_index_put_input_files(shard_index *x, const char *task_id, uint64_t n);
/* Forgets a task (e.g. cancelled after its result was recorded). */
void shard_index_drop_task(shard_index *x, const char *task_id);

uint64_t shard_index_total_samples(const shard_index *x);
size_t shard_index_nshards(const shard_index *x);
uint64_t shard_index_nskipped(const shard_index *x);

/* Serialises to JSON text (indent 2, trailing newline); caller frees. status is the
 * job status string ("completed", ...). */
char *shard_index_to_json(const shard_index *x, const char *status);
/* Writes <output_root>/index.json atomically (temporary file, fsync, rename, fsync). */
int shard_index_write(const shard_index *x, const char *status, al_err *err);
void shard_index_free(shard_index *x);

#endif
