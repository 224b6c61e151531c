/* Committing a task attempt's output, and finalizing a job's output directory.
 *
 * Workers never write where results are read from: attempt n of task T writes into
 * <output>/.staging/task_<T>.a<n>.<instance> and reports its shards there. When the
 * result arrives under a current lease the coordinator (the only process that decides
 * who holds a lease) verifies it and publishes it with one rename to <output>/task_<T>.
 * A stale attempt is never published, so no attempt can delete or replace what another
 * published. Verification (docs/OPERATIONS.md, "Output directory life cycle"):
 *   - every shard lies in the attempt's own staging directory (after resolving the
 *     output directory; no "..", no symlink, a regular file named shard_*.safetensors);
 *   - its size is the reported size, its SafeTensors header parses and input_ids has
 *     the reported number of rows of max_seq_len ids;
 *   - its attention_mask holds the reported number of real ids; in the packed layout
 *     document_ids/position_ids are there and the documents starting in the shard
 *     (position 0) are as many as its sources; unpacked, one source per row;
 *   - with verify_sha256 the file is re-hashed and compared;
 *   - every input file of the task is accounted for: in some shard's sources or in the
 *     skipped list (a JSON Lines file also by its records, "<file>:<line>"), and nothing
 *     else is;
 *   - the result's totals agree with the shards: rows, shards, skipped files, ids
 *     written, padding (rows x max_seq_len - ids written), ids encoded = written +
 *     truncated (nothing truncated in split jobs), documents (counted in packed shards,
 *     one per row in unpacked truncate jobs). Only accepted results are summed into the
 *     job's counts, so index.json and the job record hold verified figures.
 *
 * Both operations do blocking file-system work and run on the loop's thread pool; the
 * callbacks fire exactly once on the loop thread. Prefix: coord_. */
#ifndef AL_COORD_COMMIT_H
#define AL_COORD_COMMIT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/al.h"
#include "coord/coord_jm.h"

/* Outcome of a commit. paths (n of them, relative to the job's output dir) are the
 * published shards, in result order; borrowed for the duration of the callback. */
typedef void (*coord_commit_cb)(void *ud, const char *task_id, uint32_t attempt, int ok,
                                const char *const *paths, size_t n, const char *error);

/* Copies what it needs from t (t may change or be freed afterwards) and verifies and
 * publishes on loop's thread pool; cb fires once on the loop. Returns a handle that
 * coord_commit_orphan can detach (when the server goes away first). */
typedef struct coord_commit coord_commit;
coord_commit *coord_commit_start(uv_loop_t *loop, const coord_task *t, int verify_sha256,
                                 coord_commit_cb cb, void *ud);
/* A result restored after a coordinator restart (coord_jm_restore_task): checks on the
 * pool that every shard it lists is still published as recorded
 * (coord_outdir_check_shard: a regular file of the recorded size whose header holds
 * the recorded rows; sha256 with verify_sha256). Nothing is moved. cb fires once with
 * ok and paths NULL (the recorded paths stay), or !ok and the first difference. */
coord_commit *coord_commit_restored_start(uv_loop_t *loop, const coord_task *t, int verify_sha256,
                                          coord_commit_cb cb, void *ud);
/* The same check, synchronous (tests). Returns 0 or -1 with err. */
int coord_commit_check_restored(const coord_task *t, int verify_sha256, al_err *err);
/* The callback will not be called; the request frees itself when its work ends. */
void coord_commit_orphan(coord_commit *c);

/* Synchronous core, exposed for tests: verifies t's result as described above and
 * publishes it. On success returns 0 and *paths_out (owned by the caller, free each
 * and the array) holds the published paths. On failure returns -1 with err saying
 * what is wrong (naming the shard), and the staging directory is removed. */
int coord_commit_run(const coord_task *t, int verify_sha256, char ***paths_out, al_err *err);

#endif
