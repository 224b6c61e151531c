/* --resume: reusing a previous run's verified output. The previous index.json is read
 * and every shard it lists is checked (regular file inside the output directory, the
 * listed size, a SafeTensors header with the listed rows; sha256 on request). Shards
 * are grouped by the task directory that holds them. A new task is completed from the
 * previous run when every one of its files is either a source of one previous task
 * whose shards all verify (and whose sources are all files of the new task) or a
 * skipped file of the previous run; otherwise it runs. So with the same input tree and
 * files_per_task every finished task is reused, and a changed split simply runs again.
 * Prefix: coord_resume_. */
#ifndef AL_COORD_RESUME_H
#define AL_COORD_RESUME_H

#include <stddef.h>

#include "common/al.h"
#include "coord/coord_jm.h"

typedef struct coord_resume coord_resume;

/* Loads <output_dir>/index.json and the commit journals of runs that ended without
 * one (a coordinator killed mid-job), and verifies what they list. Neither gives an
 * empty previous run (nothing to reuse). Returns NULL with err only when the
 * manifest exists but cannot be parsed. *n_bad counts shards that did not verify
 * (their tasks run again); shards of another max_seq_len or row layout (long_documents,
 * packing; NULL = the defaults) all count as bad. Blocking file-system work. */
coord_resume *coord_resume_load(const char *output_dir, int max_seq_len, const char *long_documents,
                                const char *packing, int verify_sha256, size_t *n_bad,
                                al_err *err);
/* Fills *res (caller frees with coord_task_result_free) with the previous result that
 * covers exactly files[0..n) and returns 1; 0 when the task must run. A previous task
 * is reused at most once. */
int coord_resume_match(coord_resume *r, const char *const *files, size_t n, coord_task_result *res);
/* Tasks reused so far. */
size_t coord_resume_reused(const coord_resume *r);
/* Tasks the commit journals of interrupted runs offered (coord_journal.h); *ignored
 * (may be NULL) gets the lines that were torn, unreadable or of another layout. */
size_t coord_resume_journal_lines(const coord_resume *r, size_t *ignored);
void coord_resume_free(coord_resume *r);

#endif
