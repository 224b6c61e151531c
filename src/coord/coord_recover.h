/* Crash recovery: a coordinator started against a durable store (Redis) reloads every
 * unfinished job and its tasks into its job manager before it serves anyone, and keeps
 * the store's index of unfinished jobs and the retention of finished ones.
 *
 * It reads jobs:active (the ids of jobs not yet final; no KEYS, no SCAN), their job:<id>
 * and task:<id>-NNNNNN records; every write (the index, retention, rebuilt queues and
 * records) goes through coord_persist.h, which documents the keys.
 *
 * What recovery restores, per job listed in jobs:active whose job:<id> is not final:
 *   - the job (id, config, created_at, name/timeouts when recorded), then each task in
 *     index order from task:<id>-NNNNNN (files, retries, attempt);
 *   - each task gets its recorded state through coord_jm_restore_task: failed tasks
 *     stay failed with their error; completed tasks are completed with their result
 *     once the server has checked that their shards are still published as recorded
 *     (the job manager's restore hook: a regular file of the recorded size whose
 *     SafeTensors header has the recorded rows), and run again when not; the job's
 *     counters follow from them;
 *   - a task whose record is missing (lost in the crash) is marked failed, with an
 *     error saying so: its files are unknown, and the job must not look complete;
 *   - every other task (pending, assigned, running) goes back to pending. Its attempt
 *     number is kept and the next assignment increases it, so a worker that comes
 *     back and reports the lease it held before the restart is told to abandon it (its
 *     result would be stale) and the task runs again, writing the same output paths;
 *   - the job is sealed when its record says so ("sealed": true) or, for records that
 *     do not carry the flag, when it has at least one task;
 *   - pending_tasks and tasks:<worker_id> are rebuilt from the job manager's state.
 * Jobs listed but final (a crash between the final write and the index update) are
 * taken out of the index and given their retention; ids whose record is missing are
 * taken out of the index; a record that is not valid JSON is logged and skipped.
 *
 * Prefix: coord_recover_. */
#ifndef AL_COORD_RECOVER_H
#define AL_COORD_RECOVER_H

#include <stddef.h>
#include <uv.h>

#include "common/al.h"
#include "coord/coord_jm.h"
#include "coord/coord_persist.h"

typedef struct coord_recover_report {
  size_t jobs;            /* unfinished jobs reloaded */
  size_t tasks;           /* their tasks */
  size_t completed;       /* ... of which restored as completed (counted once their
                           * shards are checked) */
  size_t failed;          /* ... already failed */
  size_t requeued;        /* ... back to pending */
  size_t skipped;         /* index entries dropped or skipped (final, missing, invalid) */
} coord_recover_report;

/* ok = 1: everything listed was handled (rep filled); ok = 0: the store failed
 * (msg says how); the job manager may then hold part of the jobs. */
typedef void (*coord_recover_cb)(void *ud, int ok, const coord_recover_report *rep, const char *msg);

/* Reads ps's store and loads the jobs into jm (whose record hooks are ps's). Must run
 * before any worker is known to jm (i.e. before the server listens): fails at once
 * otherwise. cb fires exactly once, on the store's loop, after the rebuilt records
 * have been written back and confirmed (store_sync). jm and ps are borrowed and must
 * outlive the callback. Finished records keep ps's retention. */
void coord_recover_start(coord_jm *jm, coord_persist *ps, coord_recover_cb cb, void *ud);

/* The same, running loop until done (for the start of the coordinator command, before
 * anything else is on the loop). Returns 0, or -1 with err set. rep may be NULL. */
int coord_recover_run(uv_loop_t *loop, coord_jm *jm, coord_persist *ps, coord_recover_report *rep, al_err *err);

/* Parses the original's timestamp format (al_iso_from_wall: local time
 * "YYYY-MM-DDTHH:MM:SS[.ffffff]") back to epoch seconds; 0 when s is NULL or malformed. */
double coord_recover_parse_iso(const char *s);

#endif
