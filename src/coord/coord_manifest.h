/* The job manifest and the end of a job's output: when every task has ended the
 * coordinator cleans the job's leftovers from the output directory and writes
 * <output_dir>/index.json (src/shard/index.h) from the results it accepted. The
 * manifest is built on the loop (a copy of the results) and the file-system work runs
 * on the thread pool, so no fsync ever blocks the coordinator. */
#ifndef AL_COORD_MANIFEST_H
#define AL_COORD_MANIFEST_H

#include <uv.h>

#include "common/al.h"
#include "coord/coord_jm.h"

/* Builds the manifest of job j (every task with an accepted result, once each) and
 * writes it atomically, synchronously, with status st. Returns 0 or -1 with err
 * naming the file. */
int coord_write_manifest(const coord_job *j, coord_job_status st, al_err *err);

/* Finalizing job j with status st, off the loop:
 *   0. refuses (writes and removes nothing) when the output directory is a file system
 *      root or, with output_root (worker_output_root; NULL = unset; copied), no longer
 *      resolves under it;
 *   1. removes what the job's attempts left in <output>/.staging and every
 *      task_<job>-* directory that no accepted result lists (output an attempt
 *      published before a coordinator crash lost its completion);
 *   2. writes index.json durably (temporary file, fsync, rename, directory fsync);
 *   3. if that fails, removes every shard the job published (no unlisted output) and
 *      reports why.
 * cb fires exactly once on the loop thread. Returns a handle for
 * coord_finalize_orphan (NULL when the work already ran synchronously). */
typedef void (*coord_finalize_cb)(void *ud, const char *job_id, int ok, const char *error);
typedef struct coord_finalize coord_finalize;
coord_finalize *coord_finalize_start(uv_loop_t *loop, const coord_job *j, coord_job_status st, const char *output_root,
                                     coord_finalize_cb cb, void *ud);
/* The callback will not be called; the request frees itself when its work ends. */
void coord_finalize_orphan(coord_finalize *f);

#endif
