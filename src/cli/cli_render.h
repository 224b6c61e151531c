/* Text and JSON renderings of client results shared by `auralith-pipeline status`,
 * `job-status` and `alctl`, so one format exists for each thing. Prefix: cli_.
 * Text follows the original's CLI (original-behaviour.md §11: 60 '=' rules, "Active
 * Workers: n", "  • id: CPU=x% Memory=y%", "Progress: c/t", ...) and appends our extra
 * fields after the original's so scripts written for it keep matching.
 * JSON uses the original's record field names (id, status, cpu_usage, memory_usage,
 * total_tasks, ...). The json_t results are new references the caller owns. */
#ifndef AL_CLI_RENDER_H
#define AL_CLI_RENDER_H

#include <jansson.h>
#include <stdio.h>

#include "auralith/client.h"

/* A line of 60 '=' characters. */
void cli_render_rule(FILE *f);
/* rule, title, rule */
void cli_render_title(FILE *f, const char *title);

/* Workers counted as active: state alive or draining. */
size_t cli_active_workers(const al_worker_list *w);

json_t *cli_worker_json(const al_worker *w);
json_t *cli_workers_json(const al_worker_list *w);
json_t *cli_job_json(const al_job *j);
json_t *cli_jobs_json(const al_job_list *l);
json_t *cli_task_json(const al_task *t);
/* Prints v indented (2 spaces, keys in insertion order) and a newline; steals v. */
void cli_json_print(FILE *f, json_t *v);
/* One line, compact (for streams such as `alctl top --json`); steals v. */
void cli_json_print_line(FILE *f, json_t *v);

/* `status`: title "Distributed System Status", Coordinator, Active Workers, the worker
 * lines or "[WARNING] No active workers". */
void cli_render_status_text(FILE *f, const char *address, const al_worker_list *w);
json_t *cli_status_json(const char *address, const al_worker_list *w);

/* `job-status` block after its "Checking status for job" line: rule, "Job: id", rule,
 * Status, Created, blank, Progress, Throughput, Errors, then our extra lines. Unlike
 * the original, whose "Throughput" was the percentage of tasks done, Throughput is the
 * job's rate (input MB/s and token ids/s over its elapsed time, the figures of
 * /metrics); the percentage follows Progress: "Progress: 2/3 (66.7%)". */
void cli_render_job_text(FILE *f, const al_job *j);
/* Documents, ids encoded/written/truncated, padding, skipped files by reason, and a
 * warning naming --long-documents split when truncation dropped over 1% of the ids.
 * pad widens the labels (for aligned blocks). */
void cli_render_counts(FILE *f, const al_job *j, const char *pad);
/* padding / (ids written + padding), ids_truncated / ids_encoded; 0 when empty. */
double cli_padding_fraction(const al_job *j);
double cli_truncated_fraction(const al_job *j);

/* Tables for alctl. */
void cli_render_workers_table(FILE *f, const al_worker_list *w);
void cli_render_jobs_table(FILE *f, const al_job_list *l);
void cli_render_task_text(FILE *f, const al_task *t);

#endif
