/* Runs a tokenization job on a running coordinator (external mode) through the
 * installed pipeline API and prints the original's summary.
 *
 *   cc run_job.c -o run_job $(pkg-config --cflags --libs auralith)
 *   ./run_job INPUT_DIR OUTPUT_DIR TOKENIZERS_DIR [HOST:PORT]
 *
 * Ctrl-C stops following (the job keeps running on the coordinator). The exit code
 * is submit-job's: 0 completed, 3 completed_with_errors, 4 failed, 5 cancelled,
 * 6 timeout, 1 error. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <auralith/pipeline.h>

static volatile sig_atomic_t g_stop;

static void on_sigint(int sig) {
  (void)sig;
  g_stop = 1;
}

static void on_progress(void *ud, const al_job *j) {
  (void)ud;
  printf("  %s: %llu/%llu tasks, %llu failed\n", j->status, (unsigned long long)j->completed_tasks,
         (unsigned long long)j->total_tasks, (unsigned long long)j->failed_tasks);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: run_job INPUT_DIR OUTPUT_DIR TOKENIZERS_DIR [HOST:PORT]\n");
    return 2;
  }
  signal(SIGINT, on_sigint);
  al_pipeline_options o;
  al_pipeline_options_init(&o);
  o.input_dir = argv[1];
  o.output_dir = argv[2];
  o.tokenizers_dir = argv[3];
  o.coordinator = argc > 4 ? argv[4] : NULL;
  o.job_name = "run_job example";
  o.on_progress = on_progress;
  o.stop = &g_stop;

  al_pipeline_result r;
  al_err err;
  if (al_pipeline_run(&o, &r, &err) != 0) {
    fprintf(stderr, "run_job: %s\n", err.msg);
    al_pipeline_result_free(&r);
    return 1;
  }
  printf("Status: %s\nTasks: %llu/%llu\nFailed: %llu\nTime: %.1fs\nOutput: %s\n", r.status,
         (unsigned long long)r.completed_tasks, (unsigned long long)r.total_tasks,
         (unsigned long long)r.failed_tasks, r.elapsed_s, o.output_dir);
  if (strcmp(r.status, "detached") == 0) printf("Job %s keeps running on %s\n", r.job_id, r.coordinator);
  int code = al_pipeline_exit_code(r.status);
  al_pipeline_result_free(&r);
  return code;
}
