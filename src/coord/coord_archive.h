/* Finished jobs that a restarted coordinator knows only from the store: `alctl jobs`
 * and `list_jobs` list them beside the jobs in memory for as long as their records are
 * kept (retention).
 *
 * The store holds their ids in the set COORD_FINISHED_JOBS_KEY (added when a job's
 * final status is written, coord_persist_job_final). At start the set is read, each
 * job:<id> record is turned into a summary, and ids whose record has expired are
 * removed from the set (through coord_persist). Prefix: coord_archive_. */
#ifndef AL_COORD_COORD_ARCHIVE_H
#define AL_COORD_COORD_ARCHIVE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/al.h"
#include "coord/coord_jm.h"
#include "coord/coord_persist.h"
#include "proto/messages.h"
/* Summaries held at most (the newest are kept); older jobs still answer job-status from
 * the store. */
#define COORD_ARCHIVE_MAX 100000

typedef struct coord_archived_job { /* every string owned */
  char *id, *name, *status, *created_at, *completed_at, *error;
  uint64_t total_tasks, completed_tasks, failed_tasks, retried_tasks, samples, tokens, bytes;
  uint64_t documents, ids_encoded, ids_truncated, padding, skipped; /* the record's counts */
  double elapsed_s; /* completed_at - created_at; 0 when either is unknown */
  int sealed;
} coord_archived_job;

typedef struct coord_archive {
  coord_archived_job *v; /* oldest first (by created_at) */
  size_t n;
} coord_archive;

/* Fills e from a job record (the original's field names) for job id; returns 0, or -1
 * when doc is not a job record. e owns copies; release with coord_archived_job_clear. */
int coord_archived_job_from_record(const char *id, const json_t *doc, coord_archived_job *e);
void coord_archived_job_clear(coord_archived_job *e);
/* A view of e as a protocol summary (pointers into e; errs must hold one entry). */
void coord_archived_job_summary(const coord_archived_job *e, proto_job_summary *s, const char **errs);

/* Reads the finished jobs' records from ps's store (ps borrowed), running loop until
 * all have answered; skips ids jm holds (borrowed; may be NULL). Returns 0 with *out
 * filled (release with coord_archive_free), or -1 with err naming the key that could
 * not be read. */
int coord_archive_load(uv_loop_t *loop, coord_persist *ps, coord_jm *jm, coord_archive *out, al_err *err);
void coord_archive_free(coord_archive *a);

#endif
