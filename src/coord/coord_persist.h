/* Persistence: everything the coordinator writes to its state store, in one place.
 *
 * The job manager (coord_jm) decides when something changed; this module decides what
 * that means in the store. It is wired to the manager through the record hooks
 * (coord_jm_records, filled by coord_persist_records), so the manager neither formats
 * records nor talks to the store. Crash recovery (coord_recover) and the archive of
 * finished jobs (coord_archive) read the store themselves but write through here.
 *
 * Keys (DESIGN §5, the original's names; the JSON of coord_record.c):
 *   job:<id>            the job record: written at creation, when sealed and at its
 *                       final status at once, counter changes written behind
 *   task:<id>           the task record, written behind
 *   pending_tasks       list of the task records waiting for capacity
 *   tasks:<wid>         list of the task records assigned to a worker, not started
 *                       (the exact JSON pushed is kept on the task for the LREM)
 *   heartbeat:<wid>     the worker's last heartbeat, with a TTL of heartbeat_ttl
 *   metrics:<wid>       the worker's last cpu/memory figures
 *   jobs:active         ids of the jobs not yet final (recovery reads only this)
 *   jobs:finished       ids of final jobs whose records are kept (coord_archive)
 * A final job's job:<id> and task:<id> records get an EXPIRE of the retention (when
 * > 0); when the job manager forgets the job they are deleted.
 *
 * Written behind: a changed task or job goes on a dirty list (intrusive, through the
 * dirty/dirty_next fields of coord_task and coord_job, which belong to this module) and
 * is written on the next coord_persist_flush: the job manager calls it from its
 * write-behind deadline (at most 50 ms later), before a final status, and whenever a
 * caller needs the store current (coord_jm_flush before a store_sync). So a task that
 * goes pending -> assigned -> running -> completed within that window costs one SET.
 *
 * Every write is fire-and-forget on the store (completions in issue order; a caller
 * that must know they landed issues store_sync after coord_jm_flush). Single-threaded:
 * the store's loop thread. Prefix: coord_persist_. */
#ifndef AL_COORD_PERSIST_H
#define AL_COORD_PERSIST_H

#include <stddef.h>

#include "common/al.h"
#include "coord/coord_jm.h"
#include "store/store.h"

#define COORD_ACTIVE_JOBS_KEY "jobs:active"
#define COORD_FINISHED_JOBS_KEY "jobs:finished"

typedef struct coord_persist coord_persist;

/* st is borrowed and must outlive the module. heartbeat_ttl: seconds heartbeat:<wid>
 * lives; retention: seconds a final job's records are kept (<= 0: forever). Never
 * NULL. */
coord_persist *coord_persist_new(store *st, double heartbeat_ttl, double retention);
/* Writes nothing: records still on the dirty lists are dropped (call coord_jm_flush
 * first to keep them). */
void coord_persist_free(coord_persist *p);
store *coord_persist_store(const coord_persist *p);
double coord_persist_retention(const coord_persist *p);

/* Fills *out with the job manager's record hooks, all wired to p (ud = p). */
void coord_persist_records(coord_persist *p, coord_jm_records *out);

/* The hooks' implementations, callable directly (recovery, tests). */
void coord_persist_task_changed(coord_persist *p, coord_task *t); /* behind */
void coord_persist_job_changed(coord_persist *p, coord_job *j);   /* behind */
void coord_persist_job_created(coord_persist *p, coord_job *j);   /* record now, into jobs:active */
void coord_persist_job_sealed(coord_persist *p, coord_job *j);    /* record now */
/* Everything behind first, then the job record, its retention and its move from
 * jobs:active to jobs:finished. */
void coord_persist_job_final(coord_persist *p, coord_job *j);
/* Retention over: every dirty record is written (none may point into j afterwards),
 * then j's records and list entries are deleted. */
void coord_persist_job_forgotten(coord_persist *p, coord_job *j);
void coord_persist_flush(coord_persist *p);
/* heartbeat:<wid> (TTL heartbeat_ttl) and metrics:<wid> from w's last figures; wall is
 * the heartbeat's time (epoch seconds). */
void coord_persist_heartbeat(coord_persist *p, const coord_worker *w, double wall);
void coord_persist_worker_gone(coord_persist *p, const coord_worker *w);
/* 0 while the store cannot take more writes (the job manager then holds dispatch). */
int coord_persist_writable(const coord_persist *p);

/* ---- recovery and archive upkeep ---- */
/* Rewrites j's task records and job record at once (after recovery restored their
 * timestamps) and its index entry (jobs:active, or the final bookkeeping above). */
void coord_persist_rewrite_job(coord_persist *p, coord_job *j);
/* A job id listed in jobs:active whose record is gone. */
void coord_persist_unindex(coord_persist *p, const char *job_id);
/* A final job still listed in jobs:active (a crash between its final write and the
 * index update): its records (job and total_tasks task records) get their retention
 * and it leaves the index. */
void coord_persist_retire(coord_persist *p, const char *job_id, size_t total_tasks);
/* Drops a queue list before recovery rebuilds it: pending_tasks (worker_id NULL) or
 * tasks:<worker_id>. */
void coord_persist_drop_queue(coord_persist *p, const char *worker_id);
/* A job id listed in jobs:finished whose record has expired. */
void coord_persist_unlist_finished(coord_persist *p, const char *job_id);

/* The records' JSON (coord_record.c): the original's json.dumps form (field names of
 * §3.1/§3.2, separators ", " and ": ", ensure_ascii). Appends to out (caller owns it). */
void coord_job_to_json(const coord_job *j, al_buf *out);
void coord_task_to_json(const coord_task *t, al_buf *out);
/* The heartbeat:<wid> and metrics:<wid> values. */
void coord_heartbeat_to_json(const coord_worker *w, double wall, al_buf *out);
void coord_metrics_to_json(const coord_worker *w, al_buf *out);

#endif
