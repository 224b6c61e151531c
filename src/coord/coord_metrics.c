/* See coord_metrics.h. Names follow the Prometheus conventions: auralith_ prefix,
 * base units (bytes, seconds), _total on counters. Label values are bounded: job ids
 * only for unfinished jobs, worker ids for current workers, failure reasons from a
 * fixed set, skip reasons cut at their first ':' and capped at METRICS_MAX_REASONS. */
#include "coord/coord_metrics.h"

#include <string.h>

#include "coord/coord_conn.h"
#include "coord/coord_jm.h"
#include "coord/coord_reason.h"
#include "ops/ops_process.h"
#include "ops/ops_prom.h"
#include "store/store_redis.h"

#define METRICS_MAX_REASONS 32

#define help ops_prom_help
#define label_value ops_prom_label_value

static void sample_l(al_buf *o, const char *name, const char *label, const char *value, size_t vlen, double v) {
  al_buf_printf(o, "%s{%s=\"", name, label);
  label_value(o, value, vlen);
  al_buf_printf(o, "\"} %.17g\n", v);
}

typedef struct reason_count {
  char reason[64];
  double n;
} reason_count;

static void count_reason(reason_count *t, size_t *n, const char *reason, size_t len, double add) {
  if (len >= sizeof t[0].reason) len = sizeof t[0].reason - 1;
  for (size_t i = 0; i < *n; i++)
    if (strlen(t[i].reason) == len && memcmp(t[i].reason, reason, len) == 0) {
      t[i].n += add;
      return;
    }
  if (*n == METRICS_MAX_REASONS) { /* the last slot collects the rest */
    memcpy(t[*n - 1].reason, "other", 6);
    t[*n - 1].n += add;
    return;
  }
  memcpy(t[*n].reason, reason, len);
  t[*n].reason[len] = '\0';
  t[(*n)++].n = add;
}

size_t coord_metrics_alive_workers(coord_server *s) {
  coord_jm *jm = coord_server_jm(s);
  size_t n = 0;
  for (size_t i = 0; i < coord_jm_worker_count(jm); i++) {
    coord_worker *w = coord_jm_worker_at(jm, i);
    if (w->connected && !w->draining) n++;
  }
  return n;
}

size_t coord_metrics_waiting_tasks(coord_server *s) {
  coord_jm *jm = coord_server_jm(s);
  return coord_jm_pending_count(jm) + coord_jm_backoff_count(jm);
}

typedef enum { JOB_PROGRESS, JOB_BYTES, JOB_TOKENS, JOB_ELAPSED } job_figure;

/* One family with a sample per unfinished job. */
static void job_family(al_buf *o, coord_jm *jm, const char *name, const char *type, const char *text,
                       job_figure fig, double wall) {
  help(o, name, type, text);
  for (size_t i = 0; i < coord_jm_job_count(jm); i++) {
    coord_job *j = coord_jm_job_at(jm, i);
    if (coord_job_status_is_final(j->status)) continue;
    double v = 0;
    switch (fig) {
      case JOB_PROGRESS:
        v = j->total_tasks ? (double)(j->completed_tasks + j->failed_tasks) / (double)j->total_tasks : 0;
        break;
      case JOB_BYTES: v = (double)j->bytes_read; break;
      case JOB_TOKENS: v = (double)j->tokens; break;
      case JOB_ELAPSED: v = wall > j->created_at ? wall - j->created_at : 0; break;
    }
    sample_l(o, name, "job_id", j->id, strlen(j->id), v);
  }
}

/* Open connections by the role their hello declared ("hello": not declared yet), and
 * the wire bytes of all of them. */
static void render_connections(al_buf *o, coord_server *s) {
  size_t by_role[4] = {0}, no_hello = 0;
  for (coord_conn *c = s->conns; c; c = c->next) {
    if (!c->hello_done) no_hello++;
    else if ((unsigned)c->role < 4) by_role[c->role]++;
  }
  help(o, "auralith_connections", "gauge", "open connections by the role of their hello (hello: not sent yet)");
  al_buf_printf(o,
                "auralith_connections{role=\"worker\"} %zu\nauralith_connections{role=\"submitter\"} %zu\n"
                "auralith_connections{role=\"admin\"} %zu\nauralith_connections{role=\"hello\"} %zu\n",
                by_role[PROTO_ROLE_WORKER], by_role[PROTO_ROLE_SUBMITTER], by_role[PROTO_ROLE_ADMIN],
                no_hello + by_role[PROTO_ROLE_NONE]);
  help(o, "auralith_network_received_bytes_total", "counter",
       "bytes received from workers and clients (on the wire, TLS included)");
  ops_prom_sample(o, "auralith_network_received_bytes_total", (double)s->conns_grp.bytes_in);
  help(o, "auralith_network_sent_bytes_total", "counter", "bytes sent to workers and clients (on the wire, TLS included)");
  ops_prom_sample(o, "auralith_network_sent_bytes_total", (double)s->conns_grp.bytes_out);
}

/* The state store: its type; for Redis its connection, backlog (commands issued and
 * not answered: queued during an outage or in flight) and round-trip latency. */
static void render_store(al_buf *o, store *st) {
  int redis = st && strcmp(st->ops->name, "redis") == 0;
  help(o, "auralith_store_info", "gauge", "the state store in use (type = memory or redis)");
  al_buf_printf(o, "auralith_store_info{type=\"%s\"} 1\n", redis ? "redis" : "memory");
  store_redis_stats rs = {0};
  if (redis) store_redis_get_stats(st, &rs);
  help(o, "auralith_store_up", "gauge", "1 while the store is connected (always 1 for memory)");
  ops_prom_sample(o, "auralith_store_up", redis ? store_redis_connected(st) != 0 : 1);
  help(o, "auralith_store_pending_commands", "gauge", "store commands issued and not yet answered (backlog)");
  ops_prom_sample(o, "auralith_store_pending_commands", (double)rs.queued);
  help(o, "auralith_store_pending_bytes", "gauge", "size of those commands");
  ops_prom_sample(o, "auralith_store_pending_bytes", (double)rs.queued_bytes);
  help(o, "auralith_store_commands_total", "counter", "store commands answered");
  ops_prom_sample(o, "auralith_store_commands_total", redis ? (double)rs.commands : (double)(st ? st->ops_issued : 0));
  help(o, "auralith_store_errors_total", "counter",
       "store trouble by kind: command timeouts, failed connects, connections lost, operations rejected at the "
       "outage limit");
  al_buf_printf(o,
                "auralith_store_errors_total{kind=\"timeout\"} %llu\nauralith_store_errors_total{kind=\"connect\"} "
                "%llu\nauralith_store_errors_total{kind=\"disconnect\"} %llu\n"
                "auralith_store_errors_total{kind=\"rejected\"} %llu\n",
                (unsigned long long)rs.timeouts, (unsigned long long)rs.connect_failures,
                (unsigned long long)rs.disconnects, (unsigned long long)rs.rejected);
  help(o, "auralith_store_command_duration_seconds", "histogram",
       "round trip of answered store commands (sent -> reply); empty for the memory store");
  for (size_t i = 0; i < STORE_REDIS_LATENCY_BOUNDS; i++)
    al_buf_printf(o, "auralith_store_command_duration_seconds_bucket{le=\"%g\"} %llu\n",
                  store_redis_latency_bounds[i], (unsigned long long)rs.latency_le[i]);
  al_buf_printf(o, "auralith_store_command_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                (unsigned long long)rs.commands);
  al_buf_printf(o, "auralith_store_command_duration_seconds_sum %.9f\n", rs.latency_sum_s);
  al_buf_printf(o, "auralith_store_command_duration_seconds_count %llu\n", (unsigned long long)rs.commands);
}

void coord_metrics_render(coord_server *s, double started_mono, al_buf *o) {
  coord_jm *jm = coord_server_jm(s);
  double now = al_mono_s();
  size_t nw = coord_jm_worker_count(jm), connected = 0, alive = 0, draining = 0;
  double slots = 0, queued = 0, running = 0;
  for (size_t i = 0; i < nw; i++) {
    coord_worker *w = coord_jm_worker_at(jm, i);
    connected += w->connected != 0;
    alive += w->connected && !w->draining;
    draining += w->draining != 0;
    slots += w->slots;
    queued += (double)w->queued.n;
    running += (double)w->running.n;
  }
  help(o, "auralith_up", "gauge", "1 while the coordinator serves");
  al_buf_printf(o, "auralith_up 1\n");
  help(o, "auralith_build_info", "gauge", "version of the running binary");
  al_buf_printf(o, "auralith_build_info{version=\"%s\",role=\"coordinator\"} 1\n", AURALITH_VERSION);
  help(o, "auralith_uptime_seconds", "gauge", "seconds since the coordinator started");
  al_buf_printf(o, "auralith_uptime_seconds %.3f\n", now - started_mono);

  help(o, "auralith_workers", "gauge", "known workers by state (connected: has a connection; alive: connected and "
                                       "not draining; known: also those within heartbeat_timeout of a disconnect)");
  al_buf_printf(o, "auralith_workers{state=\"known\"} %zu\nauralith_workers{state=\"connected\"} %zu\n", nw, connected);
  al_buf_printf(o, "auralith_workers{state=\"alive\"} %zu\nauralith_workers{state=\"draining\"} %zu\n", alive,
                draining);
  help(o, "auralith_worker_slots", "gauge", "task slots announced by the known workers");
  al_buf_printf(o, "auralith_worker_slots %.0f\n", slots);
  help(o, "auralith_worker_heartbeat_age_seconds", "gauge", "seconds since anything arrived from the worker");
  for (size_t i = 0; i < nw; i++) {
    coord_worker *w = coord_jm_worker_at(jm, i);
    sample_l(o, "auralith_worker_heartbeat_age_seconds", "worker_id", w->id, strlen(w->id), now - w->last_seen);
  }
  help(o, "auralith_worker_tasks_completed_total", "counter", "tasks the worker completed");
  for (size_t i = 0; i < nw; i++) {
    coord_worker *w = coord_jm_worker_at(jm, i);
    sample_l(o, "auralith_worker_tasks_completed_total", "worker_id", w->id, strlen(w->id),
             (double)w->tasks_completed);
  }

  help(o, "auralith_tasks", "gauge", "unfinished tasks by state");
  al_buf_printf(o, "auralith_tasks{state=\"pending\"} %zu\n", coord_jm_pending_count(jm));
  al_buf_printf(o, "auralith_tasks{state=\"backoff\"} %zu\n", coord_jm_backoff_count(jm));
  al_buf_printf(o, "auralith_tasks{state=\"queued\"} %.0f\nauralith_tasks{state=\"running\"} %.0f\n", queued,
                running);

  double dispatched = 0, completed = 0, retried = 0, samples = 0, tokens = 0, bytes = 0, shards = 0;
  double skipped = 0;
  reason_count fail_r[METRICS_MAX_REASONS], skip_r[METRICS_MAX_REASONS];
  size_t n_fail_r = 0, n_skip_r = 0;
  size_t nj = coord_jm_job_count(jm);
  double jobs_by[COORD_JOB_TIMEOUT + 1] = {0};
  for (size_t i = 0; i < nj; i++) {
    coord_job *j = coord_jm_job_at(jm, i);
    if (j->status <= COORD_JOB_TIMEOUT) jobs_by[j->status]++;
    completed += (double)j->completed_tasks;
    retried += (double)j->retried_tasks;
    samples += (double)j->samples;
    tokens += (double)j->tokens;
    bytes += (double)j->bytes_read;
    shards += (double)j->shards_written;
    skipped += (double)j->skipped;
    for (size_t k = 0; k < j->total_tasks; k++) {
      coord_task *t = j->tasks[k];
      dispatched += t->attempt;
      if (t->status == COORD_TASK_FAILED) {
        const char *r = coord_reason_name(coord_reason_of(t->error));
        count_reason(fail_r, &n_fail_r, r, strlen(r), 1);
      }
      if (!t->has_result) continue;
      for (size_t q = 0; q < t->result.n_skips; q++) {
        const char *r = t->result.skips[q].reason ? t->result.skips[q].reason : "unknown";
        const char *colon = strchr(r, ':');
        count_reason(skip_r, &n_skip_r, r, colon ? (size_t)(colon - r) : strlen(r), 1);
      }
    }
  }
  help(o, "auralith_tasks_dispatched_total", "counter", "task assignments to workers (attempts)");
  al_buf_printf(o, "auralith_tasks_dispatched_total %.0f\n", dispatched);
  help(o, "auralith_tasks_completed_total", "counter", "tasks completed");
  al_buf_printf(o, "auralith_tasks_completed_total %.0f\n", completed);
  help(o, "auralith_tasks_failed_total", "counter", "tasks failed for good, by reason");
  if (n_fail_r == 0) al_buf_printf(o, "auralith_tasks_failed_total{reason=\"other\"} 0\n");
  for (size_t i = 0; i < n_fail_r; i++)
    sample_l(o, "auralith_tasks_failed_total", "reason", fail_r[i].reason, sizeof fail_r[i].reason, fail_r[i].n);
  help(o, "auralith_task_retries_total", "counter", "failed attempts that were retried");
  al_buf_printf(o, "auralith_task_retries_total %.0f\n", retried);
  help(o, "auralith_task_attempts_failed_total", "counter",
       "failed attempts since the coordinator started (retried or final), by reason");
  for (int r = 0; r < COORD_REASON_COUNT_; r++)
    al_buf_printf(o, "auralith_task_attempts_failed_total{reason=\"%s\"} %llu\n", coord_reason_name((coord_reason)r),
                  (unsigned long long)coord_jm_attempts_failed(jm, r));
  help(o, "auralith_stale_results_total", "counter", "results or starts refused because their lease was stale");
  al_buf_printf(o, "auralith_stale_results_total %llu\n", (unsigned long long)coord_jm_stale_count(jm));
  help(o, "auralith_samples_total", "counter", "samples (rows) written to shards");
  al_buf_printf(o, "auralith_samples_total %.0f\n", samples);
  help(o, "auralith_tokens_total", "counter", "token ids written to shards");
  al_buf_printf(o, "auralith_tokens_total %.0f\n", tokens);
  help(o, "auralith_input_bytes_total", "counter", "input bytes read by completed tasks");
  al_buf_printf(o, "auralith_input_bytes_total %.0f\n", bytes);
  help(o, "auralith_shards_total", "counter", "shard files written");
  al_buf_printf(o, "auralith_shards_total %.0f\n", shards);
  help(o, "auralith_files_skipped_total", "counter", "input files skipped, by reason");
  if (n_skip_r == 0) al_buf_printf(o, "auralith_files_skipped_total{reason=\"unclassified\"} 0\n");
  for (size_t i = 0; i < n_skip_r; i++)
    sample_l(o, "auralith_files_skipped_total", "reason", skip_r[i].reason, sizeof skip_r[i].reason, skip_r[i].n);
  (void)skipped;

  help(o, "auralith_jobs", "gauge", "jobs held by the coordinator, by status");
  for (int st = 0; st <= COORD_JOB_TIMEOUT; st++) {
    const char *name = coord_job_status_name((coord_job_status)st);
    al_buf_printf(o, "auralith_jobs{status=\"%s\"} %.0f\n", name, jobs_by[st]);
  }
  /* Per unfinished job; each family's samples stay together, as the format requires. */
  help(o, "auralith_job_tasks", "gauge", "tasks of each unfinished job, by state");
  static const char *const JOB_TASK_STATES[] = {"total", "completed", "failed"};
  for (size_t i = 0; i < nj; i++) {
    coord_job *j = coord_jm_job_at(jm, i);
    if (coord_job_status_is_final(j->status)) continue;
    size_t n[3] = {j->total_tasks, j->completed_tasks, j->failed_tasks};
    for (size_t k = 0; k < 3; k++) {
      al_buf_puts(o, "auralith_job_tasks{job_id=\"");
      label_value(o, j->id, strlen(j->id));
      al_buf_printf(o, "\",state=\"%s\"} %zu\n", JOB_TASK_STATES[k], n[k]);
    }
  }
  double wall = al_wall_s();
  job_family(o, jm, "auralith_job_progress_ratio", "gauge", "finished tasks / total tasks of each unfinished job",
             JOB_PROGRESS, wall);
  job_family(o, jm, "auralith_job_input_bytes_total", "counter",
             "input bytes read by the completed tasks of each unfinished job", JOB_BYTES, wall);
  job_family(o, jm, "auralith_job_tokens_total", "counter", "token ids written by each unfinished job", JOB_TOKENS,
             wall);
  job_family(o, jm, "auralith_job_elapsed_seconds", "gauge",
             "seconds since each unfinished job was created (job-status' MB/s = input bytes / this)", JOB_ELAPSED,
             wall);

  render_connections(o, s);
  render_store(o, s->st);
  ops_process_metrics(o);
}
