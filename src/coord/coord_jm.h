/* The job manager: all coordinator scheduling state (workers, jobs, tasks, queues,
 * leases, deadlines) as single-threaded data. No sockets, files, store or timers of its
 * own: time is read through an injectable clock, deadlines are reported through a hook
 * (the server arms one timer), every change that must be kept is reported through the
 * record hooks (coord_jm_records; coord_persist.h writes the store), and everything
 * that must reach a worker or a subscriber leaves through hooks. The
 * server (coord_server.c) calls in on every message; unit tests drive it directly.
 *
 * Ownership: the job manager owns every coord_job, coord_task and coord_worker; the
 * pointers it hands out stay valid until the object is freed, which happens only
 * inside coord_jm_* calls: a worker is freed when it is declared dead (after the
 * worker_gone hook); a finished job and its tasks when its retention expires (inside
 * coord_jm_on_timer; the job_forgotten hook fires first) or when the manager is
 * destroyed. Strings passed in are copied.
 *
 * Task state machine (see docs/ARCHITECTURE-coord.md):
 *   pending --assign--> assigned --started--> running --result ok--> completed
 *   assigned/running --worker failure, timeout, dead worker, stolen--> pending
 *     (retries+1 and backoff for failures; stolen/drained tasks keep retries)
 *   retries > max_retries --> failed (with the last error)
 * Every assignment increments the task's attempt number (its lease); started/result
 * messages carrying another attempt, or from a worker that no longer holds the task,
 * are stale: rejected and logged. */
#ifndef AL_COORD_JM_H
#define AL_COORD_JM_H

#include <stddef.h>
#include <stdint.h>

#include "common/al.h"

/* Tasks one job may hold. Task ids are "<job_id>-%06zu": six digits at least, more
 * past 999,999, so ids stay unique and deterministic at any size. The bound only
 * protects the coordinator's memory from a runaway submitter. */
#define COORD_MAX_TASKS_PER_JOB ((size_t)100000000)

typedef enum {
  COORD_TASK_PENDING = 0,
  COORD_TASK_ASSIGNED,
  COORD_TASK_RUNNING,
  COORD_TASK_COMPLETED,
  COORD_TASK_FAILED
} coord_task_status;

typedef enum {
  COORD_JOB_PENDING = 0,
  COORD_JOB_RUNNING,
  COORD_JOB_COMPLETED,
  COORD_JOB_COMPLETED_WITH_ERRORS,
  COORD_JOB_FAILED,
  COORD_JOB_CANCELLED,
  COORD_JOB_TIMEOUT
} coord_job_status;

typedef enum {
  COORD_STRATEGY_ROUND_ROBIN = 0,
  COORD_STRATEGY_LEAST_BUSY,
  COORD_STRATEGY_DYNAMIC
} coord_strategy_kind;

const char *coord_task_status_name(coord_task_status s);
const char *coord_job_status_name(coord_job_status s);
const char *coord_strategy_name(coord_strategy_kind k);
/* Parses "round_robin", "least_busy", "dynamic"; -1 for anything else. */
int coord_strategy_parse(const char *name);
int coord_job_status_is_final(coord_job_status s);

/* One armed deadline, embedded in the object it belongs to (intrusive min-heap). */
typedef struct coord_timer {
  double deadline; /* monotonic seconds */
  uint32_t idx;    /* position in the heap (at most COORD_HEAP_MAX); UINT32_MAX when not armed.
                    * 32 bits keep the timer in 16 bytes, in every task, job and worker */
  int kind;        /* which owner type (private to the manager) */
} coord_timer;

/* A shard written by a task, as reported in its result (for the job's index.json). */
typedef struct coord_shard_info {
  char *path;      /* relative to the job's output_dir or absolute, as reported */
  int64_t samples, tokens, bytes;
  char *sha256;    /* hex, may be NULL */
  char **files;    /* source files of the samples in this shard */
  size_t n_files;
} coord_shard_info;

typedef struct coord_skip_info {
  char *path;
  char *reason;
} coord_skip_info;

/* A task result as reported by a worker. Fields mirror the original's result object
 * {samples_processed, shards_written, skipped, status} plus the manifest data. */
typedef struct coord_task_result {
  char *status; /* "success" or "no_samples" */
  int64_t samples_processed, shards_written, skipped, tokens;
  int64_t bytes_read;   /* input bytes the attempt read */
  int permanent;        /* failed attempt: a retry would fail the same way */
  int has_counts;  /* the worker reported the row counts below */
  int64_t documents, ids_encoded, ids_truncated, padding;
  coord_shard_info *shards;
  size_t n_shards;
  coord_skip_info *skips;
  size_t n_skips;
} coord_task_result;

/* Deep copy / release helpers for results built by the server's decoder. */
void coord_task_result_free(coord_task_result *r);
void coord_task_result_move(coord_task_result *dst, coord_task_result *src);

typedef struct coord_job coord_job;
typedef struct coord_worker coord_worker;

/* Where a task currently sits. */
typedef enum {
  COORD_IN_NONE = 0, /* terminal */
  COORD_IN_PENDING,  /* in the pending queue, waiting for capacity */
  COORD_IN_BACKOFF,  /* waiting out its retry backoff (timer armed) */
  COORD_IN_QUEUED,   /* assigned to a worker, not started */
  COORD_IN_RUNNING,  /* started on a worker (task_timeout armed) */
  COORD_IN_COMMITTING /* its result is being verified and published (commit hook); the
                       * lease is frozen: no requeue, no timeout, no second result */
} coord_task_place;

typedef struct coord_task {
  char *id;       /* "<job_id>-%06zu" */
  coord_job *job;
  size_t index;
  coord_task_status status;
  coord_task_place place;
  int retries;
  uint32_t attempt;     /* lease number of the current/last assignment; 0 = never */
  char **files;
  size_t n_files;
  char *output_dir;     /* <job output_dir>/task_<id>: where a committed attempt is published */
  char *staging_dir;    /* <job output_dir>/.staging/task_<id>.a<attempt>.<instance>: where the
                         * current attempt writes (set at each assignment) */
  coord_worker *worker; /* holder while assigned/running */
  char *last_worker_id; /* worker of the last finished attempt: a retry prefers another;
                         * the task record's worker_id once no worker holds it */
  double assigned_at, started_at, completed_at, failed_at; /* wall seconds; 0 = unset */
  coord_task_result result;
  int has_result;
  int restoring;        /* restored as completed, its published shards being checked */
  char *error;          /* last error, NULL if none */
  /* the record hooks' bookkeeping (coord_persist), freed with the task: */
  char *queue_item;     /* the JSON pushed to the store list listed_key, while there */
  char *listed_key;     /* the store list holding queue_item ("pending_tasks", "tasks:<wid>") */
  int dirty;            /* changed since task:<id> was last written */
  struct coord_task *dirty_next;
  double queued_mono;   /* when it was assigned to its current worker (monotonic) */
  coord_timer timer;    /* backoff release or task_timeout */
  struct coord_task *prev, *next; /* links in the pending queue or a worker list */
} coord_task;

/* Intrusive FIFO of tasks. */
typedef struct coord_task_list {
  coord_task *head, *tail;
  size_t n;
} coord_task_list;

/* Skipped files of a job counted by reason: the reason text up to its first ": " (the
 * detail after it varies per file). Bounded: reasons beyond the limit count as "other". */
#define COORD_MAX_SKIP_REASONS 32
typedef struct coord_reason_count {
  char *reason;
  int64_t count;
} coord_reason_count;

typedef struct coord_job_config {
  char *input_dir, *output_dir, *tokenizers_dir;
  int64_t max_seq_len, shard_size;
  double timeout_s;      /* job timeout; <= 0 means none */
  double task_timeout_s; /* per-task timeout for this job; <= 0: the manager's */
  char *name;            /* optional job name, NULL when none */
  char *long_documents;  /* "split", or NULL for the default (truncate) */
  char *packing;         /* "greedy", or NULL for the default (none) */
  int detect_text;
  char *jsonl_field;     /* NULL for the default ("text") */
} coord_job_config;

struct coord_job {
  char *id;
  coord_job_status status;
  double created_at, completed_at; /* wall seconds */
  coord_job_config config;
  coord_task **tasks; /* by index */
  size_t total_tasks, cap_tasks;
  size_t completed_tasks, failed_tasks, retried_tasks;
  int sealed;          /* no more tasks will be added */
  /* accumulated results of successful tasks */
  int64_t samples, tokens, shards_written, skipped;
  int64_t documents, ids_encoded, ids_truncated, padding;
  coord_reason_count skip_reasons[COORD_MAX_SKIP_REASONS]; /* by reason; the last is "other" when full */
  size_t n_skip_reasons;
  int64_t bytes_read;  /* input bytes read by the completed tasks */
  coord_timer timer;   /* job timeout */
  char *final_error;   /* for failed/timeout/cancelled: why */
  size_t committing;   /* tasks whose result is being verified/published */
  int finalizing;      /* the finalize hook runs (manifest); status not yet final */
  coord_job_status pending_final; /* the status the job ends with once nothing is committing */
  int has_pending_final;
  int verify_sha256;   /* job.verify_shards: sha256 (1) or header (0) */
  int owns_output;     /* --resume: every task_* directory the manifest does not list goes */
  void *resume;        /* the server's coord_resume while tasks are submitted (--resume) */
  int dirty;           /* counters changed since job:<id> was last written (coord_persist) */
  struct coord_job *dirty_next;
};

struct coord_worker {
  char *id;
  int slots;
  /* flags next to slots: no padding hole in a record every connected worker has */
  uint8_t connected;
  uint8_t draining;
  double last_seen;      /* monotonic */
  double cpu, mem;       /* percentages; < 0 = unknown (counts as 50) */
  coord_task_list queued, running;
  uint64_t tasks_completed, tasks_failed, samples_processed;
  /* from its last heartbeat (0 until one arrives): process RSS, input bytes read and
   * token ids written by its completed tasks, seconds its process has run */
  uint64_t rss_bytes, bytes_processed, tokens;
  double uptime_s;
  coord_timer timer;     /* liveness deadline (lazy: re-armed when it fires early) */
  void *conn;            /* the server's connection for this worker, or NULL */
};

typedef struct coord_jm_params {
  double heartbeat_interval; /* s, informative (liveness check granularity) */
  double heartbeat_timeout;  /* s */
  int max_retries;
  double retry_backoff, retry_backoff_multiplier, max_retry_backoff; /* s, x, s */
  double task_timeout;       /* s; <= 0 disables */
  int prefetch;              /* extra assigned tasks beyond slots per worker */
  coord_strategy_kind strategy;
  int work_stealing;         /* 1 = enabled */
  double steal_after;        /* s a task must have waited, not started, before it can be
                              * stolen (its task_started may be in flight); default 1 */
  double retention;          /* s a finished job is kept (in memory and in the store)
                              * after its final state; <= 0 = forever (default) */
} coord_jm_params;

/* Defaults: the original's values (10, 30, 3, 5, x2, 300, 3600), prefetch 2,
 * round_robin, stealing on. */
void coord_jm_params_default(coord_jm_params *p);

/* Everything the manager asks of its environment. Any hook may be NULL. Hooks must not
 * call back into the manager (they queue outgoing messages). */
typedef struct coord_jm_hooks {
  void *ud;
  double (*now)(void *ud);  /* monotonic seconds; NULL = al_mono_s */
  double (*wall)(void *ud); /* epoch seconds; NULL = al_wall_s */
  /* Send a task assignment (task->attempt is the lease) to w. */
  void (*assign)(void *ud, coord_worker *w, coord_task *t);
  /* Tell w to abandon task t (attempt given: the lease being revoked). */
  void (*revoke)(void *ud, coord_worker *w, coord_task *t, uint32_t attempt, const char *why);
  /* A job's counters or status changed (progress events). */
  void (*job_changed)(void *ud, coord_job *j);
  /* A job reached a final status. */
  void (*job_finished)(void *ud, coord_job *j);
  /* A worker was declared dead and is about to be freed: the server must drop its
   * pointer (and close the connection if one is still open). */
  void (*worker_gone)(void *ud, coord_worker *w);
  /* The earliest deadline changed; arm a timer for it (< 0: nothing armed). When it
   * expires call coord_jm_on_timer. */
  void (*timer)(void *ud, double deadline);
  /* A finished job's retention expired: j and its tasks are freed after this. */
  void (*job_forgotten)(void *ud, coord_job *j);
  /* A worker reported a successful result for t (moved into t->result); t is now
   * COORD_IN_COMMITTING. The server verifies and publishes it off the loop and then
   * calls coord_jm_task_committed exactly once. NULL: results are accepted as they are
   * (unit tests of the manager). */
  void (*commit)(void *ud, coord_task *t);
  /* Every task of j has ended and nothing is committing: the server writes the
   * manifest (with status st) and cleans the output directory off the loop, then calls
   * coord_jm_job_finalized exactly once. Until then the job is not final and no client
   * is told. NULL: the job ends at once. */
  void (*finalize)(void *ud, coord_job *j, coord_job_status st);
  /* t was restored as completed (coord_jm_restore_task) and is COORD_IN_COMMITTING:
   * the server checks off the loop that the shards of t->result are still published
   * as recorded, then calls coord_jm_task_committed exactly once (paths NULL). Not ok:
   * the task runs again. NULL: restored results count as they are. */
  void (*restore)(void *ud, coord_task *t);
} coord_jm_hooks;

/* What the manager reports for its records to be kept (coord_persist_records fills it
 * for the state store). The manager says what changed and when it must be written;
 * the receiver decides what that means in the store. Any member may be NULL; hooks
 * must not call back into the manager. */
typedef struct coord_jm_records {
  void *ud;
  /* t or j changed; the record may be written behind, until the next flush. The
   * manager calls flush at most 50 ms later (its write-behind deadline). */
  void (*task_changed)(void *ud, coord_task *t);
  void (*job_changed)(void *ud, coord_job *j);
  /* At once: a new job (it is unfinished from now on), a sealed job. */
  void (*job_created)(void *ud, coord_job *j);
  void (*job_sealed)(void *ud, coord_job *j);
  /* j reached its final status: everything written behind goes first, then j, at once. */
  void (*job_final)(void *ud, coord_job *j);
  /* j's retention is over: j and its tasks are freed after this returns. */
  void (*job_forgotten)(void *ud, coord_job *j);
  /* Write everything behind now. */
  void (*flush)(void *ud);
  /* A heartbeat from w updated its figures (wall: epoch seconds of it). */
  void (*heartbeat)(void *ud, const coord_worker *w, double wall);
  /* w was declared dead; it is freed after this returns. */
  void (*worker_gone)(void *ud, const coord_worker *w);
  /* 0 while the records cannot be kept (the store is behind): dispatch holds. */
  int (*writable)(void *ud);
} coord_jm_records;

typedef struct coord_jm coord_jm;

/* rec may be NULL (nothing is kept). The table is copied; its ud is borrowed. */
coord_jm *coord_jm_new(const coord_jm_params *p, const coord_jm_hooks *h, const coord_jm_records *rec);
void coord_jm_free(coord_jm *jm);
const coord_jm_params *coord_jm_params_get(const coord_jm *jm);

void coord_jm_set_strategy(coord_jm *jm, coord_strategy_kind k);
coord_strategy_kind coord_jm_strategy(const coord_jm *jm);

/* ---- workers ---- */
/* A worker says hello. A known id (reconnecting within heartbeat_timeout) gets its
 * record back with its tasks, and every lease it holds is sent again (assign hook,
 * same attempt) since messages on the old connection may be lost; the previous
 * connection, if any, is detached (conn set to the new one). Returns the worker
 * (owned by the manager). slots >= 1. */
coord_worker *coord_jm_worker_join(coord_jm *jm, const char *id, int slots, void *conn);
/* Any message from w: refreshes liveness. */
void coord_jm_worker_seen(coord_jm *jm, coord_worker *w);
/* Heartbeat metrics (cpu/mem percentages; negative = unknown). */
void coord_jm_worker_metrics(coord_jm *jm, coord_worker *w, double cpu, double mem,
                             uint64_t tasks_completed, uint64_t tasks_failed, uint64_t samples);
/* Connection lost: w keeps its tasks until heartbeat_timeout passes without a rejoin. */
void coord_jm_worker_disconnected(coord_jm *jm, coord_worker *w);
/* The worker stops taking new tasks; its queued tasks go back to pending. */
void coord_jm_worker_drain(coord_jm *jm, coord_worker *w);
/* Declares w dead now: its tasks are requeued, worker_gone fires, w is freed. */
void coord_jm_worker_dead(coord_jm *jm, coord_worker *w, const char *why);
coord_worker *coord_jm_worker_find(coord_jm *jm, const char *id);
size_t coord_jm_worker_count(const coord_jm *jm);
coord_worker *coord_jm_worker_at(const coord_jm *jm, size_t i);

/* ---- jobs ---- */
/* Creates a job in status pending. id NULL = a fresh uuid4. Fails (NULL, err set:
 * AL_E_BAD_FIELD for an id that is not a safe name, AL_E_BAD_STATE when it exists).
 * The config strings are copied. */
coord_job *coord_jm_job_create(coord_jm *jm, const char *id, const coord_job_config *cfg, al_err *err);
/* Adds one task with the given files (copied). Job becomes running. Fails when the job
 * is sealed or final (AL_E_BAD_STATE) or holds COORD_MAX_TASKS_PER_JOB (AL_E_LIMIT).
 * Returns the task. */
coord_task *coord_jm_job_add_task(coord_jm *jm, coord_job *j, const char *const *files,
                                  size_t n_files, al_err *err);
/* Same, for a task whose output a previous run already holds (--resume): it is added
 * completed with the result *done (moved out), never dispatched. done NULL = add_task. */
coord_task *coord_jm_job_add_task_done(coord_jm *jm, coord_job *j, const char *const *files, size_t n_files,
                                       coord_task_result *done, al_err *err);
/* No more tasks; the job can now complete. AL_E_BAD_STATE when it is already final. */
int coord_jm_job_seal(coord_jm *jm, coord_job *j, al_err *err);
/* Cancels: stops dispatch, revokes its tasks on workers; final status cancelled. */
int coord_jm_job_cancel(coord_jm *jm, coord_job *j, const char *why);
coord_job *coord_jm_job_find(coord_jm *jm, const char *id);
size_t coord_jm_job_count(const coord_jm *jm);
coord_job *coord_jm_job_at(const coord_jm *jm, size_t i);
/* Finds a task by id ("<job_id>-NNNNNN"). */
coord_task *coord_jm_task_find(coord_jm *jm, const char *task_id);

/* ---- task lifecycle reported by workers ---- */
enum { COORD_OK = 0, COORD_STALE = 1, COORD_UNKNOWN = 2 };
/* task_started from w for (task_id, attempt). Returns COORD_OK or COORD_STALE/UNKNOWN
 * (logged; the server tells the worker to abandon it). */
int coord_jm_task_started(coord_jm *jm, coord_worker *w, const char *task_id, uint32_t attempt);
/* task_result. ok: result is moved out of *res (res may be NULL). !ok: error text. */
int coord_jm_task_result(coord_jm *jm, coord_worker *w, const char *task_id, uint32_t attempt,
                         int ok, coord_task_result *res, const char *error);
/* Outcome of the commit hook for (task_id, attempt). ok: the published shards'
 * paths replace the result's (paths: n entries, relative to the job's output dir,
 * copied; NULL keeps them). !ok: the attempt failed with error (retried as any worker
 * failure). Unknown or no longer committing tasks are ignored. */
void coord_jm_task_committed(coord_jm *jm, const char *task_id, uint32_t attempt, int ok,
                             const char *const *paths, size_t n, const char *error);
/* Outcome of the finalize hook for job j: ok, or the manifest could not be written
 * (error says why; the job ends failed with it). The final status is then written to
 * the store and job_changed/job_finished fire. */
void coord_jm_job_finalized(coord_jm *jm, coord_job *j, int ok, const char *error);

/* What a previous coordinator recorded for a task (crash recovery, coord_recover). */
typedef struct coord_task_restore {
  coord_task_status status;   /* COMPLETED, FAILED, or anything else: back to pending */
  int retries;
  uint32_t attempt;           /* the last lease; the next assignment takes attempt + 1, so
                               * a worker still holding the old lease is stale */
  const char *worker_id;      /* who held or finished it (the record's worker_id); may be NULL */
  const char *error;          /* FAILED: why (NULL: a generic reason) */
  coord_task_result *result;  /* COMPLETED: moved out; may be NULL (no result recorded) */
  double assigned_at, started_at, completed_at, failed_at; /* wall seconds recorded; 0 = unknown
                               * (completed_at/failed_at then: when restored) */
} coord_task_restore;
/* Restores t, as coord_jm_job_add_task left it (pending, never assigned), to what a
 * previous coordinator recorded. Completed: with a restore hook the task waits
 * (COORD_IN_COMMITTING) for the hook's check of its published shards, reported through
 * coord_jm_task_committed; ok completes it and counts it, not ok sends it back to
 * pending without counting a retry (it runs again and writes the same paths). Without
 * the hook it completes at once. Failed: failed for good with the error, counted in
 * failed_tasks (not in the failed attempts of this manager's metrics). Otherwise it
 * stays pending with the recorded retries and lease. Returns 0, or -1 with err
 * (AL_E_BAD_STATE) when t is not a pending, never-assigned task of an unfinished job. */
int coord_jm_restore_task(coord_jm *jm, coord_task *t, const coord_task_restore *r, al_err *err);

/* A reconnecting worker claims it holds (task_id, attempt). COORD_OK when that lease
 * is current and held by w; otherwise the worker must abandon it. */
int coord_jm_task_claim(coord_jm *jm, coord_worker *w, const char *task_id, uint32_t attempt);

/* ---- time ---- */
/* Processes every expired deadline (dead workers, backoff releases, task and job
 * timeouts) and re-reports the next deadline. */
void coord_jm_on_timer(coord_jm *jm);
double coord_jm_next_deadline(const coord_jm *jm);

/* Has every pending record change written now (the flush record hook). Records are
 * otherwise written behind, at most JOB_FLUSH_DELAY (50 ms) after the change, so a
 * task that passes through several states in that time costs one write; final job
 * states are flushed at once. Call before store_sync when the store must be current. */
void coord_jm_flush(coord_jm *jm);

/* ---- counters for status and tests ---- */
size_t coord_jm_pending_count(const coord_jm *jm);
size_t coord_jm_backoff_count(const coord_jm *jm);
uint64_t coord_jm_stale_count(const coord_jm *jm);
/* Failed attempts since the manager started (retried or final), by coord_reason. */
uint64_t coord_jm_attempts_failed(const coord_jm *jm, int reason);

#endif
