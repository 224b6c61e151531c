/* Administration requests (workers, jobs, tasks, cancel, strategy, drain) and the
 * conversion of decoded replies into the public structs the caller owns. */
#include <stdlib.h>
#include <string.h>

#include "client/alc_internal.h"

char *alc_strdup_or_null(const char *s) { return s ? al_xstrdup(s) : NULL; }

/* The coordinator's "job 'x' not found" becomes the one line users grep for. */
static int rewrite_not_found(al_err *err, const char *what, const char *id) {
  if (err && err->code == AL_E_NOT_FOUND) al_err_set(err, AL_E_NOT_FOUND, "%s not found: %s", what, id);
  return -1;
}

static int need_id(const char *id, const char *what, al_err *err) {
  if (!id || !*id) return al_err_set(err, AL_E_ARG, "no %s id given", what);
  return 0;
}

void alc_job_from_summary(al_job *out, const proto_job_summary *s) {
  memset(out, 0, sizeof *out);
  out->id = al_xstrdup(s->job_id ? s->job_id : "");
  out->name = alc_strdup_or_null(s->name);
  out->status = al_xstrdup(s->status ? s->status : "");
  if (al_job_state_parse(out->status, &out->state, NULL) != 0) out->state = AL_JOB_UNKNOWN;
  out->created_at = alc_strdup_or_null(s->created_at);
  out->completed_at = alc_strdup_or_null(s->completed_at);
  out->total_tasks = s->total_tasks;
  out->completed_tasks = s->completed_tasks;
  out->failed_tasks = s->failed_tasks;
  out->retried_tasks = s->retried_tasks;
  out->samples = s->samples;
  out->tokens = s->tokens;
  out->bytes = s->bytes;
  out->elapsed_s = s->elapsed_s;
  out->sealed = s->sealed;
  out->documents = s->documents;
  out->ids_encoded = s->ids_encoded;
  out->ids_truncated = s->ids_truncated;
  out->padding = s->padding;
  out->skipped = s->skipped;
  if (s->n_skip_reasons) {
    out->skip_reasons = al_xcalloc(s->n_skip_reasons, sizeof *out->skip_reasons);
    for (size_t i = 0; i < s->n_skip_reasons; i++) {
      out->skip_reasons[i].reason = al_xstrdup(s->skip_reasons[i].reason ? s->skip_reasons[i].reason : "");
      out->skip_reasons[i].count = s->skip_reasons[i].count;
    }
    out->n_skip_reasons = s->n_skip_reasons;
  }
  if (s->n_errors) {
    out->errors = al_xcalloc(s->n_errors, sizeof *out->errors);
    for (size_t i = 0; i < s->n_errors; i++) out->errors[i] = al_xstrdup(s->errors[i] ? s->errors[i] : "");
    out->n_errors = s->n_errors;
  }
}

void al_job_free(al_job *j) {
  if (!j) return;
  free(j->id);
  free(j->name);
  free(j->status);
  free(j->created_at);
  free(j->completed_at);
  for (size_t i = 0; i < j->n_errors; i++) free(j->errors[i]);
  free(j->errors);
  for (size_t i = 0; i < j->n_skip_reasons; i++) free(j->skip_reasons[i].reason);
  free(j->skip_reasons);
  memset(j, 0, sizeof *j);
}

void al_job_list_free(al_job_list *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) al_job_free(&l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

void al_worker_list_free(al_worker_list *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) {
    free(l->v[i].id);
    free(l->v[i].state);
  }
  free(l->v);
  memset(l, 0, sizeof *l);
}

void al_task_free(al_task *t) {
  if (!t) return;
  free(t->id);
  free(t->job_id);
  free(t->status);
  free(t->worker_id);
  free(t->error);
  memset(t, 0, sizeof *t);
}

bool al_status_is_final(const char *s) {
  al_job_state st;
  return s && al_job_state_parse(s, &st, NULL) == 0 && al_job_state_is_final(st);
}

int al_list_workers(al_client *c, al_worker_list *out, al_err *err) {
  memset(out, 0, sizeof *out);
  proto_msg req = {0}, rep;
  req.type = PROTO_MSG_LIST_WORKERS;
  if (alc_request(c, &req, PROTO_MSG_WORKERS, &rep, err) != 0) return -1;
  const proto_workers *w = &rep.u.workers;
  out->v = al_xcalloc(w->n_workers ? w->n_workers : 1, sizeof *out->v);
  out->n = w->n_workers;
  for (size_t i = 0; i < w->n_workers; i++) {
    const proto_worker_info *s = &w->workers[i];
    al_worker *d = &out->v[i];
    d->id = al_xstrdup(s->worker_id ? s->worker_id : "");
    d->state = al_xstrdup(s->state ? s->state : "");
    d->slots = s->slots;
    d->running = s->running;
    d->queued = s->queued;
    d->cpu_percent = s->cpu_percent;
    d->mem_percent = s->mem_percent;
    d->rss_bytes = s->rss_bytes;
    d->tasks_completed = s->tasks_completed;
    d->tasks_failed = s->tasks_failed;
    d->last_seen_s = s->last_seen_s;
    d->bytes_processed = s->bytes_processed;
    d->tokens = s->tokens;
    d->uptime_s = s->uptime_s;
  }
  proto_msg_free(&rep);
  return 0;
}

int al_list_jobs(al_client *c, uint32_t limit, al_job_list *out, al_err *err) {
  return al_list_jobs_page(c, limit, NULL, out, err);
}

int al_list_jobs_page(al_client *c, uint32_t limit, const char *after, al_job_list *out, al_err *err) {
  memset(out, 0, sizeof *out);
  proto_msg req = {0}, rep;
  req.type = PROTO_MSG_LIST_JOBS;
  req.u.list_jobs.limit = limit;
  req.u.list_jobs.after = after;
  if (alc_request(c, &req, PROTO_MSG_JOBS, &rep, err) != 0) return -1;
  out->v = al_xcalloc(rep.u.jobs.n_jobs ? rep.u.jobs.n_jobs : 1, sizeof *out->v);
  out->n = rep.u.jobs.n_jobs;
  out->more = rep.u.jobs.more;
  for (size_t i = 0; i < out->n; i++) alc_job_from_summary(&out->v[i], &rep.u.jobs.jobs[i]);
  proto_msg_free(&rep);
  return 0;
}

int al_job_status(al_client *c, const char *job_id, al_job *out, al_err *err) {
  memset(out, 0, sizeof *out);
  if (need_id(job_id, "job", err) != 0) return -1;
  proto_msg req = {0}, rep;
  req.type = PROTO_MSG_JOB_STATUS;
  req.u.job_status.job_id = job_id;
  if (alc_request(c, &req, PROTO_MSG_JOB_INFO, &rep, err) != 0) return rewrite_not_found(err, "job", job_id);
  alc_job_from_summary(out, &rep.u.job_info);
  proto_msg_free(&rep);
  return 0;
}

void al_metrics_from_job(const al_job *j, al_metrics *out) {
  memset(out, 0, sizeof *out);
  out->total_tasks = j->total_tasks;
  out->completed_tasks = j->completed_tasks;
  out->failed_tasks = j->failed_tasks;
  double denom = j->total_tasks > 0 ? (double)j->total_tasks : 1.0;
  out->throughput = (double)j->completed_tasks / denom * 100.0;
  out->error_rate = (double)j->failed_tasks / denom;
  out->bytes = j->bytes;
  out->tokens = j->tokens;
  out->elapsed_s = j->elapsed_s;
  if (j->elapsed_s > 0) {
    out->mb_per_s = (double)j->bytes / j->elapsed_s / 1e6;
    out->ids_per_s = (double)j->tokens / j->elapsed_s;
  }
}

int al_job_metrics(al_client *c, const char *job_id, al_metrics *out, al_err *err) {
  memset(out, 0, sizeof *out);
  al_job j;
  if (al_job_status(c, job_id, &j, err) != 0) return -1;
  al_metrics_from_job(&j, out);
  al_job_free(&j);
  return 0;
}

/* Sends a request whose reply is a plain ok; an error naming an unknown id is
 * rewritten as "<kind> not found: <id>" (kind NULL: no rewrite). */
static int request_ok(al_client *c, proto_msg *req, const char *kind, const char *id, al_err *err) {
  proto_msg rep;
  if (alc_request(c, req, PROTO_MSG_OK, &rep, err) != 0) return kind ? rewrite_not_found(err, kind, id) : -1;
  proto_msg_free(&rep);
  return 0;
}

int al_cancel_job(al_client *c, const char *job_id, al_err *err) {
  if (need_id(job_id, "job", err) != 0) return -1;
  proto_msg req = {0};
  req.type = PROTO_MSG_CANCEL_JOB;
  req.u.cancel_job.job_id = job_id;
  return request_ok(c, &req, "job", job_id, err);
}

int al_get_task(al_client *c, const char *task_id, al_task *out, al_err *err) {
  memset(out, 0, sizeof *out);
  if (need_id(task_id, "task", err) != 0) return -1;
  proto_msg req = {0}, rep;
  req.type = PROTO_MSG_GET_TASK;
  req.u.get_task.task_id = task_id;
  if (alc_request(c, &req, PROTO_MSG_TASK_INFO, &rep, err) != 0) return rewrite_not_found(err, "task", task_id);
  const proto_task_info *t = &rep.u.task_info;
  out->id = al_xstrdup(t->task_id ? t->task_id : "");
  out->job_id = al_xstrdup(t->job_id ? t->job_id : "");
  out->status = al_xstrdup(t->status ? t->status : "");
  if (al_task_state_parse(out->status, &out->state, NULL) != 0) out->state = AL_TASK_UNKNOWN;
  out->worker_id = t->worker_id && *t->worker_id ? al_xstrdup(t->worker_id) : NULL;
  out->error = t->error && *t->error ? al_xstrdup(t->error) : NULL;
  out->attempts = t->attempts;
  out->retries = t->retries;
  out->files = t->files;
  proto_msg_free(&rep);
  return 0;
}

int al_set_strategy(al_client *c, const char *name, al_err *err) {
  if (!name || !*name) return al_err_set(err, AL_E_ARG, "no strategy name given (round_robin, least_busy, dynamic)");
  proto_msg req = {0};
  req.type = PROTO_MSG_SET_STRATEGY;
  req.u.set_strategy.name = name;
  return request_ok(c, &req, NULL, NULL, err);
}

int al_drain_worker(al_client *c, const char *worker_id, al_err *err) {
  if (need_id(worker_id, "worker", err) != 0) return -1;
  proto_msg req = {0};
  req.type = PROTO_MSG_DRAIN;
  req.u.drain.worker_id = worker_id;
  return request_ok(c, &req, "worker", worker_id, err);
}
