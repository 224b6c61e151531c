/* Text and JSON renderings shared by the status commands and alctl. */
#include <string.h>

#include "cli/cli_render.h"
#include "common/al.h"

void cli_render_rule(FILE *f) { fputs("============================================================\n", f); }

void cli_render_title(FILE *f, const char *title) {
  cli_render_rule(f);
  fprintf(f, "%s\n", title);
  cli_render_rule(f);
}

static bool active(const al_worker *w) {
  return w->state && (strcmp(w->state, "alive") == 0 || strcmp(w->state, "draining") == 0);
}

size_t cli_active_workers(const al_worker_list *w) {
  size_t n = 0;
  for (size_t i = 0; i < w->n; i++) n += active(&w->v[i]);
  return n;
}

/* A worker's average rates over its process's life, from its last heartbeat. */
static double worker_mb_per_s(const al_worker *w) {
  return w->uptime_s > 0 ? (double)w->bytes_processed / w->uptime_s / 1e6 : 0;
}
static double worker_ids_per_s(const al_worker *w) {
  return w->uptime_s > 0 ? (double)w->tokens / w->uptime_s : 0;
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

json_t *cli_worker_json(const al_worker *w) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string(w->id));
  json_object_set_new(o, "status", json_string(w->state));
  json_object_set_new(o, "cpu_usage", json_real(w->cpu_percent));
  json_object_set_new(o, "memory_usage", json_real(w->mem_percent));
  json_object_set_new(o, "slots", json_integer(w->slots));
  json_object_set_new(o, "running", json_integer(w->running));
  json_object_set_new(o, "queued", json_integer(w->queued));
  json_object_set_new(o, "rss_bytes", json_integer((json_int_t)w->rss_bytes));
  json_object_set_new(o, "tasks_completed", json_integer((json_int_t)w->tasks_completed));
  json_object_set_new(o, "tasks_failed", json_integer((json_int_t)w->tasks_failed));
  json_object_set_new(o, "last_seen_s", json_real(w->last_seen_s));
  json_object_set_new(o, "bytes_processed", json_integer((json_int_t)w->bytes_processed));
  json_object_set_new(o, "tokens", json_integer((json_int_t)w->tokens));
  json_object_set_new(o, "uptime_s", json_real(w->uptime_s));
  json_object_set_new(o, "mb_per_s", json_real(worker_mb_per_s(w)));
  json_object_set_new(o, "ids_per_s", json_real(worker_ids_per_s(w)));
  return o;
}

json_t *cli_workers_json(const al_worker_list *w) {
  json_t *a = json_array();
  for (size_t i = 0; i < w->n; i++) json_array_append_new(a, cli_worker_json(&w->v[i]));
  return a;
}

json_t *cli_job_json(const al_job *j) {
  al_metrics m;
  al_metrics_from_job(j, &m);
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string(j->id));
  json_object_set_new(o, "name", str_or_null(j->name));
  json_object_set_new(o, "status", json_string(j->status));
  json_object_set_new(o, "created_at", str_or_null(j->created_at));
  json_object_set_new(o, "completed_at", str_or_null(j->completed_at));
  json_object_set_new(o, "total_tasks", json_integer((json_int_t)j->total_tasks));
  json_object_set_new(o, "completed_tasks", json_integer((json_int_t)j->completed_tasks));
  json_object_set_new(o, "failed_tasks", json_integer((json_int_t)j->failed_tasks));
  json_object_set_new(o, "retried_tasks", json_integer((json_int_t)j->retried_tasks));
  json_object_set_new(o, "throughput", json_real(m.throughput));
  json_object_set_new(o, "error_rate", json_real(m.error_rate));
  json_object_set_new(o, "samples", json_integer((json_int_t)j->samples));
  json_object_set_new(o, "tokens", json_integer((json_int_t)j->tokens));
  json_object_set_new(o, "bytes", json_integer((json_int_t)j->bytes));
  json_object_set_new(o, "elapsed_s", json_real(m.elapsed_s));
  json_object_set_new(o, "mb_per_s", json_real(m.mb_per_s));
  json_object_set_new(o, "ids_per_s", json_real(m.ids_per_s));
  json_object_set_new(o, "sealed", json_boolean(j->sealed));
  json_t *e = json_array();
  for (size_t i = 0; i < j->n_errors; i++) json_array_append_new(e, json_string(j->errors[i]));
  json_object_set_new(o, "errors", e);
  json_object_set_new(o, "documents", json_integer((json_int_t)j->documents));
  json_object_set_new(o, "ids_encoded", json_integer((json_int_t)j->ids_encoded));
  json_object_set_new(o, "ids_written", json_integer((json_int_t)j->tokens));
  json_object_set_new(o, "ids_truncated", json_integer((json_int_t)j->ids_truncated));
  json_object_set_new(o, "padding", json_integer((json_int_t)j->padding));
  json_object_set_new(o, "padding_fraction", json_real(cli_padding_fraction(j)));
  json_object_set_new(o, "skipped", json_integer((json_int_t)j->skipped));
  json_t *sr = json_object();
  for (size_t i = 0; i < j->n_skip_reasons; i++)
    json_object_set_new(sr, j->skip_reasons[i].reason, json_integer((json_int_t)j->skip_reasons[i].count));
  json_object_set_new(o, "skip_reasons", sr);
  return o;
}

json_t *cli_jobs_json(const al_job_list *l) {
  json_t *a = json_array();
  for (size_t i = 0; i < l->n; i++) json_array_append_new(a, cli_job_json(&l->v[i]));
  return a;
}

json_t *cli_task_json(const al_task *t) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string(t->id));
  json_object_set_new(o, "job_id", json_string(t->job_id));
  json_object_set_new(o, "status", json_string(t->status));
  json_object_set_new(o, "attempts", json_integer(t->attempts));
  json_object_set_new(o, "retries", json_integer(t->retries));
  json_object_set_new(o, "worker_id", str_or_null(t->worker_id));
  json_object_set_new(o, "error", str_or_null(t->error));
  json_object_set_new(o, "files", json_integer((json_int_t)t->files));
  return o;
}

void cli_json_print(FILE *f, json_t *v) {
  json_dumpf(v, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
  fputc('\n', f);
  json_decref(v);
}

void cli_json_print_line(FILE *f, json_t *v) {
  json_dumpf(v, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
  fputc('\n', f);
  json_decref(v);
}

void cli_render_status_text(FILE *f, const char *address, const al_worker_list *w) {
  cli_render_title(f, "Distributed System Status");
  fprintf(f, "Coordinator: %s\n", address);
  fprintf(f, "\nActive Workers: %zu\n", cli_active_workers(w));
  if (w->n == 0) {
    fputs("\n[WARNING] No active workers\n", f);
    return;
  }
  fputs("\nWorkers:\n", f);
  for (size_t i = 0; i < w->n; i++) {
    const al_worker *x = &w->v[i];
    fprintf(f,
            "  \u2022 %s: CPU=%.1f%% Memory=%.1f%% RSS=%.1fMB Slots=%u Running=%u Queued=%u Done=%llu "
            "Failed=%llu Input=%.1fMB Rate=%.2fMB/s,%.0fids/s State=%s\n",
            x->id, x->cpu_percent, x->mem_percent, (double)x->rss_bytes / 1e6, x->slots, x->running, x->queued,
            (unsigned long long)x->tasks_completed, (unsigned long long)x->tasks_failed,
            (double)x->bytes_processed / 1e6, worker_mb_per_s(x), worker_ids_per_s(x), x->state);
  }
}

json_t *cli_status_json(const char *address, const al_worker_list *w) {
  json_t *o = json_object();
  json_object_set_new(o, "coordinator", json_string(address));
  json_object_set_new(o, "active_workers", json_integer((json_int_t)cli_active_workers(w)));
  json_object_set_new(o, "workers", cli_workers_json(w));
  return o;
}

double cli_padding_fraction(const al_job *j) {
  uint64_t slots = j->tokens + j->padding;
  return slots ? (double)j->padding / (double)slots : 0.0;
}

double cli_truncated_fraction(const al_job *j) {
  return j->ids_encoded ? (double)j->ids_truncated / (double)j->ids_encoded : 0.0;
}

void cli_render_counts(FILE *f, const al_job *j, const char *pad) {
  fprintf(f, "Documents:%s %llu\n", pad, (unsigned long long)j->documents);
  fprintf(f, "Ids:%s       %llu encoded, %llu written, %llu dropped by truncation (%.1f%%)\n", pad,
          (unsigned long long)j->ids_encoded, (unsigned long long)j->tokens, (unsigned long long)j->ids_truncated,
          100.0 * cli_truncated_fraction(j));
  fprintf(f, "Padding:%s   %.1f%% of row positions\n", pad, 100.0 * cli_padding_fraction(j));
  fprintf(f, "Skipped:%s   %llu files", pad, (unsigned long long)j->skipped);
  for (size_t i = 0; i < j->n_skip_reasons; i++)
    fprintf(f, "%s%llu %s", i ? ", " : " (", (unsigned long long)j->skip_reasons[i].count, j->skip_reasons[i].reason);
  fputs(j->n_skip_reasons ? ")\n" : "\n", f);
  if (cli_truncated_fraction(j) > 0.01)
    fprintf(f, "[WARNING] Truncation dropped %.1f%% of the ids (%llu of %llu); rerun with --long-documents split "
               "to keep every id\n",
            100.0 * cli_truncated_fraction(j), (unsigned long long)j->ids_truncated,
            (unsigned long long)j->ids_encoded);
}

void cli_render_job_text(FILE *f, const al_job *j) {
  al_metrics m;
  al_metrics_from_job(j, &m);
  cli_render_rule(f);
  fprintf(f, "Job: %s\n", j->id);
  cli_render_rule(f);
  fprintf(f, "Status: %s\n", j->status);
  fprintf(f, "Created: %s\n", j->created_at ? j->created_at : "N/A");
  fprintf(f, "\nProgress: %llu/%llu (%.1f%%)\n", (unsigned long long)j->completed_tasks,
          (unsigned long long)j->total_tasks, m.throughput);
  fprintf(f, "Throughput: %.2f MB/s, %.0f ids/s\n", m.mb_per_s, m.ids_per_s);
  fprintf(f, "Errors: %llu\n", (unsigned long long)j->failed_tasks);
  /* Ours, after the original's lines. */
  if (j->name) fprintf(f, "Name: %s\n", j->name);
  fprintf(f, "Completed: %s\n", j->completed_at ? j->completed_at : "N/A");
  fprintf(f, "Retried: %llu\n", (unsigned long long)j->retried_tasks);
  fprintf(f, "Samples: %llu\n", (unsigned long long)j->samples);
  fprintf(f, "Tokens: %llu\n", (unsigned long long)j->tokens);
  cli_render_counts(f, j, "");
  fprintf(f, "Input: %llu bytes\n", (unsigned long long)j->bytes);
  fprintf(f, "Elapsed: %.1fs\n", m.elapsed_s);
  if (!j->sealed && !al_status_is_final(j->status)) fputs("Submission: still receiving tasks\n", f);
  if (j->n_errors) {
    fputs("Last errors:\n", f);
    for (size_t i = 0; i < j->n_errors; i++) fprintf(f, "  - %s\n", j->errors[i]);
  }
}

static int id_width(const char *header, size_t n, const char *(*get)(const void *, size_t), const void *ctx) {
  size_t w = strlen(header);
  for (size_t i = 0; i < n; i++) w = AL_MAX(w, strlen(get(ctx, i)));
  return (int)AL_MIN(w, 64);
}

static const char *worker_id_at(const void *ctx, size_t i) { return ((const al_worker_list *)ctx)->v[i].id; }
static const char *job_id_at(const void *ctx, size_t i) { return ((const al_job_list *)ctx)->v[i].id; }

void cli_render_workers_table(FILE *f, const al_worker_list *w) {
  if (w->n == 0) {
    fputs("No workers connected\n", f);
    return;
  }
  int iw = id_width("WORKER", w->n, worker_id_at, w);
  fprintf(f, "%-*s  %-12s %5s %5s %5s %6s %6s %8s %7s %6s %8s %6s\n", iw, "WORKER", "STATE", "SLOTS", "RUN",
          "QUEUE", "CPU%", "MEM%", "RSS_MB", "DONE", "FAILED", "MB/S", "SEEN");
  for (size_t i = 0; i < w->n; i++) {
    const al_worker *x = &w->v[i];
    fprintf(f, "%-*s  %-12s %5u %5u %5u %6.1f %6.1f %8.1f %7llu %6llu %8.2f %5.0fs\n", iw, x->id, x->state,
            x->slots, x->running, x->queued, x->cpu_percent, x->mem_percent, (double)x->rss_bytes / 1e6,
            (unsigned long long)x->tasks_completed, (unsigned long long)x->tasks_failed, worker_mb_per_s(x),
            x->last_seen_s);
  }
}

void cli_render_jobs_table(FILE *f, const al_job_list *l) {
  if (l->n == 0) {
    fputs("No jobs\n", f);
    return;
  }
  int iw = id_width("JOB", l->n, job_id_at, l);
  fprintf(f, "%-*s  %-21s %13s %7s %6s  %-26s %s\n", iw, "JOB", "STATUS", "PROGRESS", "PCT", "FAILED", "CREATED",
          "NAME");
  for (size_t i = 0; i < l->n; i++) {
    const al_job *j = &l->v[i];
    al_metrics m;
    al_metrics_from_job(j, &m);
    char prog[48];
    snprintf(prog, sizeof prog, "%llu/%llu", (unsigned long long)j->completed_tasks,
             (unsigned long long)j->total_tasks);
    fprintf(f, "%-*s  %-21s %13s %6.1f%% %6llu  %-26s %s\n", iw, j->id, j->status, prog, m.throughput,
            (unsigned long long)j->failed_tasks, j->created_at ? j->created_at : "N/A", j->name ? j->name : "-");
  }
}

void cli_render_task_text(FILE *f, const al_task *t) {
  fprintf(f, "Task: %s\n", t->id);
  fprintf(f, "Job: %s\n", t->job_id);
  fprintf(f, "Status: %s\n", t->status);
  fprintf(f, "Attempts: %u\n", t->attempts);
  fprintf(f, "Retries: %u\n", t->retries);
  fprintf(f, "Worker: %s\n", t->worker_id ? t->worker_id : "-");
  fprintf(f, "Files: %llu\n", (unsigned long long)t->files);
  fprintf(f, "Error: %s\n", t->error ? t->error : "-");
}
