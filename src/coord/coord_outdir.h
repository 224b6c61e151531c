/* The job output directory's life cycle on disk (docs/OPERATIONS.md, "Output
 * directory life cycle"):
 *
 *   <output>/.staging/task_<T>.a<n>.<instance>/   attempt n of task T writes here
 *   <output>/task_<T>/shard_NNNNNN.safetensors      published by the coordinator (commit)
 *   <output>/index.json                             the manifest, written last
 *
 * Everything here is blocking file-system work for the thread pool. Removal never
 * follows symbolic links (a link is removed, not its target) and never goes deeper
 * than the layout above. Prefix: coord_outdir_ (and COORD_ for constants). */
#ifndef AL_COORD_OUTDIR_H
#define AL_COORD_OUTDIR_H

#include <stddef.h>
#include <stdint.h>

#include "common/al.h"

#define COORD_STAGING_DIR ".staging"
#define COORD_MANIFEST_NAME "index.json"

/* Removes path: a file or symlink is unlinked; a directory has its entries removed
 * (directories among them up to two levels down) and is then removed. Missing is
 * success. err may be NULL. Returns 0 or -1. */
int coord_outdir_remove_tree(const char *path, al_err *err);

/* Publishes the staging directory stage as task_dir (both inside root): one rename.
 * A task_dir left by an earlier coordinator instance (published, completion never
 * recorded) is first moved aside into the staging area and removed. The root is
 * fsynced so the rename is durable. Returns 0 or -1 with err. */
int coord_outdir_publish(const char *root, const char *stage, const char *task_dir, al_err *err);

/* Removes what the job's attempts left in <root>/.staging (entries named
 * task_<job_id>-*), and .staging itself once empty; then every <root>/task_<job_id>-*
 * directory for which keep(ud, name) returns 0. job_id NULL means every task_* entry
 * (a --resume job owns the whole directory). Returns the number of entries removed,
 * or -1 with err. */
int coord_outdir_clean_job(const char *root, const char *job_id, int (*keep)(void *ud, const char *name), void *ud,
                           al_err *err);

/* Removes every task directory of the job (task_<job_id>-*): used when its manifest
 * cannot be written. Returns the number removed or -1. */
int coord_outdir_remove_job_output(const char *root, const char *job_id, al_err *err);

/* A published shard is still what was recorded: path is relative to root (not absolute,
 * no ".."), a regular file (not a symlink) of bytes bytes whose SafeTensors header
 * holds input_ids of rows x max_seq_len; with verify_sha256 its SHA-256 is sha256.
 * Returns 0, or -1 with err naming the shard and what differs. Used by --resume and
 * by crash recovery before a task restored as completed counts. */
int coord_outdir_check_shard(const char *root, const char *path, int64_t bytes, int64_t rows, int64_t max_seq_len,
                             const char *sha256, int verify_sha256, al_err *err);

/* Lowercase hex SHA-256 of a regular file (not followed through a symlink). */
int coord_outdir_sha256(const char *path, char hex[65], al_err *err);

/* How a job treats an output directory that already holds something. */
typedef enum { COORD_OUT_NEW = 0, COORD_OUT_OVERWRITE, COORD_OUT_RESUME } coord_out_mode;
/* Parses "new", "overwrite", "resume" (NULL or "" = new); -1 otherwise. */
int coord_out_mode_parse(const char *s);

/* Prepares dir for a job, before any task runs:
 *   new:       dir missing or empty (it is created) -- else an error that names dir and
 *              the first entry and says to use --overwrite or --resume;
 *   overwrite: removes the previous manifest, every shard it lists and their task
 *              directories, and every task_* directory and .staging; other files stay;
 *   resume:    keeps everything; the caller reuses verified tasks of the previous
 *              manifest (coord_outdir_previous).
 * A dir that is a filesystem root is refused. Returns 0 or -1 with err. */
int coord_outdir_prepare(const char *dir, coord_out_mode mode, al_err *err);

#endif
