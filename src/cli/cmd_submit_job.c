/* auralith-pipeline submit-job: embedded (one process) or external (a coordinator). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auralith/pipeline.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/opts.h"
#include "cli/dry_run.h"
#include "cli/cli_render.h"

static const cli_opt OPTS[] = {
    {"config", 'c', "PATH", "YAML config file", NULL, CLI_REQUIRED},
    {"input-dir", 'i', "DIR", "directory of raw files (recursive)", NULL, CLI_REQUIRED},
    {"output-dir", 'o', "DIR", "directory for shards and index.json", NULL, CLI_REQUIRED},
    {"tokenizers-dir", 't', "DIR", "tokenizers root (text/, image/, ...)", NULL, CLI_REQUIRED},
    {"job-name", 0, "NAME", "name of the job", "auralith-job", 0},
    {"max-seq-len", 0, "N", "tokens per sample row", "4096", 0},
    {"shard-size", 0, "N", "samples per shard file", "10000", 0},
    {"files-per-task", 0, "N", "files per task", "500", 0},
    {"long-documents", 0, "MODE", "truncate (one row per file, the original's) or split (every id kept, in rows)", "truncate", 0},
    {"detect-text", 0, NULL, "also tokenize files with no known extension whose name (README, LICENSE, Makefile, ...) or content is text", NULL, 0},
    {"jsonl-field", 0, "NAME", "field of a JSON Lines record holding its text", "text", 0},
    {"pack", 0, NULL, "pack several documents per row (job.packing greedy; adds document_ids/position_ids)", NULL, 0},
    {"num-workers", 'w', "N", "in-process workers, one tokenizer thread each (embedded mode)", "2", 0},
    {"embedded", 0, NULL, "run coordinator and workers in this process (no Redis, no TCP)", NULL, 0},
    {"external", 0, NULL, "submit to a running coordinator (the default)", NULL, 0},
    {"coordinator", 0, "HOST:PORT", "coordinator address (external; default: coordinator.host/port of the config)", NULL, 0},
    {"timeout", 0, "SECONDS", "job timeout (default: job.timeout of the config)", NULL, 0},
    {"dry-run", 0, NULL, "print the plan (files by modality, skipped by reason, tasks, bytes) and submit nothing", NULL, 0},
    {"detach", 0, NULL, "external mode: print the job id and return once the job is submitted", NULL, 0},
    {"overwrite", 0, NULL, "the output directory holds a previous run: remove what its index.json lists, then run", NULL, 0},
    {"resume", 0, NULL, "the output directory holds a previous run, finished or killed: keep its tasks that still verify, run the rest", NULL, 0},
    {"verify-shards", 0, "MODE", "check each result before accepting it: header or sha256 (default: job.verify_shards)", NULL, 0},
    {0}};

static const cli_cmd CMD = {
    "submit-job", "Tokenize a directory of raw files into SafeTensors shards.",
    "-c CONFIG -i INPUT -o OUTPUT -t TOKENIZERS [--embedded -w N | --external] [OPTIONS]", OPTS,
    "Exit codes: 0 completed, 1 error before or while running (nothing found, coordinator\n"
    "unreachable, ...), 2 usage error, 3 completed_with_errors, 4 failed, 5 cancelled,\n"
    "6 timeout. In external mode Ctrl-C detaches: the job goes on, and the command prints\n"
    "how to follow or cancel it (exit 0). In embedded mode Ctrl-C cancels the job (exit 5)."};

static volatile sig_atomic_t g_stop;
static void on_sigint(int sig) {
  (void)sig;
  g_stop = 1;
}

typedef struct progress_state {
  int tty;
  double t0, last_print;
  uint64_t files;
} progress_state;

static void on_submitted(void *ud, const char *job_id, uint64_t files, uint64_t tasks) {
  progress_state *p = ud;
  p->files = files;
  al_info("job %s submitted: %llu files in %llu tasks", job_id, (unsigned long long)files, (unsigned long long)tasks);
}

/* "ETA 12s" once a task has finished; "ETA --" before (nothing to estimate from). */
static void format_eta(char *out, size_t cap, double el, uint64_t done, uint64_t total) {
  if (done == 0 || el <= 0) snprintf(out, cap, "--");
  else if (done >= total) snprintf(out, cap, "0s");
  else snprintf(out, cap, "%.0fs", el * (double)(total - done) / (double)done);
}

/* A status line kept below the log lines on a terminal; a log line every 10 s otherwise. */
static void on_progress(void *ud, const al_job *j) {
  progress_state *p = ud;
  double now = al_mono_s(), el = now - p->t0;
  uint64_t done = j->completed_tasks + j->failed_tasks;
  int final = done >= j->total_tasks && j->sealed;
  double tps = el > 0 ? (double)j->tokens / el : 0, mbs = el > 0 ? (double)j->bytes / el / 1e6 : 0;
  char eta[32];
  format_eta(eta, sizeof eta, el, done, j->total_tasks);
  if (p->tty) {
    if (now - p->last_print < 0.1 && !final) return;
    char line[256];
    snprintf(line, sizeof line, "[%s] tasks %llu/%llu  samples %llu  %.1f MB/s  %.0f tokens/s  failed %llu  ETA %s",
             j->status, (unsigned long long)done, (unsigned long long)j->total_tasks, (unsigned long long)j->samples,
             mbs, tps, (unsigned long long)j->failed_tasks, eta);
    al_log_status(line);
  } else {
    if (now - p->last_print < 10 && !final) return;
    al_info("job %s: %s, tasks %llu/%llu, samples %llu, %.1f MB/s, %.0f tokens/s, failed %llu, ETA %s", j->id,
            j->status, (unsigned long long)done, (unsigned long long)j->total_tasks, (unsigned long long)j->samples,
            mbs, tps, (unsigned long long)j->failed_tasks, eta);
  }
  p->last_print = now;
}

int cmd_submit_job(int argc, char **argv) {
  cli_values v;
  int rc = cli_parse(&CMD, argc, argv, &v);
  if (rc != CLI_OK) {
    cli_values_free(&v);
    return rc == CLI_HELP ? 0 : 2;
  }
  int status = 2;
  int64_t max_seq_len = 0, shard_size = 0, fpt = 0, nworkers = 0;
  double timeout = 0;
  if (v.npositional > 0) {
    cli_usage_error(&CMD, "unexpected argument '%s'", v.positional[0]);
    goto done;
  }
  if (cli_flag(&v, "embedded") && cli_flag(&v, "external")) {
    cli_usage_error(&CMD, "--embedded and --external exclude each other");
    goto done;
  }
  /* Absent flags stay 0: the pipeline runner then takes the config's job.* value,
   * whose default is the original's CLI default. */
  if ((cli_given(&v, "max-seq-len") && !cli_get_int(&v, "max-seq-len", 1, 1048576, &max_seq_len)) ||
      (cli_given(&v, "shard-size") && !cli_get_int(&v, "shard-size", 1, 10000000, &shard_size)) ||
      (cli_given(&v, "files-per-task") && !cli_get_int(&v, "files-per-task", 1, 10000000, &fpt)) ||
      (cli_given(&v, "num-workers") && !cli_get_int(&v, "num-workers", 1, 1024, &nworkers)) ||
      (cli_given(&v, "timeout") && !cli_get_double(&v, "timeout", 0.001, 1e9, &timeout)))
    goto done;
  int embedded = cli_flag(&v, "embedded");
  if (cli_flag(&v, "overwrite") && cli_flag(&v, "resume")) {
    cli_usage_error(&CMD, "--overwrite and --resume exclude each other");
    goto done;
  }
  const char *verify = cli_get(&v, "verify-shards");
  if (verify && strcmp(verify, "header") != 0 && strcmp(verify, "sha256") != 0) {
    cli_usage_error(&CMD, "--verify-shards is '%s'; expected header or sha256", verify);
    goto done;
  }
  /* Embedded: the in-process coordinator's and workers' life-cycle lines (joined,
   * draining, disconnected) say nothing to the user; -v shows them. */
  if (embedded) {
    al_log_demote_component("coordinator");
    al_log_demote_component("worker");
  }
  if (cli_flag(&v, "dry-run")) {
    status = cli_dry_run(cli_get(&v, "input-dir"), fpt, cli_flag(&v, "detect-text"));
    goto done;
  }

  al_pipeline_options o;
  al_pipeline_options_init(&o);
  o.config_path = cli_get(&v, "config");
  o.input_dir = cli_get(&v, "input-dir");
  o.output_dir = cli_get(&v, "output-dir");
  o.tokenizers_dir = cli_get(&v, "tokenizers-dir");
  o.job_name = cli_given(&v, "job-name") ? cli_get(&v, "job-name") : NULL;
  o.max_seq_len = max_seq_len;
  o.shard_size = shard_size;
  o.files_per_task = fpt;
  o.timeout_s = timeout;
  o.long_documents = cli_given(&v, "long-documents") ? cli_get(&v, "long-documents") : NULL;
  o.packing = cli_flag(&v, "pack") ? "greedy" : NULL;
  o.detect_text = cli_flag(&v, "detect-text");
  o.jsonl_field = cli_given(&v, "jsonl-field") ? cli_get(&v, "jsonl-field") : NULL;
  o.embedded = embedded;
  o.num_workers = (int)nworkers;
  o.coordinator = cli_get(&v, "coordinator");
  o.detach = !embedded && cli_flag(&v, "detach");
  o.output_mode = cli_flag(&v, "overwrite") ? "overwrite" : cli_flag(&v, "resume") ? "resume" : NULL;
  o.verify_shards = verify;
  progress_state ps = {.tty = isatty(2), .t0 = al_mono_s()};
  o.on_submitted = on_submitted;
  o.on_progress = on_progress;
  o.user_data = &ps;
  o.stop = &g_stop;

  cli_title("Submitting Distributed Job");
  printf("Job Name:     %s\nInput:        %s\nOutput:       %s\nTokenizers:   %s\n",
         o.job_name ? o.job_name : "(job.name of the config)", o.input_dir, o.output_dir, o.tokenizers_dir);
  printf("Mode:         %s\n", embedded ? "embedded" : "external");
  printf("[OK] Job configured — starting execution...\n");
  fflush(stdout);
  struct sigaction sa = {0};
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  al_pipeline_result res;
  al_err err;
  al_err_clear(&err);
  int run = al_pipeline_run(&o, &res, &err);
  if (ps.tty) al_log_status(NULL);
  if (run != 0) {
    fprintf(stderr, "[ERROR] Job failed: %s\n", err.msg);
    status = 1;
    al_pipeline_result_free(&res);
    goto done;
  }
  if (res.status && !strcmp(res.status, "detached")) {
    const char *addr = res.coordinator ? res.coordinator : "HOST:PORT";
    printf("%sJob ID: %s\n", g_stop ? "Detached (the job keeps running).\n" : "", res.job_id);
    printf("Follow it:  auralith-pipeline job-status --coordinator %s --job-id %s\n", addr, res.job_id);
    printf("Cancel it:  alctl --coordinator %s cancel %s\n", addr, res.job_id);
    status = 0;
    al_pipeline_result_free(&res);
    goto done;
  }
  cli_title("Job Completed");
  double el = res.elapsed_s > 0 ? res.elapsed_s : 0;
  printf("Job ID:   %s\nStatus:   %s\nTasks:    %llu/%llu\nFailed:   %llu\nFiles:    %llu\nSamples:  %llu\n"
         "Tokens:   %llu\nInput:    %llu bytes\nTime:     %.1fs\nRate:     %.2f MB/s, %.0f ids/s\nOutput:   %s\n"
         "Manifest: %s/index.json\n",
         res.job_id ? res.job_id : "-", res.status, (unsigned long long)res.completed_tasks,
         (unsigned long long)res.total_tasks, (unsigned long long)res.failed_tasks, (unsigned long long)res.files,
         (unsigned long long)res.samples, (unsigned long long)res.tokens, (unsigned long long)res.final.bytes,
         res.elapsed_s, el > 0 ? (double)res.final.bytes / el / 1e6 : 0, el > 0 ? (double)res.tokens / el : 0,
         o.output_dir, o.output_dir);
  cli_render_counts(stdout, &res.final, "");
  for (size_t i = 0; i < res.n_errors && i < 5; i++) printf("Error:    %s\n", res.errors[i]);
  status = al_pipeline_exit_code(res.status);
  al_pipeline_result_free(&res);
done:
  cli_values_free(&v);
  return status;
}
