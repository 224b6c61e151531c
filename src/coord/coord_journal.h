/* The commit journal: one JSON line per committed task, appended by the commit after the
 * task's directory is published, in <output>/.staging/committed.<job>.jsonl. index.json
 * is written only when a job ends, so without the journal a coordinator killed mid-job
 * with no store to recover from (embedded mode, the memory store) left nothing that
 * --resume could reuse, and every published task ran again. The journal is a hint, not
 * a record: --resume verifies every shard a line names exactly as it verifies
 * index.json's, a line lost in a power failure only makes its task run again, and a
 * torn last line is ignored. It is removed once the job's index.json is written.
 *
 * A line: {"task_dir", "max_seq_len", "long_documents", "packing", "shards": [index.json's
 * shard fields], "skipped": [{"path", "reason"}], "counts": {"documents", "ids_encoded",
 * "ids_truncated", "padding"}} (counts only when the worker sent them).
 * Blocking file-system work for the thread pool. Prefix: coord_journal_. */
#ifndef AL_COORD_JOURNAL_H
#define AL_COORD_JOURNAL_H

#include <jansson.h>
#include <stddef.h>

#define COORD_JOURNAL_PREFIX "committed."
#define COORD_JOURNAL_SUFFIX ".jsonl"

/* Appends line (borrowed) to the journal of job_id under root (the resolved output
 * directory) as one write. Best effort: returns 0, or -1 when the line could not be
 * written (the task then simply is not reusable after a crash). */
int coord_journal_append(const char *root, const char *job_id, json_t *line);

/* Every journal under root merged into one document shaped like index.json ("shards",
 * "skipped", "task_counts"), for coord_resume. Only lines of the given layout are kept
 * (long_documents/packing NULL = the defaults); when a task directory has several
 * lines the last one counts. Returns NULL when there is no journal; *lines counts the
 * lines used, *ignored the torn, unparsable or other-layout ones. Caller decrefs. */
json_t *coord_journal_read(const char *root, int max_seq_len, const char *long_documents, const char *packing,
                           size_t *lines, size_t *ignored);

/* Removes the journal of job_id, or every journal when job_id is NULL (a job that owns
 * the output directory). Missing is success. */
void coord_journal_remove(const char *root, const char *job_id);

#endif
