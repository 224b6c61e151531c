/* Submitting: create a job, add its tasks in bounded batches, seal it. */
#include <stdlib.h>
#include <string.h>

#include "client/alc_internal.h"

#define DEFAULT_FILES_PER_TASK 500u
/* msgpack overhead of one path / one task entry, over-estimated. */
#define PATH_OVERHEAD 8u
#define TASK_OVERHEAD 32u

int al_submit_job(al_client *c, const al_job_spec *spec, char **job_id_out, al_err *err) {
  if (job_id_out) *job_id_out = NULL;
  if (!spec || !spec->input_dir || !spec->output_dir || !spec->tokenizers_dir)
    return al_err_set(err, AL_E_ARG, "submit job: input_dir, output_dir and tokenizers_dir are required");
  proto_msg req = {0}, rep;
  req.type = PROTO_MSG_SUBMIT_JOB;
  proto_submit_job *sj = &req.u.submit_job;
  sj->job_id = spec->job_id && *spec->job_id ? spec->job_id : NULL;
  sj->name = spec->name;
  sj->input_dir = spec->input_dir;
  sj->output_dir = spec->output_dir;
  sj->tokenizers_dir = spec->tokenizers_dir;
  sj->max_seq_len = spec->max_seq_len ? spec->max_seq_len : 4096;
  sj->shard_size = spec->shard_size ? spec->shard_size : 10000;
  sj->files_per_task = spec->files_per_task ? spec->files_per_task : DEFAULT_FILES_PER_TASK;
  sj->timeout_s = spec->timeout_s;
  sj->task_timeout_s = spec->task_timeout_s;
  sj->output_mode = spec->output_mode;
  sj->verify_shards = spec->verify_shards;
  sj->long_documents = spec->long_documents;
  sj->packing = spec->packing;
  sj->detect_text = spec->detect_text;
  sj->jsonl_field = spec->jsonl_field && strcmp(spec->jsonl_field, "text") ? spec->jsonl_field : NULL;
  if (alc_request(c, &req, PROTO_MSG_JOB_ACCEPTED, &rep, err) != 0) return -1;
  if (job_id_out) *job_id_out = al_xstrdup(rep.u.job_accepted.job_id);
  proto_msg_free(&rep);
  return 0;
}

static int send_batch(al_client *c, const char *job_id, const al_task_spec *tasks, size_t n, al_err *err) {
  proto_task_spec *ps = al_xcalloc(n, sizeof *ps);
  for (size_t i = 0; i < n; i++) {
    ps[i].index = tasks[i].index;
    ps[i].files = tasks[i].files;
    ps[i].n_files = tasks[i].n_files;
  }
  proto_msg req = {0}, rep;
  req.type = PROTO_MSG_SUBMIT_TASKS;
  req.u.submit_tasks.job_id = job_id;
  req.u.submit_tasks.tasks = ps;
  req.u.submit_tasks.n_tasks = n;
  int rc = alc_request(c, &req, PROTO_MSG_OK, &rep, err);
  free(ps);
  if (rc != 0) {
    if (err && err->code == AL_E_NOT_FOUND) al_err_set(err, AL_E_NOT_FOUND, "job not found: %s", job_id);
    return -1;
  }
  proto_msg_free(&rep);
  return 0;
}

int al_submit_tasks(al_client *c, const char *job_id, const al_task_spec *tasks, size_t n, al_err *err) {
  if (!job_id || !*job_id) return al_err_set(err, AL_E_ARG, "no job id given");
  size_t start = 0;
  while (start < n) {
    size_t bytes = 0, end = start;
    while (end < n && end - start < AL_BATCH_MAX_TASKS) {
      size_t tb = TASK_OVERHEAD;
      for (size_t f = 0; f < tasks[end].n_files; f++) tb += strlen(tasks[end].files[f]) + PATH_OVERHEAD;
      if (end > start && bytes + tb > AL_BATCH_MAX_BYTES) break;
      bytes += tb;
      end++;
    }
    if (send_batch(c, job_id, tasks + start, end - start, err) != 0) return -1;
    start = end;
  }
  return 0;
}

int al_submit_files(al_client *c, const char *job_id, const char *const *files, size_t n_files,
                     uint32_t files_per_task, uint64_t *n_tasks, al_err *err) {
  if (n_tasks) *n_tasks = 0;
  size_t fpt = files_per_task ? files_per_task : DEFAULT_FILES_PER_TASK;
  size_t nt = (n_files + fpt - 1) / fpt;
  if (nt == 0) return 0;
  al_task_spec *ts = al_xcalloc(nt, sizeof *ts);
  for (size_t i = 0; i < nt; i++) {
    ts[i].index = i;
    ts[i].files = files + i * fpt;
    ts[i].n_files = AL_MIN(fpt, n_files - i * fpt);
  }
  int rc = al_submit_tasks(c, job_id, ts, nt, err);
  free(ts);
  if (rc == 0 && n_tasks) *n_tasks = nt;
  return rc;
}

int al_seal_job(al_client *c, const char *job_id, uint64_t total_tasks, al_err *err) {
  if (!job_id || !*job_id) return al_err_set(err, AL_E_ARG, "no job id given");
  proto_msg req = {0}, rep;
  req.type = PROTO_MSG_SEAL_JOB;
  req.u.seal_job.job_id = job_id;
  req.u.seal_job.total_tasks = total_tasks;
  if (alc_request(c, &req, PROTO_MSG_OK, &rep, err) != 0) {
    if (err && err->code == AL_E_NOT_FOUND) al_err_set(err, AL_E_NOT_FOUND, "job not found: %s", job_id);
    return -1;
  }
  proto_msg_free(&rep);
  return 0;
}
