/* alctl and `auralith-pipeline status` / `job-status` as real processes against the
 * real coordinator server (in-process on its own thread, real TCP) with a scripted
 * worker: every command's text and --json output, and the one-line errors. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

#include "auralith/client.h"
#include "harness.h"
#include "support.h"
#include "test_client_fixture.h"

static char g_alctl[4096];
static char g_addr[64];

/* Runs argv (NULL-terminated varargs after the program); fills out/err (caller frees). */
static int run(char **out, char **err, const char *prog, ...) {
  char *argv[32];
  int n = 0;
  argv[n++] = (char *)prog;
  va_list ap;
  va_start(ap, prog);
  const char *a;
  while ((a = va_arg(ap, const char *)) && n < 31) argv[n++] = (char *)a;
  va_end(ap);
  argv[n] = NULL;
  return ts_run(argv, NULL, out, err, 30);
}

static int count_lines(const char *s) {
  int n = 0;
  for (; s && *s; s++) n += *s == '\n';
  return n;
}

static json_t *parse(const char *s) {
  json_error_t je;
  json_t *v = json_loads(s ? s : "", 0, &je);
  CHECK_MSG(v != NULL, "not JSON (%s): %s", je.text, s ? s : "(null)");
  return v;
}

static void test_usage(void) {
  char *out = NULL, *err = NULL;
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--help", NULL), 0);
  for (const char *c = "workers\0jobs\0job ID\0task ID\0cancel ID\0strategy [NAME]\0drain WORKER\0top\0"; *c;
       c += strlen(c) + 1)
    CHECK_CONTAINS(out, c);
  CHECK_CONTAINS(out, "AURALITH_COORDINATOR");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, NULL), 2);
  CHECK_CONTAINS(err, "Usage: alctl");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "frob", NULL), 2);
  CHECK_CONTAINS(err, "alctl: unknown command 'frob'");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "job", NULL), 2);
  CHECK_CONTAINS(err, "alctl job: expected one argument");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "workers", "extra", NULL), 2);
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--bogus", "workers", NULL), 2);
  CHECK_CONTAINS(err, "unknown option '--bogus'");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--timeout", "abc", "workers", NULL), 2);
  CHECK_CONTAINS(err, "--timeout expects seconds");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "workers", "--iterations", "2", NULL), 2);
  CHECK_CONTAINS(err, "options of 'top'");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "top", "--iterations", "0", NULL), 2);
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", NULL), 2);
  CHECK_CONTAINS(err, "option --coordinator needs a value");
  free(out), free(err);
  const char *cmds[] = {"workers", "jobs", "job", "task", "cancel", "strategy", "drain", "top"};
  for (size_t i = 0; i < AL_ARRAY_LEN(cmds); i++) {
    CHECK_EQ_INT(run(&out, &err, g_alctl, cmds[i], "--help", NULL), 0);
    CHECK_CONTAINS(out, "Usage: alctl");
    CHECK_CONTAINS(out, cmds[i]);
    free(out), free(err);
  }
}

static void test_unreachable(void) {
  int port = ts_free_port();
  char addr[64], want[160];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
  const char *cmds[][2] = {{"workers", NULL}, {"jobs", NULL}, {"job", "x"}, {"task", "x"},
                           {"cancel", "x"},   {"drain", "w"}, {"top", NULL}, {"strategy", "dynamic"}};
  for (size_t i = 0; i < AL_ARRAY_LEN(cmds); i++) {
    char *out = NULL, *err = NULL;
    CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", addr, cmds[i][0], cmds[i][1], NULL), 1);
    snprintf(want, sizeof want, "alctl: cannot connect to coordinator %s: Connection refused\n", addr);
    CHECK_EQ_STR(err, want);
    CHECK_EQ_STR(out, "");
    free(out), free(err);
  }
  /* Default address from the environment. */
  setenv("AURALITH_COORDINATOR", addr, 1);
  char *out = NULL, *err = NULL;
  CHECK_EQ_INT(run(&out, &err, g_alctl, "workers", NULL), 1);
  CHECK_CONTAINS(err, addr);
  free(out), free(err);
  unsetenv("AURALITH_COORDINATOR");

  /* status exits 1 (the original printed the error and exited 0). */
  CHECK_EQ_INT(run(&out, &err, ts_pipeline_bin(), "status", "--coordinator", addr, NULL), 1);
  snprintf(want, sizeof want, "[ERROR] cannot connect to coordinator %s: Connection refused\n", addr);
  CHECK_EQ_STR(err, want);
  CHECK_EQ_STR(out, "");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, ts_pipeline_bin(), "job-status", "--coordinator", addr, "--job-id", "j", "--json",
                   NULL),
               1);
  CHECK_EQ_STR(err, want);
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, ts_pipeline_bin(), "status", "--coordinator", "nocolon", NULL), 1);
  CHECK_EQ_STR(err, "[ERROR] bad coordinator address 'nocolon': expected HOST:PORT or [IPv6]:PORT\n");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, ts_pipeline_bin(), "status", NULL), 2);
  CHECK_CONTAINS(err, "--coordinator");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, ts_pipeline_bin(), "job-status", "--coordinator", addr, NULL), 2);
  CHECK_CONTAINS(err, "--job-id");
  free(out), free(err);
}

static void test_status_without_workers(void) {
  char *out = NULL, *err = NULL;
  CHECK_EQ_INT(run(&out, &err, ts_pipeline_bin(), "status", "--coordinator", g_addr, NULL), 0);
  char want[512];
  snprintf(want, sizeof want,
           "============================================================\n"
           "Distributed System Status\n"
           "============================================================\n"
           "Coordinator: %s\n\nActive Workers: 0\n\n[WARNING] No active workers\n",
           g_addr);
  CHECK_EQ_STR(out, want);
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "workers", NULL), 0);
  CHECK_EQ_STR(out, "No workers connected\n");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "jobs", NULL), 0);
  CHECK_EQ_STR(out, "No jobs\n");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "--json", "jobs", NULL), 0);
  CHECK_EQ_STR(out, "[]\n");
  free(out), free(err);
}

typedef struct scene {
  fx_worker w;
  char failed_task[128];
  char done_task[128];
} scene;

/* w1 (2 slots, 12.5% cpu, 40% mem); job-a: 3 tasks, 2 done, 1 failed ("disk full");
 * job-b: 1 task, running. */
static int build_scene(scene *s, int port) {
  al_err e;
  if (fx_worker_connect(&s->w, port, "w1", 2) != 0) return -1;
  fx_worker_heartbeat(&s->w, 12.5, 40.0);
  al_client *sub = al_connect(g_addr, AL_ROLE_SUBMITTER, NULL, 5, &e);
  if (!sub) return -1;
  const char *files[] = {"/in/a", "/in/b", "/in/c", "/in/d", "/in/e"};
  al_job_spec spec = {.job_id = "job-a", .name = "nightly", .input_dir = "/in", .output_dir = "/out",
                       .tokenizers_dir = "/tok", .files_per_task = 2};
  uint64_t nt;
  int rc = al_submit_job(sub, &spec, NULL, &e) | al_submit_files(sub, "job-a", files, 5, 2, &nt, &e) |
           al_seal_job(sub, "job-a", nt, &e);
  char tid[3][128], jid[128];
  uint32_t att[3];
  for (int i = 0; i < 3 && rc == 0; i++)
    rc = fx_worker_next_assign(&s->w, 5, tid[i], sizeof tid[i], jid, sizeof jid, &att[i]);
  if (rc == 0) {
    fx_worker_result(&s->w, tid[0], jid, att[0], true, NULL, 7);
    fx_worker_result(&s->w, tid[1], jid, att[1], true, NULL, 5);
    fx_worker_result(&s->w, tid[2], jid, att[2], false, "disk full", 0);
    snprintf(s->failed_task, sizeof s->failed_task, "%s", tid[2]);
    snprintf(s->done_task, sizeof s->done_task, "%s", tid[0]);
    spec.job_id = "job-b";
    spec.name = NULL;
    rc = al_submit_job(sub, &spec, NULL, &e) | al_submit_files(sub, "job-b", files, 1, 1, &nt, &e) |
         al_seal_job(sub, "job-b", nt, &e);
  }
  /* wait until job-a is final and the heartbeat is visible */
  for (int i = 0; i < 300 && rc == 0; i++) {
    al_job j;
    al_worker_list ws;
    int ok = 0;
    if (al_job_status(sub, "job-a", &j, &e) == 0 && al_list_workers(sub, &ws, &e) == 0) {
      ok = al_status_is_final(j.status) && ws.n == 1 && ws.v[0].cpu_percent == 12.5;
      al_job_free(&j);
      al_worker_list_free(&ws);
    }
    if (ok) break;
    usleep(10000);
  }
  al_close(sub);
  return rc;
}

static void test_status_commands(void) {
  char *out = NULL, *err = NULL;
  CHECK_EQ_INT(run(&out, &err, ts_pipeline_bin(), "status", "--coordinator", g_addr, NULL), 0);
  CHECK_CONTAINS(out, "Distributed System Status\n============================================================\n");
  CHECK_CONTAINS(out, "Active Workers: 1\n\nWorkers:\n");
  CHECK_CONTAINS(out, "  \u2022 w1: CPU=12.5% Memory=40.0% RSS=64.0MB Slots=2 Running=");
  CHECK_CONTAINS(out, " Input=3.0MB Rate=0.30MB/s,900ids/s State=alive\n");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, ts_pipeline_bin(), "status", "--coordinator", g_addr, "--json", NULL), 0);
  json_t *v = parse(out);
  CHECK_EQ_STR(json_string_value(json_object_get(v, "coordinator")), g_addr);
  CHECK_EQ_INT(json_integer_value(json_object_get(v, "active_workers")), 1);
  json_t *w0 = json_array_get(json_object_get(v, "workers"), 0);
  CHECK_EQ_STR(json_string_value(json_object_get(w0, "id")), "w1");
  CHECK_EQ_STR(json_string_value(json_object_get(w0, "status")), "alive");
  CHECK(json_real_value(json_object_get(w0, "cpu_usage")) == 12.5);
  CHECK(json_real_value(json_object_get(w0, "memory_usage")) == 40.0);
  CHECK_EQ_INT(json_integer_value(json_object_get(w0, "slots")), 2);
  CHECK_EQ_INT(json_integer_value(json_object_get(w0, "rss_bytes")), 64000000);
  CHECK_EQ_INT(json_integer_value(json_object_get(w0, "bytes_processed")), 3000000);
  CHECK_EQ_INT(json_integer_value(json_object_get(w0, "tokens")), 9000);
  CHECK(json_real_value(json_object_get(w0, "mb_per_s")) == 0.3);
  CHECK(json_real_value(json_object_get(w0, "ids_per_s")) == 900);
  json_decref(v);
  free(out), free(err);

  CHECK_EQ_INT(run(&out, &err, ts_pipeline_bin(), "job-status", "--coordinator", g_addr, "--job-id", "job-a", NULL),
               0);
  CHECK_CONTAINS(out, "Checking status for job: job-a\n"
                      "============================================================\n"
                      "Job: job-a\n"
                      "============================================================\n"
                      "Status: completed_with_errors\nCreated: ");
  CHECK_CONTAINS(out, "\n\nProgress: 2/3 (66.7%)\nThroughput: ");
  CHECK_CONTAINS(out, " MB/s, ");
  CHECK_CONTAINS(out, " ids/s\nErrors: 1\n");
  CHECK_CONTAINS(out, "Tokens: 120\n");
  CHECK_CONTAINS(out, "\nInput: 12000 bytes\nElapsed: ");
  CHECK_CONTAINS(out, "Name: nightly\n");
  CHECK_CONTAINS(out, "Samples: 12\n");
  CHECK_CONTAINS(out, "Last errors:\n  - ");
  CHECK_CONTAINS(out, "disk full");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, ts_pipeline_bin(), "job-status", "--coordinator", g_addr, "--job-id", "job-a",
                   "--json", NULL),
               0);
  v = parse(out);
  CHECK_EQ_STR(json_string_value(json_object_get(v, "id")), "job-a");
  CHECK_EQ_STR(json_string_value(json_object_get(v, "status")), "completed_with_errors");
  CHECK_EQ_INT(json_integer_value(json_object_get(v, "total_tasks")), 3);
  CHECK_EQ_INT(json_integer_value(json_object_get(v, "completed_tasks")), 2);
  CHECK_EQ_INT(json_integer_value(json_object_get(v, "failed_tasks")), 1);
  double tp = json_real_value(json_object_get(v, "throughput"));
  CHECK(tp > 66.66 && tp < 66.67);
  /* the rates are the job's bytes and token ids over its elapsed time */
  CHECK_EQ_INT(json_integer_value(json_object_get(v, "bytes")), 12000);
  double el = json_real_value(json_object_get(v, "elapsed_s"));
  double mbs = json_real_value(json_object_get(v, "mb_per_s")), ids = json_real_value(json_object_get(v, "ids_per_s"));
  CHECK_MSG(el > 0 && el < 60, "elapsed_s %g", el);
  CHECK_MSG(mbs > 0 && fabs(mbs * el * 1e6 - 12000) < 1, "mb_per_s %g over %g s", mbs, el);
  CHECK_MSG(ids > 0 && fabs(ids * el - 120) < 0.01, "ids_per_s %g over %g s", ids, el);
  CHECK(json_is_string(json_object_get(v, "created_at")));
  CHECK_EQ_INT(json_array_size(json_object_get(v, "errors")), 1);
  json_decref(v);
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, ts_pipeline_bin(), "job-status", "--coordinator", g_addr, "--job-id", "nope", NULL),
               1);
  CHECK_EQ_STR(err, "[ERROR] job not found: nope\n");
  CHECK_EQ_STR(out, "");
  free(out), free(err);
}

static void test_alctl_reads(const scene *s) {
  char *out = NULL, *err = NULL;
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "workers", NULL), 0);
  CHECK_CONTAINS(out, "WORKER  STATE        SLOTS   RUN QUEUE   CPU%   MEM%   RSS_MB    DONE FAILED     MB/S   SEEN\n");
  CHECK_CONTAINS(out, "w1      alive            2");
  CHECK_CONTAINS(out, "  12.5   40.0     64.0 ");
  CHECK_CONTAINS(out, "     0.30 ");
  CHECK_EQ_INT(count_lines(out), 2);
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--json", "--coordinator", g_addr, "workers", NULL), 0);
  json_t *v = parse(out);
  CHECK_EQ_INT(json_array_size(v), 1);
  CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(v, 0), "id")), "w1");
  json_decref(v);
  free(out), free(err);

  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "jobs", NULL), 0);
  CHECK_CONTAINS(out, "JOB    STATUS");
  CHECK_CONTAINS(out, "job-a  completed_with_errors           2/3   66.7%      1  ");
  CHECK_CONTAINS(out, " nightly\n");
  CHECK_CONTAINS(out, "job-b  ");
  CHECK_EQ_INT(count_lines(out), 3);
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "jobs", "--json", NULL), 0);
  v = parse(out);
  CHECK_EQ_INT(json_array_size(v), 2);
  CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(v, 0), "id")), "job-a");
  CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(v, 1), "id")), "job-b");
  json_decref(v);
  free(out), free(err);

  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "job", "job-a", NULL), 0);
  CHECK_CONTAINS(out, "Job: job-a\n");
  CHECK_CONTAINS(out, "Progress: 2/3 (66.7%)\nThroughput: ");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "--json", "job", "job-a", NULL), 0);
  v = parse(out);
  CHECK_EQ_STR(json_string_value(json_object_get(v, "status")), "completed_with_errors");
  CHECK_EQ_INT(json_integer_value(json_object_get(v, "samples")), 12);
  json_decref(v);
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "job", "nope", NULL), 1);
  CHECK_EQ_STR(err, "alctl: job not found: nope\n");
  free(out), free(err);

  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "task", s->failed_task, NULL), 0);
  char want[256];
  snprintf(want, sizeof want, "Task: %s\nJob: job-a\nStatus: failed\nAttempts: 1\nRetries: ", s->failed_task);
  CHECK_CONTAINS(out, want);
  CHECK_CONTAINS(out, "\nWorker: w1\nFiles: 1\n");
  CHECK_CONTAINS(out, "Error: ");
  CHECK_CONTAINS(out, "disk full");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "task", s->done_task, "--json", NULL), 0);
  v = parse(out);
  CHECK_EQ_STR(json_string_value(json_object_get(v, "status")), "completed");
  CHECK(json_object_get(v, "worker_id") != NULL);
  CHECK(json_is_null(json_object_get(v, "error")));
  CHECK_EQ_INT(json_integer_value(json_object_get(v, "files")), 2);
  json_decref(v);
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "task", "job-a-000099", NULL), 1);
  CHECK_EQ_STR(err, "alctl: task not found: job-a-000099\n");
  free(out), free(err);

  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "top", "--iterations", "2", "--interval", "0.1",
                   NULL),
               0);
  const char *p = strstr(out ? out : "", "auralith top - coordinator ");
  CHECK(p && strstr(p + 1, "auralith top - coordinator "));
  CHECK_CONTAINS(out, "Workers: 1 (1 active)   Jobs shown: 2 (1 running)");
  CHECK(!strstr(out ? out : "", "\033[")); /* not a terminal: no escape codes */
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "--json", "top", "--iterations", "2",
                   "--interval", "0.1", NULL),
               0);
  CHECK_EQ_INT(count_lines(out), 2);
  char *nl = out ? strchr(out, '\n') : NULL;
  if (nl) {
    *nl = '\0';
    v = parse(out);
    CHECK_EQ_INT(json_array_size(json_object_get(v, "workers")), 1);
    CHECK_EQ_INT(json_array_size(json_object_get(v, "jobs")), 2);
    CHECK(json_is_string(json_object_get(v, "time")));
    json_decref(v);
    json_decref(parse(nl + 1));
  }
  free(out), free(err);
}

static void test_alctl_writes(void) {
  char *out = NULL, *err = NULL;
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "strategy", "least_busy", NULL), 0);
  CHECK_EQ_STR(out, "Strategy set to least_busy\n");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "--json", "strategy", "dynamic", NULL), 0);
  json_t *v = parse(out);
  CHECK(json_is_true(json_object_get(v, "ok")));
  CHECK_EQ_STR(json_string_value(json_object_get(v, "strategy")), "dynamic");
  json_decref(v);
  free(out), free(err);
  /* Without a name: the strategy now in use (from the welcome) and the choices. */
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "strategy", NULL), 0);
  CHECK_CONTAINS(out, "Strategy: dynamic\n");
  CHECK_CONTAINS(out, "round_robin, least_busy, dynamic");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "--json", "strategy", NULL), 0);
  v = parse(out);
  CHECK_EQ_STR(json_string_value(json_object_get(v, "strategy")), "dynamic");
  CHECK_EQ_INT(json_array_size(json_object_get(v, "strategies")), 3);
  json_decref(v);
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "strategy", "fastest", NULL), 1);
  CHECK_EQ_INT(count_lines(err), 1);
  CHECK_CONTAINS(err, "alctl: coordinator ");
  CHECK_CONTAINS(err, "'fastest' is not one of round_robin, least_busy, dynamic");
  free(out), free(err);

  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "cancel", "job-b", NULL), 0);
  CHECK_EQ_STR(out, "Cancelled job job-b\n");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "job", "job-b", NULL), 0);
  CHECK_CONTAINS(out, "Status: cancelled\n");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "cancel", "job-b", NULL), 1);
  CHECK_EQ_INT(count_lines(err), 1);
  CHECK_CONTAINS(err, "job 'job-b' is already cancelled");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "--json", "cancel", "nope", NULL), 1);
  CHECK_EQ_STR(err, "alctl: job not found: nope\n");
  CHECK_EQ_STR(out, "");
  free(out), free(err);

  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "drain", "w1", NULL), 0);
  CHECK_CONTAINS(out, "Draining worker w1");
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "--json", "workers", NULL), 0);
  json_t *w = parse(out);
  CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(w, 0), "status")), "draining");
  json_decref(w);
  free(out), free(err);
  CHECK_EQ_INT(run(&out, &err, g_alctl, "--coordinator", g_addr, "drain", "w9", NULL), 1);
  CHECK_EQ_STR(err, "alctl: worker not found: w9\n");
  free(out), free(err);
}

int main(void) {
  const char *bin = getenv("AL_BIN_DIR");
  snprintf(g_alctl, sizeof g_alctl, "%s/alctl", bin ? bin : ".");
  unsetenv("AURALITH_COORDINATOR");
  unsetenv("AURALITH_AUTH_TOKEN");
  RUN(test_usage);
  RUN(test_unreachable);
  fx_coord f;
  if (fx_coord_start(&f, NULL, 0) != 0) {
    CHECK(!"coordinator did not start");
    return TEST_REPORT();
  }
  snprintf(g_addr, sizeof g_addr, "%s", f.addr);
  RUN(test_status_without_workers);
  scene s;
  CHECK(build_scene(&s, f.port) == 0);
  RUN(test_status_commands);
  al_test_current = "test_alctl_reads";
  test_alctl_reads(&s);
  RUN(test_alctl_writes);
  fx_worker_close(&s.w);
  fx_coord_stop(&f);
  return TEST_REPORT();
}
