/* Field tables for every message (see schema.h). Keys are the struct member names. */
#include "proto/schema.h"

#define REQ 1
#define OPT 0
#define FLD(T, f, kind, req) {#f, kind, req, (uint16_t)offsetof(T, f), 0, NULL}
#define STR(T, f, req) FLD(T, f, PF_STR, req)
#define U64(T, f, req) FLD(T, f, PF_U64, req)
#define U32(T, f, req) FLD(T, f, PF_U32, req)
#define F64(T, f) FLD(T, f, PF_F64, OPT)
#define BOOL(T, f, req) FLD(T, f, PF_BOOL, req)
#define STRS(T, f) {#f, PF_STRS, OPT, (uint16_t)offsetof(T, f), (uint16_t)offsetof(T, n_##f), NULL}
#define LIST(T, f, sub) {#f, PF_LIST, OPT, (uint16_t)offsetof(T, f), (uint16_t)offsetof(T, n_##f), &sub}
#define SCHEMA(var, name, T, ...)                                                 \
  static const proto_field var##_fields[] = {__VA_ARGS__};                        \
  static const proto_schema var = {name, (uint16_t)sizeof(T),                     \
                                   (uint8_t)(sizeof var##_fields / sizeof(proto_field)), var##_fields}

/* ---- Elements of lists ---- */
SCHEMA(s_task_ref, "running[]", proto_task_ref,
       STR(proto_task_ref, task_id, REQ), U32(proto_task_ref, attempt, REQ));
SCHEMA(s_skipped, "skipped_files[]", proto_skipped_file,
       STR(proto_skipped_file, path, REQ), STR(proto_skipped_file, reason, REQ));
SCHEMA(s_shard, "shards[]", proto_shard,
       STR(proto_shard, path, REQ), U64(proto_shard, samples, OPT), U64(proto_shard, tokens, OPT),
       U64(proto_shard, bytes, OPT), STR(proto_shard, sha256, REQ), STRS(proto_shard, sources));
SCHEMA(s_task_spec, "tasks[]", proto_task_spec,
       U64(proto_task_spec, index, REQ), STRS(proto_task_spec, files));
#define JOB_SUMMARY_FIELDS                                                                   \
  STR(proto_job_summary, job_id, REQ), STR(proto_job_summary, name, OPT),                    \
      STR(proto_job_summary, status, REQ), STR(proto_job_summary, created_at, OPT),          \
      STR(proto_job_summary, completed_at, OPT), U64(proto_job_summary, total_tasks, OPT),   \
      U64(proto_job_summary, completed_tasks, OPT), U64(proto_job_summary, failed_tasks, OPT), \
      U64(proto_job_summary, retried_tasks, OPT), U64(proto_job_summary, samples, OPT),      \
      U64(proto_job_summary, tokens, OPT), U64(proto_job_summary, bytes, OPT),               \
      BOOL(proto_job_summary, sealed, OPT), STRS(proto_job_summary, errors)
SCHEMA(s_job_elem, "jobs[]", proto_job_summary, JOB_SUMMARY_FIELDS);
SCHEMA(s_worker_elem, "workers[]", proto_worker_info,
       STR(proto_worker_info, worker_id, REQ), U32(proto_worker_info, slots, OPT),
       U32(proto_worker_info, running, OPT), U32(proto_worker_info, queued, OPT),
       F64(proto_worker_info, cpu_percent), F64(proto_worker_info, mem_percent),
       U64(proto_worker_info, rss_bytes, OPT), U64(proto_worker_info, tasks_completed, OPT),
       U64(proto_worker_info, tasks_failed, OPT), F64(proto_worker_info, last_seen_s),
       STR(proto_worker_info, state, REQ));

/* ---- Messages ---- */
SCHEMA(s_hello, "hello", proto_hello,
       U32(proto_hello, version, REQ), FLD(proto_hello, role, PF_ROLE, REQ),
       STR(proto_hello, peer_id, REQ), STR(proto_hello, token, OPT), U32(proto_hello, slots, OPT),
       STR(proto_hello, software, OPT));
SCHEMA(s_welcome, "welcome", proto_welcome,
       U32(proto_welcome, version, REQ), STR(proto_welcome, peer_id, REQ),
       STR(proto_welcome, server, OPT), U32(proto_welcome, heartbeat_ms, OPT));
SCHEMA(s_refuse, "refuse", proto_refuse,
       U32(proto_refuse, code, REQ), STR(proto_refuse, reason, REQ));
SCHEMA(s_heartbeat, "heartbeat", proto_heartbeat,
       F64(proto_heartbeat, cpu_percent), F64(proto_heartbeat, mem_percent),
       U64(proto_heartbeat, rss_bytes, OPT), U64(proto_heartbeat, tasks_completed, OPT),
       U64(proto_heartbeat, tasks_failed, OPT), U64(proto_heartbeat, samples_processed, OPT),
       LIST(proto_heartbeat, running, s_task_ref));
SCHEMA(s_assign, "assign", proto_assign,
       STR(proto_assign, task_id, REQ), STR(proto_assign, job_id, REQ), U32(proto_assign, attempt, REQ),
       STRS(proto_assign, files), STR(proto_assign, tokenizers_dir, REQ),
       STR(proto_assign, output_dir, REQ), U32(proto_assign, max_seq_len, OPT),
       U64(proto_assign, shard_size, OPT));
SCHEMA(s_task_started, "task_started", proto_task_ack,
       STR(proto_task_ack, task_id, REQ), U32(proto_task_ack, attempt, REQ));
SCHEMA(s_task_result, "task_result", proto_task_result,
       STR(proto_task_result, task_id, REQ), STR(proto_task_result, job_id, OPT),
       U32(proto_task_result, attempt, REQ), BOOL(proto_task_result, ok, REQ),
       STR(proto_task_result, status, OPT), U64(proto_task_result, samples_processed, OPT),
       U64(proto_task_result, shards_written, OPT), U64(proto_task_result, tokens, OPT),
       U64(proto_task_result, skipped, OPT), LIST(proto_task_result, skipped_files, s_skipped),
       LIST(proto_task_result, shards, s_shard), STR(proto_task_result, error, OPT),
       F64(proto_task_result, duration_s));
SCHEMA(s_cancel_task, "cancel_task", proto_task_ack,
       STR(proto_task_ack, task_id, REQ), U32(proto_task_ack, attempt, REQ));
SCHEMA(s_cancel_job, "cancel_job", proto_job_ref, STR(proto_job_ref, job_id, REQ));
SCHEMA(s_drain, "drain", proto_drain, STR(proto_drain, worker_id, OPT));
SCHEMA(s_submit_job, "submit_job", proto_submit_job,
       STR(proto_submit_job, job_id, OPT), STR(proto_submit_job, name, OPT),
       STR(proto_submit_job, input_dir, REQ), STR(proto_submit_job, output_dir, REQ),
       STR(proto_submit_job, tokenizers_dir, REQ), U32(proto_submit_job, max_seq_len, OPT),
       U64(proto_submit_job, shard_size, OPT), U32(proto_submit_job, files_per_task, OPT),
       F64(proto_submit_job, timeout_s), F64(proto_submit_job, task_timeout_s),
       STR(proto_submit_job, config, OPT));
SCHEMA(s_job_accepted, "job_accepted", proto_job_ref, STR(proto_job_ref, job_id, REQ));
SCHEMA(s_submit_tasks, "submit_tasks", proto_submit_tasks,
       STR(proto_submit_tasks, job_id, REQ), LIST(proto_submit_tasks, tasks, s_task_spec));
SCHEMA(s_seal_job, "seal_job", proto_seal_job,
       STR(proto_seal_job, job_id, REQ), U64(proto_seal_job, total_tasks, REQ));
SCHEMA(s_job_status, "job_status", proto_job_ref, STR(proto_job_ref, job_id, REQ));
SCHEMA(s_job_info, "job_info", proto_job_summary, JOB_SUMMARY_FIELDS);
SCHEMA(s_list_jobs, "list_jobs", proto_list_jobs, U32(proto_list_jobs, limit, OPT));
SCHEMA(s_jobs, "jobs", proto_jobs, LIST(proto_jobs, jobs, s_job_elem));
static const proto_schema s_list_workers = {"list_workers", (uint16_t)sizeof(proto_empty), 0, NULL};
SCHEMA(s_workers, "workers", proto_workers, LIST(proto_workers, workers, s_worker_elem));
SCHEMA(s_get_task, "get_task", proto_task_query, STR(proto_task_query, task_id, REQ));
SCHEMA(s_task_info, "task_info", proto_task_info,
       STR(proto_task_info, task_id, REQ), STR(proto_task_info, job_id, REQ),
       STR(proto_task_info, status, REQ), U32(proto_task_info, attempts, OPT),
       U32(proto_task_info, retries, OPT), STR(proto_task_info, worker_id, OPT),
       STR(proto_task_info, error, OPT), U64(proto_task_info, files, OPT));
SCHEMA(s_set_strategy, "set_strategy", proto_set_strategy, STR(proto_set_strategy, name, REQ));
SCHEMA(s_subscribe, "subscribe", proto_job_ref, STR(proto_job_ref, job_id, REQ));
SCHEMA(s_progress, "progress", proto_job_summary, JOB_SUMMARY_FIELDS);
static const proto_schema s_ok = {"ok", (uint16_t)sizeof(proto_empty), 0, NULL};
SCHEMA(s_error, "error", proto_error, U32(proto_error, code, REQ), STR(proto_error, message, REQ));

#define W2C "worker -> coordinator"
#define C2W "coordinator -> worker"
#define R2C "client -> coordinator (request)"
#define C2R "coordinator -> client (reply)"
const proto_msg_info proto_msg_table[PROTO_MSG_COUNT_] = {
    [PROTO_MSG_HELLO] = {"hello", &s_hello, "any client -> coordinator", "first frame of every connection"},
    [PROTO_MSG_WELCOME] = {"welcome", &s_welcome, "coordinator -> any client", "hello accepted"},
    [PROTO_MSG_REFUSE] = {"refuse", &s_refuse, "coordinator -> any client", "hello refused; the coordinator closes the connection"},
    [PROTO_MSG_HEARTBEAT] = {"heartbeat", &s_heartbeat, W2C, "liveness, load and the leases the worker holds"},
    [PROTO_MSG_ASSIGN] = {"assign", &s_assign, C2W, "a lease on one task"},
    [PROTO_MSG_TASK_STARTED] = {"task_started", &s_task_started, W2C, "the worker began the task"},
    [PROTO_MSG_TASK_RESULT] = {"task_result", &s_task_result, W2C, "outcome of one attempt"},
    [PROTO_MSG_CANCEL_TASK] = {"cancel_task", &s_cancel_task, C2W, "abandon an attempt (timeout, job cancelled)"},
    [PROTO_MSG_CANCEL_JOB] = {"cancel_job", &s_cancel_job, R2C, "cancel a job (final); reply ok"},
    [PROTO_MSG_DRAIN] = {"drain", &s_drain, R2C ", and coordinator -> worker", "stop giving a worker new tasks; reply ok"},
    [PROTO_MSG_SUBMIT_JOB] = {"submit_job", &s_submit_job, R2C, "create a job; reply job_accepted"},
    [PROTO_MSG_JOB_ACCEPTED] = {"job_accepted", &s_job_accepted, C2R, "the job id of a submitted job"},
    [PROTO_MSG_SUBMIT_TASKS] = {"submit_tasks", &s_submit_tasks, R2C, "one batch of tasks for a job; reply ok"},
    [PROTO_MSG_SEAL_JOB] = {"seal_job", &s_seal_job, R2C, "no more tasks will come; reply ok"},
    [PROTO_MSG_JOB_STATUS] = {"job_status", &s_job_status, R2C, "reply job_info"},
    [PROTO_MSG_JOB_INFO] = {"job_info", &s_job_info, C2R, "snapshot of one job"},
    [PROTO_MSG_LIST_JOBS] = {"list_jobs", &s_list_jobs, R2C, "reply jobs"},
    [PROTO_MSG_JOBS] = {"jobs", &s_jobs, C2R, "job snapshots"},
    [PROTO_MSG_LIST_WORKERS] = {"list_workers", &s_list_workers, R2C, "reply workers"},
    [PROTO_MSG_WORKERS] = {"workers", &s_workers, C2R, "the workers the coordinator knows"},
    [PROTO_MSG_GET_TASK] = {"get_task", &s_get_task, R2C, "reply task_info"},
    [PROTO_MSG_TASK_INFO] = {"task_info", &s_task_info, C2R, "one task record"},
    [PROTO_MSG_SET_STRATEGY] = {"set_strategy", &s_set_strategy, R2C, "change the scheduling strategy; reply ok"},
    [PROTO_MSG_SUBSCRIBE] = {"subscribe", &s_subscribe, R2C, "reply job_info now, then progress events"},
    [PROTO_MSG_PROGRESS] = {"progress", &s_progress, "coordinator -> client (event)", "job snapshot pushed on every change; rid of the subscribe"},
    [PROTO_MSG_OK] = {"ok", &s_ok, C2R, "request done"},
    [PROTO_MSG_ERROR] = {"error", &s_error, "either direction (reply)", "request failed, or protocol violation before close"},
};
