/* Wire protocol messages: one C struct per message, a tagged union, and the codec.
 * Prefix: proto_.
 *
 * On the wire each message is a msgpack map with short string keys: "t" (the type
 * name from PROTO_MESSAGES), "rid" (request id, omitted when 0) and the message's
 * fields. docs/PROTOCOL.md lists every field, its type and direction.
 *
 * Memory: messages built by a caller for encoding point at the caller's memory and
 * the codec never frees it. A message filled by proto_msg_decode() owns all its
 * strings and arrays in one arena released by proto_msg_free(); they live until then.
 * proto_msg_free() is harmless on a caller-built (or zeroed) message. */
#ifndef AL_PROTO_MESSAGES_H
#define AL_PROTO_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/al.h"
#include "proto/proto.h"

typedef enum proto_role {
  PROTO_ROLE_NONE = 0,
  PROTO_ROLE_WORKER = 1,     /* "worker" */
  PROTO_ROLE_SUBMITTER = 2,  /* "submitter" */
  PROTO_ROLE_ADMIN = 3       /* "admin" */
} proto_role;
/* "worker", "submitter", "admin", or "none". */
const char *proto_role_name(proto_role r);

/* ---- Building blocks ----------------------------------------------------------------- */
/* Strings are NUL-terminated UTF-8 (paths: the bytes as on disk, without NUL). A
 * "required" string is never NULL after decode (NULL encodes as ""); an "optional" one
 * is NULL when absent and is omitted from the wire when NULL. Counts of arrays are in
 * the n_<name> field next to the pointer. */

typedef struct proto_task_ref {   /* a running lease in a heartbeat */
  const char *task_id;            /* required */
  uint32_t attempt;
} proto_task_ref;

typedef struct proto_skipped_file { /* a file a task skipped, with the reason */
  const char *path;                 /* required */
  const char *reason;               /* required */
} proto_skipped_file;

typedef struct proto_shard {      /* one shard a task wrote (for the job manifest) */
  const char *path;               /* required, relative to the job output dir */
  uint64_t samples;
  uint64_t tokens;
  uint64_t bytes;
  const char *sha256;             /* required, lowercase hex */
  const char *const *sources;           /* input files that contributed */
  size_t n_sources;
} proto_shard;

typedef struct proto_task_spec {  /* one task of a submit_tasks batch */
  uint64_t index;                 /* task index within the job, from 0 */
  const char *const *files;
  size_t n_files;
} proto_task_spec;

typedef struct proto_reason_count { /* skip_reasons[] of a job summary */
  const char *reason;              /* required */
  uint64_t count;
} proto_reason_count;

typedef struct proto_job_summary { /* job_info reply, progress event, jobs[] entry */
  const char *job_id;              /* required */
  const char *name;                /* optional */
  const char *status;              /* required: pending, running, completed, ... */
  const char *created_at;          /* optional, the original's ISO format */
  const char *completed_at;        /* optional */
  uint64_t total_tasks;
  uint64_t completed_tasks;
  uint64_t failed_tasks;
  uint64_t retried_tasks;
  uint64_t samples;
  uint64_t tokens;
  uint64_t bytes;                  /* input bytes read by the completed tasks */
  double elapsed_s;                /* seconds from creation to the final state (or now) */
  bool sealed;                     /* every task has been submitted */
  const char *const *errors;             /* last errors of failed tasks */
  size_t n_errors;
  uint64_t documents;              /* optional counts of the finished tasks (docs/FORMAT.md) */
  uint64_t ids_encoded;
  uint64_t ids_truncated;
  uint64_t padding;
  uint64_t skipped;
  const proto_reason_count *skip_reasons;
  size_t n_skip_reasons;
} proto_job_summary;

typedef struct proto_worker_info {
  const char *worker_id;           /* required */
  uint32_t slots;
  uint32_t running;
  uint32_t queued;
  double cpu_percent;
  double mem_percent;
  uint64_t rss_bytes;
  uint64_t tasks_completed;
  uint64_t tasks_failed;
  double last_seen_s;              /* seconds since anything arrived from it */
  const char *state;               /* required: alive, draining, dead */
  uint64_t bytes_processed;        /* input bytes its completed tasks read (its heartbeat) */
  uint64_t tokens;                 /* token ids its completed tasks wrote (its heartbeat) */
  double uptime_s;                 /* seconds its process has run (its heartbeat) */
} proto_worker_info;

/* ---- Message structs ------------------------------------------------------------------- */
typedef struct proto_empty { uint8_t unused_; } proto_empty; /* message without fields */

typedef struct proto_hello {       /* client -> coordinator, first frame */
  uint32_t version;                /* PROTO_VERSION */
  proto_role role;
  const char *peer_id;             /* required: worker id or client name */
  const char *token;               /* optional auth token */
  uint32_t slots;                  /* workers: concurrent tasks (thread count) */
  const char *software;            /* optional, e.g. "auralith 0.1.0" */
} proto_hello;

typedef struct proto_welcome {     /* coordinator -> client: hello accepted */
  uint32_t version;
  const char *peer_id;             /* required: the id the coordinator knows you by */
  const char *server;              /* optional software version of the coordinator */
  uint32_t heartbeat_ms;           /* workers: heartbeat period to use (0 = default) */
  const char *strategy;            /* optional: the coordinator's dispatch strategy now */
} proto_welcome;

typedef struct proto_refuse {      /* coordinator -> client: hello refused, then close */
  uint32_t code;                   /* proto_errcode */
  const char *reason;              /* required */
} proto_refuse;

typedef struct proto_heartbeat {   /* worker -> coordinator, periodic */
  double cpu_percent;
  double mem_percent;
  uint64_t rss_bytes;
  uint64_t tasks_completed;
  uint64_t tasks_failed;
  uint64_t samples_processed;
  const proto_task_ref *running;
  size_t n_running;
  uint64_t bytes_processed;        /* input bytes read by completed tasks since start */
  uint64_t tokens;                 /* token ids written by completed tasks since start */
  double uptime_s;                 /* seconds since the worker process started */
} proto_heartbeat;

typedef struct proto_assign {      /* coordinator -> worker: a lease on one task */
  const char *task_id;             /* required */
  const char *job_id;              /* required */
  uint32_t attempt;                /* lease number, from 1 */
  const char *const *files;
  size_t n_files;
  const char *tokenizers_dir;      /* required */
  const char *output_dir;          /* required: where the task's output is published */
  uint32_t max_seq_len;
  uint64_t shard_size;
  const char *staging_dir;         /* optional: where this attempt writes (the coordinator
                                    * publishes it); absent = derived from output_dir */
  const char *input_dir;           /* the job's input_dir; workers read only inside it */
  const char *long_documents;      /* optional: "truncate" (absent) or "split" */
  const char *packing;             /* optional: "none" (absent) or "greedy" */
  bool detect_text;                /* optional */
  const char *jsonl_field;         /* optional: "text" when absent */
} proto_assign;

typedef struct proto_task_ack {    /* task_started, cancel_task */
  const char *task_id;             /* required */
  uint32_t attempt;
} proto_task_ack;

typedef struct proto_task_result { /* worker -> coordinator */
  const char *task_id;             /* required */
  const char *job_id;              /* optional */
  uint32_t attempt;
  bool ok;                         /* false: the task failed (error says why) */
  const char *status;              /* optional: "success" or "no_samples" */
  uint64_t samples_processed;
  uint64_t shards_written;
  uint64_t tokens;
  uint64_t skipped;
  const proto_skipped_file *skipped_files;
  size_t n_skipped_files;
  const proto_shard *shards;
  size_t n_shards;
  const char *error;               /* optional */
  double duration_s;
  bool permanent;                  /* optional: the error would recur on every retry */
  uint64_t bytes_read;             /* optional: input bytes read */
  uint64_t documents;              /* optional: documents written (0 with ids_encoded 0: not reported) */
  uint64_t ids_encoded;            /* optional: ids of the documents' whole encodings */
  uint64_t ids_truncated;          /* optional: ids dropped by truncation */
  uint64_t padding;                /* optional: padding positions of the rows */
} proto_task_result;

typedef struct proto_job_ref {     /* cancel_job, job_status, subscribe, job_accepted */
  const char *job_id;              /* required */
} proto_job_ref;

typedef struct proto_drain {       /* admin -> coordinator, coordinator -> worker */
  const char *worker_id;           /* optional when sent to the worker itself */
} proto_drain;

typedef struct proto_submit_job {  /* submitter -> coordinator */
  const char *job_id;              /* optional: coordinator makes one when absent */
  const char *name;                /* optional */
  const char *input_dir;           /* required */
  const char *output_dir;          /* required */
  const char *tokenizers_dir;      /* required */
  uint32_t max_seq_len;
  uint64_t shard_size;
  uint32_t files_per_task;
  double timeout_s;                /* job timeout, 0 = none */
  double task_timeout_s;           /* per task, 0 = coordinator default */
  const char *config;              /* optional: the job config as JSON, stored as is */
  const char *verify_shards;       /* optional: "header" (default) or "sha256" */
  const char *output_mode;         /* optional: "new" (default), "overwrite" or "resume" */
  const char *long_documents;      /* optional: "truncate" (absent) or "split" */
  const char *packing;             /* optional: "none" (absent) or "greedy" */
  bool detect_text;                /* optional */
  const char *jsonl_field;         /* optional: "text" when absent */
} proto_submit_job;

typedef struct proto_submit_tasks { /* submitter -> coordinator, any number of batches */
  const char *job_id;               /* required */
  const proto_task_spec *tasks;
  size_t n_tasks;
} proto_submit_tasks;

typedef struct proto_seal_job {    /* submitter -> coordinator: no more tasks */
  const char *job_id;              /* required */
  uint64_t total_tasks;
} proto_seal_job;

typedef struct proto_list_jobs {   /* client -> coordinator */
  uint32_t limit;                  /* 0 = a full page (1000) */
  const char *after;               /* NULL = from the newest job; else continue before this job */
} proto_list_jobs;

typedef struct proto_jobs {        /* reply to list_jobs */
  const proto_job_summary *jobs;
  size_t n_jobs;
  bool more;                       /* older jobs remain: ask again with after = jobs[0].job_id */
} proto_jobs;

typedef struct proto_workers {     /* reply to list_workers */
  const proto_worker_info *workers;
  size_t n_workers;
} proto_workers;

typedef struct proto_task_query {  /* get_task */
  const char *task_id;             /* required */
} proto_task_query;

typedef struct proto_task_info {   /* reply to get_task */
  const char *task_id;             /* required */
  const char *job_id;              /* required */
  const char *status;              /* required */
  uint32_t attempts;
  uint32_t retries;
  const char *worker_id;           /* optional */
  const char *error;               /* optional */
  uint64_t files;                  /* number of files in the task */
} proto_task_info;

typedef struct proto_set_strategy { /* admin -> coordinator */
  const char *name;                 /* required: round_robin, least_busy, dynamic */
} proto_set_strategy;

typedef struct proto_error {       /* reply to any request that failed */
  uint32_t code;                   /* proto_errcode */
  const char *message;             /* required */
} proto_error;

/* ---- The message table ------------------------------------------------------------------
 * X(ENUM_SUFFIX, "wire name", union member, struct type). Order fixes the enum values
 * (internal only: the wire carries names). Append new messages at the end. */
#define PROTO_MESSAGES(X)                                        \
  X(HELLO, "hello", hello, proto_hello)                          \
  X(WELCOME, "welcome", welcome, proto_welcome)                  \
  X(REFUSE, "refuse", refuse, proto_refuse)                      \
  X(HEARTBEAT, "heartbeat", heartbeat, proto_heartbeat)          \
  X(ASSIGN, "assign", assign, proto_assign)                      \
  X(TASK_STARTED, "task_started", task_started, proto_task_ack)  \
  X(TASK_RESULT, "task_result", task_result, proto_task_result)  \
  X(CANCEL_TASK, "cancel_task", cancel_task, proto_task_ack)     \
  X(CANCEL_JOB, "cancel_job", cancel_job, proto_job_ref)         \
  X(DRAIN, "drain", drain, proto_drain)                          \
  X(SUBMIT_JOB, "submit_job", submit_job, proto_submit_job)      \
  X(JOB_ACCEPTED, "job_accepted", job_accepted, proto_job_ref)   \
  X(SUBMIT_TASKS, "submit_tasks", submit_tasks, proto_submit_tasks) \
  X(SEAL_JOB, "seal_job", seal_job, proto_seal_job)              \
  X(JOB_STATUS, "job_status", job_status, proto_job_ref)         \
  X(JOB_INFO, "job_info", job_info, proto_job_summary)           \
  X(LIST_JOBS, "list_jobs", list_jobs, proto_list_jobs)          \
  X(JOBS, "jobs", jobs, proto_jobs)                              \
  X(LIST_WORKERS, "list_workers", list_workers, proto_empty)     \
  X(WORKERS, "workers", workers, proto_workers)                  \
  X(GET_TASK, "get_task", get_task, proto_task_query)            \
  X(TASK_INFO, "task_info", task_info, proto_task_info)          \
  X(SET_STRATEGY, "set_strategy", set_strategy, proto_set_strategy) \
  X(SUBSCRIBE, "subscribe", subscribe, proto_job_ref)            \
  X(PROGRESS, "progress", progress, proto_job_summary)           \
  X(OK, "ok", ok, proto_empty)                                   \
  X(ERROR, "error", error, proto_error)

typedef enum proto_msg_type {
  PROTO_MSG_NONE = 0,
#define PROTO_MSG_ENUM_(e, wire, member, type) PROTO_MSG_##e,
  PROTO_MESSAGES(PROTO_MSG_ENUM_)
#undef PROTO_MSG_ENUM_
  PROTO_MSG_COUNT_  /* number of types + 1 */
} proto_msg_type;

struct proto_arena;

typedef struct proto_msg {
  proto_msg_type type;
  uint64_t request_id;   /* "rid": set by requesters, echoed in replies; 0 = none */
  union {
#define PROTO_MSG_MEMBER_(e, wire, member, type) type member;
    PROTO_MESSAGES(PROTO_MSG_MEMBER_)
#undef PROTO_MSG_MEMBER_
  } u;
  struct proto_arena *arena_; /* decoded storage; NULL for caller-built messages */
} proto_msg;

/* Wire name of a type ("assign"); NULL for PROTO_MSG_NONE or out-of-range values. */
const char *proto_msg_type_name(proto_msg_type t);
/* Type for a wire name of the given length; PROTO_MSG_NONE when unknown. */
proto_msg_type proto_msg_type_from_name(const char *name, size_t len);

/* Appends one complete frame (length prefix included) to out. Returns the number of
 * bytes appended, or 0 when m->type is not a known type (out unchanged). The message
 * is only read. */
size_t proto_msg_encode(const proto_msg *m, al_buf *out);

/* Decodes one frame payload (as returned by proto_decoder_next). On success returns 0
 * and *out owns its data (release with proto_msg_free). On failure returns -1, *out
 * owns nothing (no free needed, but harmless), out->type is PROTO_MSG_NONE and
 * out->request_id holds the "rid" when it could be read, so the error reply can echo
 * it; err->code is PROTO_E_BAD_FRAME (not a msgpack map, broken msgpack, trailing
 * bytes), PROTO_E_UNKNOWN_TYPE (the message names the type) or PROTO_E_BAD_FIELD (the
 * message names the message type and the field). Unknown extra fields are ignored. */
int proto_msg_decode(const uint8_t *payload, size_t len, proto_msg *out, al_err *err);

/* Releases what decode allocated and zeroes the message. Safe on zeroed and
 * caller-built messages. */
void proto_msg_free(proto_msg *m);

/* Convenience: appends an error frame {t:"error", rid, code, message}. */
void proto_encode_error(al_buf *out, uint64_t request_id, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
