/* One representative message per type (static data), for docs, corpora and tests. */
#include <string.h>

#include "proto/doc.h"

static const char *const ex_files[] = {"/srv/raw/a.txt", "/srv/raw/b.py"};
static const char *const ex_sources[] = {"/srv/raw/a.txt"};
static const char *const ex_errors[] = {"job-7f3a-3: tokenizers dir not readable"};
static const proto_task_ref ex_running[] = {{"job-7f3a-0", 1}};
static const proto_skipped_file ex_skipped[] = {{"data/raw/c.bin", "unsupported file type"}};
static const proto_shard ex_shards[] = {
    {".staging/task_job-7f3a-0.a1.5e1f09ab/shard_000000.safetensors", 120, 245760, 983424,
     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ex_sources, 1}};
static const char *const ex_task_files[] = {"data/raw/a.txt"};
static const proto_task_spec ex_tasks[] = {{0, ex_task_files, 1}};

static const proto_job_summary ex_job = {
    .job_id = "job-7f3a", .name = "wiki", .status = "running",
    .created_at = "2026-11-29T03:00:00.123456", .completed_at = NULL,
    .total_tasks = 4, .completed_tasks = 2, .failed_tasks = 0, .retried_tasks = 1,
    .samples = 240, .tokens = 491520, .bytes = 1966848, .elapsed_s = 35.25, .sealed = true,
    .errors = NULL, .n_errors = 0};
static const proto_job_summary ex_jobs[] = {
    {.job_id = "job-7f3a", .name = "wiki", .status = "completed_with_errors",
     .created_at = "2026-11-29T03:00:00.123456", .completed_at = "2026-11-29T03:01:10",
     .total_tasks = 4, .completed_tasks = 3, .failed_tasks = 1, .samples = 360, .tokens = 737280,
     .bytes = 2950272, .elapsed_s = 69.88, .sealed = true, .errors = ex_errors, .n_errors = 1}};
static const proto_worker_info ex_workers[] = {
    {.worker_id = "worker-1", .slots = 4, .running = 2, .queued = 1, .cpu_percent = 87.5,
     .mem_percent = 41.25, .rss_bytes = 268435456, .tasks_completed = 12, .tasks_failed = 0,
     .last_seen_s = 0.5, .state = "alive", .bytes_processed = 5897728, .tokens = 1474560,
     .uptime_s = 640.5}};

int proto_msg_example(proto_msg_type t, proto_msg *out) {
  memset(out, 0, sizeof *out);
  if (t <= PROTO_MSG_NONE || t >= PROTO_MSG_COUNT_) return -1;
  out->type = t;
  switch (t) {
    case PROTO_MSG_HELLO:
      out->u.hello = (proto_hello){PROTO_VERSION, PROTO_ROLE_WORKER, "worker-1", "s3cret", 4, "auralith 0.1.0"};
      break;
    case PROTO_MSG_WELCOME:
      out->u.welcome = (proto_welcome){PROTO_VERSION, "worker-1", "auralith 0.1.0", 10000, "least_busy"};
      break;
    case PROTO_MSG_REFUSE:
      out->u.refuse = (proto_refuse){PROTO_E_VERSION, "protocol version 2 not supported, expected 1"};
      break;
    case PROTO_MSG_HEARTBEAT:
      out->u.heartbeat = (proto_heartbeat){87.5, 41.25, 268435456, 12, 0, 1440, ex_running, 1, 5897728, 1474560, 640.5};
      break;
    case PROTO_MSG_ASSIGN:
      out->u.assign = (proto_assign){"job-7f3a-0", "job-7f3a", 1, ex_files, 2, "/srv/tokenizers",
                                     "/srv/out/wiki/task_job-7f3a-0", 2048, 10000,
                                     "/srv/out/wiki/.staging/task_job-7f3a-0.a1.5e1f09ab", "/srv/raw", NULL, NULL, false, NULL};
      break;
    case PROTO_MSG_TASK_STARTED: out->u.task_started = (proto_task_ack){"job-7f3a-0", 1}; break;
    case PROTO_MSG_TASK_RESULT:
      out->u.task_result = (proto_task_result){
          .task_id = "job-7f3a-0", .job_id = "job-7f3a", .attempt = 1, .ok = true, .status = "success",
          .samples_processed = 120, .shards_written = 1, .tokens = 245760, .skipped = 1,
          .skipped_files = ex_skipped, .n_skipped_files = 1, .shards = ex_shards, .n_shards = 1,
          .error = NULL, .duration_s = 1.5};
      break;
    case PROTO_MSG_CANCEL_TASK: out->u.cancel_task = (proto_task_ack){"job-7f3a-0", 1}; break;
    case PROTO_MSG_CANCEL_JOB:
      out->request_id = 3;
      out->u.cancel_job.job_id = "job-7f3a";
      break;
    case PROTO_MSG_DRAIN:
      out->request_id = 4;
      out->u.drain.worker_id = "worker-1";
      break;
    case PROTO_MSG_SUBMIT_JOB:
      out->request_id = 1;
      out->u.submit_job = (proto_submit_job){
          .job_id = NULL, .name = "wiki", .input_dir = "/srv/raw", .output_dir = "/srv/out/wiki",
          .tokenizers_dir = "/srv/tokenizers", .max_seq_len = 2048, .shard_size = 10000,
          .files_per_task = 500, .timeout_s = 0, .task_timeout_s = 600, .config = NULL};
      break;
    case PROTO_MSG_JOB_ACCEPTED:
      out->request_id = 1;
      out->u.job_accepted.job_id = "job-7f3a";
      break;
    case PROTO_MSG_SUBMIT_TASKS:
      out->request_id = 2;
      out->u.submit_tasks = (proto_submit_tasks){"job-7f3a", ex_tasks, 1};
      break;
    case PROTO_MSG_SEAL_JOB:
      out->request_id = 5;
      out->u.seal_job = (proto_seal_job){"job-7f3a", 4};
      break;
    case PROTO_MSG_JOB_STATUS:
      out->request_id = 6;
      out->u.job_status.job_id = "job-7f3a";
      break;
    case PROTO_MSG_JOB_INFO:
      out->request_id = 6;
      out->u.job_info = ex_job;
      break;
    case PROTO_MSG_LIST_JOBS:
      out->request_id = 7;
      out->u.list_jobs.limit = 100;
      break;
    case PROTO_MSG_JOBS:
      out->request_id = 7;
      out->u.jobs = (proto_jobs){ex_jobs, 1, false};
      break;
    case PROTO_MSG_LIST_WORKERS: out->request_id = 8; break;
    case PROTO_MSG_WORKERS:
      out->request_id = 8;
      out->u.workers = (proto_workers){ex_workers, 1};
      break;
    case PROTO_MSG_GET_TASK:
      out->request_id = 9;
      out->u.get_task.task_id = "job-7f3a-3";
      break;
    case PROTO_MSG_TASK_INFO:
      out->request_id = 9;
      out->u.task_info = (proto_task_info){"job-7f3a-3", "job-7f3a", "failed", 4, 3, "worker-2",
                                           "tokenizers dir not readable", 500};
      break;
    case PROTO_MSG_SET_STRATEGY:
      out->request_id = 10;
      out->u.set_strategy.name = "least_busy";
      break;
    case PROTO_MSG_SUBSCRIBE:
      out->request_id = 11;
      out->u.subscribe.job_id = "job-7f3a";
      break;
    case PROTO_MSG_PROGRESS:
      out->request_id = 11;
      out->u.progress = ex_job;
      break;
    case PROTO_MSG_OK: out->request_id = 10; break;
    case PROTO_MSG_ERROR:
      out->request_id = 12;
      out->u.error = (proto_error){PROTO_E_NOT_FOUND, "job_status: no job 'job-0000'"};
      break;
    default: return -1;
  }
  return 0;
}
