/* Field tables for every message (see schema.h). Keys are the struct member names. */
#include "proto/schema.h"

#define REQ 1
#define OPT 0
#define FLD(T, f, kind, req, doc) {#f, (uint8_t)(sizeof #f - 1), kind, req, (uint16_t)offsetof(T, f), 0, NULL, doc}
#define STR(T, f, req, doc) FLD(T, f, PF_STR, req, doc)
#define U64(T, f, req, doc) FLD(T, f, PF_U64, req, doc)
#define U32(T, f, req, doc) FLD(T, f, PF_U32, req, doc)
#define F64(T, f, doc) FLD(T, f, PF_F64, OPT, doc)
#define BOOL(T, f, req, doc) FLD(T, f, PF_BOOL, req, doc)
#define STRS(T, f, doc) {#f, (uint8_t)(sizeof #f - 1), PF_STRS, OPT, (uint16_t)offsetof(T, f), (uint16_t)offsetof(T, n_##f), NULL, doc}
#define LIST(T, f, sub, doc) \
  {#f, (uint8_t)(sizeof #f - 1), PF_LIST, OPT, (uint16_t)offsetof(T, f), (uint16_t)offsetof(T, n_##f), &sub, doc}
#define SCHEMA(var, name, T, ...)                                                 \
  static const proto_field var##_fields[] = {__VA_ARGS__};                        \
  static const proto_schema var = {name, (uint16_t)sizeof(T),                     \
                                   (uint8_t)(sizeof var##_fields / sizeof(proto_field)), var##_fields}

/* ---- Elements of lists ---- */
SCHEMA(s_task_ref, "running[]", proto_task_ref,
       STR(proto_task_ref, task_id, REQ, "task of a lease the worker holds"),
       U32(proto_task_ref, attempt, REQ, "attempt number of that lease"));
SCHEMA(s_skipped, "skipped_files[]", proto_skipped_file,
       STR(proto_skipped_file, path, REQ, "input file that was skipped, or a run FILE:A-B of JSON Lines records (lines A to B)"),
       STR(proto_skipped_file, reason, REQ, "why (unreadable, unsupported type, no tokens, ...)"));
SCHEMA(s_shard, "shards[]", proto_shard,
       STR(proto_shard, path, REQ, "shard file, relative to the job output dir"),
       U64(proto_shard, samples, OPT, "samples in the shard"),
       U64(proto_shard, tokens, OPT, "tokens in the shard"),
       U64(proto_shard, bytes, OPT, "file size"),
       STR(proto_shard, sha256, REQ, "lowercase hex SHA-256 of the file"),
       STRS(proto_shard, sources, "input files that contributed samples; consecutive JSON Lines records as FILE:A-B"));
SCHEMA(s_task_spec, "tasks[]", proto_task_spec,
       U64(proto_task_spec, index, REQ, "task index within the job, from 0 (task id = job id + \"-\" + index)"),
       STRS(proto_task_spec, files, "input files of the task, in order"));
SCHEMA(s_reason, "skip_reasons[]", proto_reason_count,
       STR(proto_reason_count, reason, REQ, "why files were skipped (text before the first \": \")"),
       U64(proto_reason_count, count, OPT, "files skipped for it"));
#define JOB_SUMMARY_FIELDS                                                                          \
  STR(proto_job_summary, job_id, REQ, "job id"), STR(proto_job_summary, name, OPT, "job name"),    \
      STR(proto_job_summary, status, REQ,                                                           \
          "pending, running, completed, completed_with_errors, failed, cancelled or timeout"),       \
      STR(proto_job_summary, created_at, OPT, "creation time, local ISO format of the original"),   \
      STR(proto_job_summary, completed_at, OPT, "time the job reached a final state"),             \
      U64(proto_job_summary, total_tasks, OPT, "tasks submitted"),                                 \
      U64(proto_job_summary, completed_tasks, OPT, "tasks that succeeded"),                        \
      U64(proto_job_summary, failed_tasks, OPT, "tasks failed for good"),                          \
      U64(proto_job_summary, retried_tasks, OPT, "retries so far"),                                \
      U64(proto_job_summary, samples, OPT, "samples written"),                                     \
      U64(proto_job_summary, tokens, OPT, "tokens written"),                                       \
      U64(proto_job_summary, bytes, OPT, "input bytes read by the completed tasks"),               \
      F64(proto_job_summary, elapsed_s, "seconds from creation to the final state, or to now"),    \
      BOOL(proto_job_summary, sealed, OPT, "all tasks have been submitted"),                       \
      STRS(proto_job_summary, errors, "last errors of failed tasks"),                             \
      U64(proto_job_summary, documents, OPT, "documents written by finished tasks"),                \
      U64(proto_job_summary, ids_encoded, OPT, "ids of those documents' whole encodings"),         \
      U64(proto_job_summary, ids_truncated, OPT, "ids dropped by truncation (long_documents truncate)"), \
      U64(proto_job_summary, padding, OPT, "padding positions in the rows written"),                \
      U64(proto_job_summary, skipped, OPT, "files skipped"),                                        \
      LIST(proto_job_summary, skip_reasons, s_reason, "skipped files counted by reason")
SCHEMA(s_job_elem, "jobs[]", proto_job_summary, JOB_SUMMARY_FIELDS);
SCHEMA(s_worker_elem, "workers[]", proto_worker_info,
       STR(proto_worker_info, worker_id, REQ, "worker id"),
       U32(proto_worker_info, slots, OPT, "concurrent tasks it announced"),
       U32(proto_worker_info, running, OPT, "tasks running"),
       U32(proto_worker_info, queued, OPT, "tasks assigned, not started"),
       F64(proto_worker_info, cpu_percent, "last reported CPU %"),
       F64(proto_worker_info, mem_percent, "last reported memory %"),
       U64(proto_worker_info, rss_bytes, OPT, "last reported resident memory"),
       U64(proto_worker_info, tasks_completed, OPT, "tasks completed"),
       U64(proto_worker_info, tasks_failed, OPT, "tasks failed"),
       F64(proto_worker_info, last_seen_s, "seconds since anything arrived from it"),
       STR(proto_worker_info, state, REQ, "alive, draining or dead"),
       U64(proto_worker_info, bytes_processed, OPT, "input bytes its completed tasks read (last heartbeat)"),
       U64(proto_worker_info, tokens, OPT, "token ids its completed tasks wrote (last heartbeat)"),
       F64(proto_worker_info, uptime_s, "seconds its process has run (last heartbeat)"));

/* ---- Messages ---- */
SCHEMA(s_hello, "hello", proto_hello,
       U32(proto_hello, version, REQ, "protocol version of the client (PROTO_VERSION)"),
       FLD(proto_hello, role, PF_ROLE, REQ, "what the client is"),
       STR(proto_hello, peer_id, REQ, "worker id, or a client name"),
       STR(proto_hello, token, OPT, "auth token, when the coordinator requires one"),
       U32(proto_hello, slots, OPT, "workers: tasks it runs at once (thread count)"),
       STR(proto_hello, software, OPT, "software version, e.g. \"auralith 0.1.0\""));
SCHEMA(s_welcome, "welcome", proto_welcome,
       U32(proto_welcome, version, REQ, "protocol version of the coordinator"),
       STR(proto_welcome, peer_id, REQ, "the id the coordinator knows the client by"),
       STR(proto_welcome, server, OPT, "software version of the coordinator"),
       U32(proto_welcome, heartbeat_ms, OPT, "workers: heartbeat period to use (0 = default)"),
       STR(proto_welcome, strategy, OPT, "the dispatch strategy in use (round_robin, least_busy, dynamic)"));
SCHEMA(s_refuse, "refuse", proto_refuse,
       U32(proto_refuse, code, REQ, "error code (section 4)"),
       STR(proto_refuse, reason, REQ, "what was wrong and what was expected"));
SCHEMA(s_heartbeat, "heartbeat", proto_heartbeat,
       F64(proto_heartbeat, cpu_percent, "CPU use, percent"),
       F64(proto_heartbeat, mem_percent, "memory use of the machine, percent"),
       U64(proto_heartbeat, rss_bytes, OPT, "resident memory of the worker process"),
       U64(proto_heartbeat, tasks_completed, OPT, "tasks completed since start"),
       U64(proto_heartbeat, tasks_failed, OPT, "tasks failed since start"),
       U64(proto_heartbeat, samples_processed, OPT, "samples written since start"),
       LIST(proto_heartbeat, running, s_task_ref, "leases the worker holds (queued or running)"),
       U64(proto_heartbeat, bytes_processed, OPT, "input bytes read by completed tasks since start"),
       U64(proto_heartbeat, tokens, OPT, "token ids written by completed tasks since start"),
       F64(proto_heartbeat, uptime_s, "seconds since the worker process started"));
SCHEMA(s_assign, "assign", proto_assign,
       STR(proto_assign, task_id, REQ, "task id (deterministic: job id + index)"),
       STR(proto_assign, job_id, REQ, "job id"),
       U32(proto_assign, attempt, REQ, "lease number, from 1; echoed in task_started/task_result"),
       STRS(proto_assign, files, "input files, in order"),
       STR(proto_assign, tokenizers_dir, REQ, "tokenizers directory"),
       STR(proto_assign, output_dir, REQ, "job output directory"),
       U32(proto_assign, max_seq_len, OPT, "maximum sequence length"),
       U64(proto_assign, shard_size, OPT, "samples per shard"),
       STR(proto_assign, staging_dir, OPT, "directory this attempt writes its shards into; published by the coordinator on commit"),
       STR(proto_assign, input_dir, OPT, "the job's input directory: workers skip files that do not resolve "
                                         "inside it"),
       STR(proto_assign, long_documents, OPT, "truncate (when absent) or split: rows of documents longer than max_seq_len"),
       STR(proto_assign, packing, OPT, "none (when absent) or greedy: several documents per row"),
       BOOL(proto_assign, detect_text, OPT, "also files with no known extension whose name or content is text"),
       STR(proto_assign, jsonl_field, OPT, "JSON Lines field holding a record's text (\"text\" when absent)"));
SCHEMA(s_task_started, "task_started", proto_task_ack,
       STR(proto_task_ack, task_id, REQ, "task id"),
       U32(proto_task_ack, attempt, REQ, "attempt of the lease"));
SCHEMA(s_task_result, "task_result", proto_task_result,
       STR(proto_task_result, task_id, REQ, "task id"),
       STR(proto_task_result, job_id, OPT, "job id"),
       U32(proto_task_result, attempt, REQ, "attempt of the lease; a stale attempt is refused with STALE"),
       BOOL(proto_task_result, ok, REQ, "false: the task failed and error says why"),
       STR(proto_task_result, status, OPT, "\"success\" or \"no_samples\" (the original's result status)"),
       U64(proto_task_result, samples_processed, OPT, "samples written"),
       U64(proto_task_result, shards_written, OPT, "shards written"),
       U64(proto_task_result, tokens, OPT, "tokens written"),
       U64(proto_task_result, skipped, OPT, "files skipped, each record of a FILE:A-B run counted"),
       LIST(proto_task_result, skipped_files, s_skipped, "each skipped file with its reason"),
       LIST(proto_task_result, shards, s_shard, "shards written, for the job manifest"),
       STR(proto_task_result, error, OPT, "failure text when ok is false"),
       F64(proto_task_result, duration_s, "wall time of the attempt, seconds"),
       BOOL(proto_task_result, permanent, OPT,
            "true: the error would recur on every retry (e.g. the tokenizers cannot be loaded); the job fails at once"),
       U64(proto_task_result, bytes_read, OPT, "input bytes read by the attempt"),
       U64(proto_task_result, documents, OPT, "documents written (files, or JSON Lines records)"),
       U64(proto_task_result, ids_encoded, OPT, "ids of the documents' whole encodings, markers included"),
       U64(proto_task_result, ids_truncated, OPT, "ids dropped by truncation (ids_encoded - tokens)"),
       U64(proto_task_result, padding, OPT, "padding positions in the rows written"));
SCHEMA(s_cancel_task, "cancel_task", proto_task_ack,
       STR(proto_task_ack, task_id, REQ, "task id"),
       U32(proto_task_ack, attempt, REQ, "attempt to abandon"));
SCHEMA(s_cancel_job, "cancel_job", proto_job_ref, STR(proto_job_ref, job_id, REQ, "job to cancel"));
SCHEMA(s_drain, "drain", proto_drain,
       STR(proto_drain, worker_id, OPT, "worker to drain (absent when sent to the worker itself)"));
SCHEMA(s_submit_job, "submit_job", proto_submit_job,
       STR(proto_submit_job, job_id, OPT, "job id to use; the coordinator makes one when absent"),
       STR(proto_submit_job, name, OPT, "job name"),
       STR(proto_submit_job, input_dir, REQ, "input directory (recorded)"),
       STR(proto_submit_job, output_dir, REQ, "output directory"),
       STR(proto_submit_job, tokenizers_dir, REQ, "tokenizers directory"),
       U32(proto_submit_job, max_seq_len, OPT, "maximum sequence length"),
       U64(proto_submit_job, shard_size, OPT, "samples per shard"),
       U32(proto_submit_job, files_per_task, OPT, "files per task (recorded)"),
       F64(proto_submit_job, timeout_s, "job timeout, seconds; 0 = none"),
       F64(proto_submit_job, task_timeout_s, "task timeout, seconds; 0 = coordinator default"),
       STR(proto_submit_job, config, OPT, "the job config as JSON, stored with the job"),
       STR(proto_submit_job, verify_shards, OPT, "how results are verified before acceptance: header (default) or sha256"),
       STR(proto_submit_job, output_mode, OPT, "non-empty output directory: new (refuse, default), overwrite or resume"),
       STR(proto_submit_job, long_documents, OPT, "truncate (when absent) or split"),
       STR(proto_submit_job, packing, OPT, "none (when absent) or greedy"),
       BOOL(proto_submit_job, detect_text, OPT, "also files with no known extension whose name or content is text"),
       STR(proto_submit_job, jsonl_field, OPT, "JSON Lines field holding a record's text (\"text\" when absent)"));
SCHEMA(s_job_accepted, "job_accepted", proto_job_ref, STR(proto_job_ref, job_id, REQ, "id of the new job"));
SCHEMA(s_submit_tasks, "submit_tasks", proto_submit_tasks,
       STR(proto_submit_tasks, job_id, REQ, "job id"),
       LIST(proto_submit_tasks, tasks, s_task_spec, "tasks of this batch"));
SCHEMA(s_seal_job, "seal_job", proto_seal_job,
       STR(proto_seal_job, job_id, REQ, "job id"),
       U64(proto_seal_job, total_tasks, REQ, "number of tasks submitted in all batches"));
SCHEMA(s_job_status, "job_status", proto_job_ref, STR(proto_job_ref, job_id, REQ, "job id"));
SCHEMA(s_job_info, "job_info", proto_job_summary, JOB_SUMMARY_FIELDS);
SCHEMA(s_list_jobs, "list_jobs", proto_list_jobs,
       U32(proto_list_jobs, limit, OPT, "jobs to return, at most 1000 per page; 0 = a full page"),
       STR(proto_list_jobs, after, OPT, "continue with the jobs created before this job id (the first job of "
                                        "the previous page)"));
SCHEMA(s_jobs, "jobs", proto_jobs, LIST(proto_jobs, jobs, s_job_elem, "one snapshot per job, oldest first"),
       BOOL(proto_jobs, more, OPT, "older jobs remain: ask again with after = the first job id of this page"));
static const proto_schema s_list_workers = {"list_workers", (uint16_t)sizeof(proto_empty), 0, NULL};
SCHEMA(s_workers, "workers", proto_workers, LIST(proto_workers, workers, s_worker_elem, "one entry per worker"));
SCHEMA(s_get_task, "get_task", proto_task_query, STR(proto_task_query, task_id, REQ, "task id"));
SCHEMA(s_task_info, "task_info", proto_task_info,
       STR(proto_task_info, task_id, REQ, "task id"),
       STR(proto_task_info, job_id, REQ, "job id"),
       STR(proto_task_info, status, REQ, "pending, assigned, running, completed or failed"),
       U32(proto_task_info, attempts, OPT, "leases handed out so far"),
       U32(proto_task_info, retries, OPT, "retries so far"),
       STR(proto_task_info, worker_id, OPT, "worker holding the current lease"),
       STR(proto_task_info, error, OPT, "last error"),
       U64(proto_task_info, files, OPT, "number of input files"));
SCHEMA(s_set_strategy, "set_strategy", proto_set_strategy,
       STR(proto_set_strategy, name, REQ, "round_robin, least_busy or dynamic"));
SCHEMA(s_subscribe, "subscribe", proto_job_ref, STR(proto_job_ref, job_id, REQ, "job to watch"));
SCHEMA(s_progress, "progress", proto_job_summary, JOB_SUMMARY_FIELDS);
static const proto_schema s_ok = {"ok", (uint16_t)sizeof(proto_empty), 0, NULL};
SCHEMA(s_error, "error", proto_error,
       U32(proto_error, code, REQ, "error code (section 4)"),
       STR(proto_error, message, REQ, "what failed, naming the field, job or task"));

#define W2C "worker -> coordinator"
#define C2W "coordinator -> worker"
#define R2C "client -> coordinator (request)"
#define C2R "coordinator -> client (reply)"
const proto_msg_info proto_msg_table[PROTO_MSG_COUNT_] = {
    [PROTO_MSG_HELLO] = {"hello", &s_hello, "any client -> coordinator", "First frame of every connection"},
    [PROTO_MSG_WELCOME] = {"welcome", &s_welcome, "coordinator -> any client", "Hello accepted"},
    [PROTO_MSG_REFUSE] = {"refuse", &s_refuse, "coordinator -> any client",
                          "Hello refused; the coordinator closes the connection"},
    [PROTO_MSG_HEARTBEAT] = {"heartbeat", &s_heartbeat, W2C, "Liveness, load and the leases the worker holds"},
    [PROTO_MSG_ASSIGN] = {"assign", &s_assign, C2W, "A lease on one task"},
    [PROTO_MSG_TASK_STARTED] = {"task_started", &s_task_started, W2C, "The worker began the task"},
    [PROTO_MSG_TASK_RESULT] = {"task_result", &s_task_result, W2C, "Outcome of one attempt"},
    [PROTO_MSG_CANCEL_TASK] = {"cancel_task", &s_cancel_task, C2W, "Abandon an attempt (timeout, job cancelled)"},
    [PROTO_MSG_CANCEL_JOB] = {"cancel_job", &s_cancel_job, R2C, "Cancel a job (final); reply ok"},
    [PROTO_MSG_DRAIN] = {"drain", &s_drain, R2C ", and coordinator -> worker",
                         "Stop giving a worker new tasks; reply ok"},
    [PROTO_MSG_SUBMIT_JOB] = {"submit_job", &s_submit_job, R2C, "Create a job; reply job_accepted"},
    [PROTO_MSG_JOB_ACCEPTED] = {"job_accepted", &s_job_accepted, C2R, "The job id of a submitted job"},
    [PROTO_MSG_SUBMIT_TASKS] = {"submit_tasks", &s_submit_tasks, R2C, "One batch of tasks for a job; reply ok"},
    [PROTO_MSG_SEAL_JOB] = {"seal_job", &s_seal_job, R2C, "No more tasks will come; reply ok"},
    [PROTO_MSG_JOB_STATUS] = {"job_status", &s_job_status, R2C, "Ask for a job snapshot; reply job_info"},
    [PROTO_MSG_JOB_INFO] = {"job_info", &s_job_info, C2R, "Snapshot of one job"},
    [PROTO_MSG_LIST_JOBS] = {"list_jobs", &s_list_jobs, R2C, "List jobs; reply jobs"},
    [PROTO_MSG_JOBS] = {"jobs", &s_jobs, C2R, "Job snapshots"},
    [PROTO_MSG_LIST_WORKERS] = {"list_workers", &s_list_workers, R2C, "List workers; reply workers"},
    [PROTO_MSG_WORKERS] = {"workers", &s_workers, C2R, "The workers the coordinator knows"},
    [PROTO_MSG_GET_TASK] = {"get_task", &s_get_task, R2C, "Ask for one task record; reply task_info"},
    [PROTO_MSG_TASK_INFO] = {"task_info", &s_task_info, C2R, "One task record"},
    [PROTO_MSG_SET_STRATEGY] = {"set_strategy", &s_set_strategy, R2C, "Change the scheduling strategy; reply ok"},
    [PROTO_MSG_SUBSCRIBE] = {"subscribe", &s_subscribe, R2C, "Watch a job; reply job_info now, then progress events"},
    [PROTO_MSG_PROGRESS] = {"progress", &s_progress, "coordinator -> client (event)",
                            "Job snapshot pushed on every change, with the rid of the subscribe"},
    [PROTO_MSG_OK] = {"ok", &s_ok, C2R, "Request done"},
    [PROTO_MSG_ERROR] = {"error", &s_error, "either direction (reply)",
                         "Request failed, or a protocol violation before close"},
};
