/* Auralith client: a blocking connection to a coordinator for administration
 * (workers, jobs, tasks, cancel, strategy, drain, progress events) and for submitting
 * jobs. The equivalent of the original's DistributedClient, over the wire protocol
 * instead of reading Redis directly. Prefix: al_.
 *
 *   al_err err;
 *   al_client *c = al_connect("127.0.0.1:8080", AL_ROLE_ADMIN, NULL, 10.0, &err);
 *   if (!c) { fprintf(stderr, "%s\n", err.msg); return 1; }
 *   al_worker_list ws = {0};
 *   if (al_list_workers(c, &ws, &err) == 0)
 *     for (size_t i = 0; i < ws.n; i++) printf("%s %.1f%%\n", ws.v[i].id, ws.v[i].cpu_percent);
 *   al_worker_list_free(&ws);
 *   al_close(c);
 *
 * Blocking and bounded: every call waits at most the timeout given to al_connect
 * (poll() on a non-blocking socket), so a dead coordinator never hangs a caller.
 * A client is not thread-safe: use one per thread. SIGPIPE is never raised.
 *
 * Errors: functions returning int give 0 on success and -1 on failure; functions
 * returning a pointer give NULL on failure. The al_err (auralith/error.h) then holds
 * one line fit for a user, e.g.
 *   "cannot connect to coordinator 10.0.0.5:8080: Connection refused"
 *   "job not found: 4f1c..."
 * and a code: al_err_code of auralith/error.h (1-99 the coordinator's error codes as
 * docs/PROTOCOL.md numbers them, 100-109 raised by the client itself, 110-113 the
 * pipeline's config file).
 *
 * Memory: result structs (al_job, al_task, lists) are filled by the library and owned
 * by the caller, who releases them with the matching al_*_free. Those free functions
 * release what the struct points to (not the struct itself, which is usually on the
 * caller's stack) and zero it, so freeing twice or freeing a zeroed struct is safe.
 * Strings passed in are only read during the call. */
#ifndef AURALITH_CLIENT_H
#define AURALITH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auralith/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default coordinator address, and the environment variables consulted when a caller
 * passes NULL for the address or the token. */
#define AL_DEFAULT_ADDRESS "127.0.0.1:8080"
#define AL_ENV_COORDINATOR "AURALITH_COORDINATOR"
#define AL_ENV_AUTH_TOKEN "AURALITH_AUTH_TOKEN"
/* TLS settings consulted when a caller passes no al_tls_options (al_connect): TLS is
 * on when AURALITH_TLS_CA is set and non-empty (docs/SECURITY.md). */
#define AL_ENV_TLS_CA "AURALITH_TLS_CA"
#define AL_ENV_TLS_SERVER_NAME "AURALITH_TLS_SERVER_NAME"
#define AL_ENV_TLS_CERT "AURALITH_TLS_CERT"
#define AL_ENV_TLS_KEY "AURALITH_TLS_KEY"
/* Per-role secrets, consulted before AURALITH_AUTH_TOKEN (docs/SECURITY.md). */
#define AL_ENV_CLIENT_TOKEN "AURALITH_CLIENT_TOKEN"
#define AL_ENV_ADMIN_TOKEN "AURALITH_ADMIN_TOKEN"
#define AL_DEFAULT_TIMEOUT_S 10.0
/* Progress events buffered between al_next_event calls; when more arrive, the oldest
 * are dropped (each event is a full snapshot, so only the newest matters). */
#define AL_MAX_PENDING_EVENTS 256
/* Upper bound of one submit_tasks frame built by al_submit_tasks (bytes of paths). */
#define AL_BATCH_MAX_BYTES ((size_t)4 << 20)
#define AL_BATCH_MAX_TASKS 4096

typedef enum al_role { AL_ROLE_SUBMITTER = 2, AL_ROLE_ADMIN = 3 } al_role;

typedef struct al_client al_client;

/* A worker as the coordinator sees it. */
typedef struct al_worker {
  char *id;
  char *state;              /* "alive", "draining", "disconnected" */
  uint32_t slots;           /* concurrent tasks it accepts */
  uint32_t running;         /* tasks it is executing */
  uint32_t queued;          /* tasks assigned and not yet started */
  double cpu_percent;
  double mem_percent;
  uint64_t rss_bytes;
  uint64_t tasks_completed;
  uint64_t tasks_failed;
  double last_seen_s;       /* seconds since anything arrived from it */
  uint64_t bytes_processed; /* input bytes its completed tasks read (its last heartbeat) */
  uint64_t tokens;          /* token ids its completed tasks wrote (its last heartbeat) */
  double uptime_s;          /* seconds its process has run (its last heartbeat) */
} al_worker;

typedef struct al_worker_list {
  al_worker *v;
  size_t n;
} al_worker_list;

/* Job and task statuses. The wire and the records carry them as the original's strings;
 * al_job.state / al_task.state hold the enum, AL_JOB_UNKNOWN / AL_TASK_UNKNOWN when a
 * coordinator sends a status this library does not know (the string is still in
 * .status). The _name functions give the wire string ("unknown" for UNKNOWN or a value
 * out of range); the _parse functions return 0 and set *out, or -1 (AL_E_ARG, err names
 * the string) for anything else. */
typedef enum al_job_state {
  AL_JOB_UNKNOWN = 0,
  AL_JOB_PENDING,
  AL_JOB_RUNNING,
  AL_JOB_COMPLETED,
  AL_JOB_COMPLETED_WITH_ERRORS,
  AL_JOB_FAILED,
  AL_JOB_CANCELLED,
  AL_JOB_TIMEOUT
} al_job_state;

typedef enum al_task_state {
  AL_TASK_UNKNOWN = 0,
  AL_TASK_PENDING,
  AL_TASK_ASSIGNED,
  AL_TASK_RUNNING,
  AL_TASK_COMPLETED,
  AL_TASK_FAILED,
  AL_TASK_CANCELLED
} al_task_state;

const char *al_job_state_name(al_job_state s);
int al_job_state_parse(const char *s, al_job_state *out, al_err *err);
/* True for the states after which a job never changes again. */
bool al_job_state_is_final(al_job_state s);
const char *al_task_state_name(al_task_state s);
int al_task_state_parse(const char *s, al_task_state *out, al_err *err);

/* A job snapshot (get job, list jobs, progress events). */
/* Files skipped for one reason (the reason's text before its first ": "). */
typedef struct al_reason_count {
  char *reason;
  uint64_t count;
} al_reason_count;

typedef struct al_job {
  char *id;
  char *name;               /* NULL when the submitter gave none */
  char *status;             /* pending, running, completed, completed_with_errors,
                               failed, cancelled, timeout */
  al_job_state state;      /* status as an enum */
  char *created_at;         /* the original's ISO format; NULL when unknown */
  char *completed_at;       /* NULL until the job ends */
  uint64_t total_tasks;
  uint64_t completed_tasks;
  uint64_t failed_tasks;
  uint64_t retried_tasks;
  uint64_t samples;
  uint64_t tokens;
  uint64_t bytes;           /* input bytes read by the completed tasks */
  bool sealed;              /* every task has been submitted */
  char **errors;            /* last errors of failed tasks (n_errors strings) */
  size_t n_errors;
  /* Counts of the finished tasks (docs/FORMAT.md); 0 from a coordinator without them. */
  uint64_t documents;       /* documents written */
  uint64_t ids_encoded;     /* ids of their whole encodings */
  uint64_t ids_truncated;   /* ids dropped by truncation */
  uint64_t padding;         /* padding positions of the rows */
  uint64_t skipped;         /* files skipped */
  al_reason_count *skip_reasons; /* n_skip_reasons entries (not in job lists) */
  size_t n_skip_reasons;
  double elapsed_s;         /* seconds from creation to the final state, or to now */
} al_job;

typedef struct al_job_list {
  al_job *v;
  size_t n;
  bool more;  /* older jobs remain (al_list_jobs_page with after = v[0].id) */
} al_job_list;

/* The original's get_metrics(): throughput is percent complete
 * (completed / max(1,total) * 100), error_rate is failed / max(1,total). */
typedef struct al_metrics {
  uint64_t total_tasks;
  uint64_t completed_tasks;
  uint64_t failed_tasks;
  double throughput;         /* the original's name: percent of tasks completed */
  double error_rate;         /* failed / total */
  uint64_t bytes;            /* input bytes read by the completed tasks */
  uint64_t tokens;           /* token ids written */
  double elapsed_s;          /* seconds from creation to the final state, or to now */
  double mb_per_s;           /* bytes / elapsed / 1e6; 0 before any time has passed */
  double ids_per_s;          /* tokens / elapsed */
} al_metrics;

typedef struct al_task {
  char *id;
  char *job_id;
  char *status;             /* pending, assigned, running, completed, failed, cancelled */
  al_task_state state;     /* status as an enum */
  char *worker_id;          /* current or last worker; NULL when never assigned */
  char *error;              /* last error; NULL when none */
  uint32_t attempts;        /* leases handed out so far */
  uint32_t retries;
  uint64_t files;           /* files in the task */
} al_task;

/* ---- Connection -------------------------------------------------------------------- */

/* Connects to a coordinator and performs the hello handshake.
 * address: "host:port", "[v6addr]:port"; NULL = $AURALITH_COORDINATOR, else
 *   AL_DEFAULT_ADDRESS.
 * token: auth token; NULL = $AURALITH_AUTH_TOKEN (none when unset or empty).
 * timeout_s: bound for the connect, the handshake and every later request; <= 0 means
 *   AL_DEFAULT_TIMEOUT_S.
 * Returns a client the caller owns (release with al_close), or NULL with err set. */
al_client *al_connect(const char *address, al_role role, const char *token, double timeout_s,
                        al_err *err);

/* TLS to the coordinator: PEM file paths, read during the connect. */
typedef struct al_tls_options {
  const char *ca;          /* CA of the coordinator's certificate; NULL or "" = plaintext */
  const char *server_name; /* name or IP its certificate must carry; NULL = the address's host */
  const char *cert;        /* client certificate and key to present (both or neither) */
  const char *key;
} al_tls_options;

/* al_connect with explicit TLS settings. tls NULL: from $AURALITH_TLS_CA,
 * $AURALITH_TLS_SERVER_NAME, $AURALITH_TLS_CERT, $AURALITH_TLS_KEY (plaintext when
 * AURALITH_TLS_CA is unset). With TLS, nothing (the token included) is sent before the
 * coordinator's certificate is verified; failures give AL_E_TLS with the reason. */
al_client *al_connect_tls(const char *address, al_role role, const char *token, double timeout_s,
                            const al_tls_options *tls, al_err *err);

/* Closes the connection and frees the client (NULL is fine). */
void al_close(al_client *c);

/* The address connected to, as given ("host:port"); owned by the client. */
const char *al_address(const al_client *c);
/* The coordinator's software version from the handshake ("auralith 0.1.0") or "";
 * owned by the client. */
const char *al_server_version(const al_client *c);
/* The dispatch strategy the coordinator used when this connection was opened
 * ("round_robin", "least_busy", "dynamic"), or "" from a coordinator that does not say.
 * Borrowed: valid until al_close. */
const char *al_server_strategy(const al_client *c);
/* Changes the per-request timeout (seconds, > 0). */
void al_set_timeout(al_client *c, double timeout_s);

/* ---- Administration (role admin or submitter) ---------------------------------------- */

/* Every worker the coordinator knows. *out is overwritten (treated as uninitialised);
 * release with al_worker_list_free. */
int al_list_workers(al_client *c, al_worker_list *out, al_err *err);
void al_worker_list_free(al_worker_list *l);

/* The most recent jobs, oldest first; limit 0 = a full page (the coordinator sends at
 * most 1000 jobs per reply). Release with al_job_list_free. */
int al_list_jobs(al_client *c, uint32_t limit, al_job_list *out, al_err *err);
/* One page of jobs created before job `after` (NULL = the newest), oldest first;
 * out->more says whether older jobs remain. */
int al_list_jobs_page(al_client *c, uint32_t limit, const char *after, al_job_list *out, al_err *err);
int al_list_jobs(al_client *c, uint32_t limit, al_job_list *out, al_err *err);
void al_job_list_free(al_job_list *l);

/* One job (the original's get_job). Unknown id: AL_E_NOT_FOUND, "job not found: <id>".
 * Release *out with al_job_free. */
int al_job_status(al_client *c, const char *job_id, al_job *out, al_err *err);
void al_job_free(al_job *j);

/* The original's get_metrics(job_id). Nothing to free. */
int al_job_metrics(al_client *c, const char *job_id, al_metrics *out, al_err *err);
/* Same computation on a snapshot already fetched. */
void al_metrics_from_job(const al_job *j, al_metrics *out);

/* Cancels a job: final; dispatch stops and workers abandon its tasks. A job that
 * already ended gives AL_E_BAD_STATE. */
int al_cancel_job(al_client *c, const char *job_id, al_err *err);

/* One task: status, attempts, worker, error. Release with al_task_free. */
int al_get_task(al_client *c, const char *task_id, al_task *out, al_err *err);
void al_task_free(al_task *t);

/* Switches the scheduling strategy: "round_robin", "least_busy" or "dynamic". */
int al_set_strategy(al_client *c, const char *name, al_err *err);

/* Stops giving a worker new tasks; it finishes what it holds. */
int al_drain_worker(al_client *c, const char *worker_id, al_err *err);

/* ---- Progress events ------------------------------------------------------------------ */

/* Subscribes to a job's progress. When snapshot is not NULL it receives the job's
 * current state (release with al_job_free). Events then arrive on every change. */
int al_subscribe(al_client *c, const char *job_id, al_job *snapshot, al_err *err);

/* Waits up to timeout_s (0 = only what is already here, < 0 = no limit) for the next
 * progress event of any subscribed job. Returns 1 with *out filled (release with
 * al_job_free), 0 when the time ran out (*out zeroed), -1 on error. */
int al_next_event(al_client *c, double timeout_s, al_job *out, al_err *err);

/* True for the statuses after which a job never changes again (al_job_state_is_final
 * of the parsed string; false for NULL or an unknown string). */
bool al_status_is_final(const char *status);

/* ---- Submitting (role submitter) ------------------------------------------------------ */

typedef struct al_job_spec {
  const char *job_id;          /* NULL: the coordinator makes one */
  const char *name;            /* NULL: none */
  const char *input_dir;       /* required */
  const char *output_dir;      /* required */
  const char *tokenizers_dir;  /* required */
  uint32_t max_seq_len;        /* 0 = 4096 */
  uint64_t shard_size;         /* 0 = 10000 */
  uint32_t files_per_task;     /* 0 = 500 */
  double timeout_s;            /* job timeout enforced by the coordinator; 0 = none */
  double task_timeout_s;       /* 0 = the coordinator's task_timeout */
  const char *output_mode;     /* non-empty output dir: NULL/"new" refuse, "overwrite", "resume" */
  const char *verify_shards;   /* result verification: NULL/"header" or "sha256" */
  const char *long_documents;  /* "truncate" (NULL: the default) or "split" */
  const char *packing;         /* "none" (NULL: the default) or "greedy" */
  bool detect_text;            /* include extensionless text files */
  const char *jsonl_field;     /* JSON Lines text field; NULL = "text" */
} al_job_spec;

/* Creates a job (no tasks yet). On success *job_id_out receives the job id as a heap
 * string the caller frees with free(). */
int al_submit_job(al_client *c, const al_job_spec *spec, char **job_id_out, al_err *err);

/* One task: a slice of the job's file list. Indexes run from 0 without gaps. */
typedef struct al_task_spec {
  uint64_t index;
  const char *const *files;
  size_t n_files;
} al_task_spec;

/* Adds tasks to a job, in as many frames as AL_BATCH_MAX_BYTES/AL_BATCH_MAX_TASKS
 * need, waiting for each to be acknowledged. Resending tasks already added is
 * harmless (the coordinator skips indexes it has). */
int al_submit_tasks(al_client *c, const char *job_id, const al_task_spec *tasks, size_t n,
                     al_err *err);

/* Splits files (in order) into tasks of files_per_task (0 = 500) starting at index 0
 * and submits them with al_submit_tasks. *n_tasks (may be NULL) receives the number
 * of tasks: max(1, ceil(n_files / files_per_task)); an empty list gives no task. */
int al_submit_files(al_client *c, const char *job_id, const char *const *files, size_t n_files,
                     uint32_t files_per_task, uint64_t *n_tasks, al_err *err);

/* Declares that the job has exactly total_tasks tasks; it can finish once they do. */
int al_seal_job(al_client *c, const char *job_id, uint64_t total_tasks, al_err *err);

#ifdef __cplusplus
}
#endif

#endif
