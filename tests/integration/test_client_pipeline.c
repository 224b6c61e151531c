/* Pipeline runner (include/auralith/pipeline.h) in external mode against the real
 * coordinator server and scripted workers on their own thread; input discovery as the
 * original does it; errors before anything starts. */
#include <stdlib.h>
#include <sys/stat.h>

#include "auralith/pipeline.h"
#include "app/app_scan.h"
#include "harness.h"
#include "support.h"
#include "test_client_fixture.h"

static void touch(const char *dir, const char *rel) {
  char *p = al_xasprintf("%s/%s", dir, rel);
  CHECK(ts_write_file(p, "x", 1) == 0);
  free(p);
}

static void test_normalize(void) {
  static const char *const CASES[][2] = {{"a/b", "a/b"},   {"./a//b/", "a/b"}, {"/x/./y/", "/x/y"},
                                         {".", "."},       {"", "."},          {"/", "/"},
                                         {"a/../b", "a/../b"}, {"./", "."}};
  for (size_t i = 0; i < AL_ARRAY_LEN(CASES); i++) {
    char *n = app_path_normalize(CASES[i][0]);
    CHECK_EQ_STR(n, CASES[i][1]);
    free(n);
  }
}

static void test_scan(void) {
  char *d = ts_mkdtemp("scan");
  touch(d, "b.txt");
  touch(d, "a/z.py");
  touch(d, "a/.hidden");
  touch(d, "a/b/c/deep.bin");
  touch(d, "A.md");
  touch(d, "a-b");
  char *other = ts_mkdtemp("scan-other");
  touch(other, "outside.txt");
  char *ln = al_xasprintf("%s/link-dir", d);
  CHECK(symlink(other, ln) == 0); /* not followed */
  free(ln);
  ln = al_xasprintf("%s/link-file", d);
  char *target = al_xasprintf("%s/b.txt", d);
  CHECK(symlink(target, ln) == 0); /* a file: listed */
  free(ln);
  free(target);
  ln = al_xasprintf("%s/dangling", d);
  CHECK(symlink("/nonexistent/zzz", ln) == 0); /* listed: the worker skips it with a reason */
  free(ln);
  ln = al_xasprintf("%s/fifo", d);
  CHECK(mkfifo(ln, 0600) == 0); /* listed: the worker skips it with a reason */
  free(ln);

  char *given = al_xasprintf("%s//", d);
  app_file_list l;
  al_err err;
  CHECK(app_scan_files(given, &l, &err) == 0);
  const char *want[] = {"A.md", "a-b", "a/.hidden", "a/b/c/deep.bin", "a/z.py", "b.txt", "dangling", "fifo", "link-file"};
  CHECK_EQ_INT(l.n, AL_ARRAY_LEN(want));
  for (size_t i = 0; i < l.n && i < AL_ARRAY_LEN(want); i++) {
    char *w = al_xasprintf("%s/%s", d, want[i]);
    CHECK_EQ_STR(l.v[i], w);
    free(w);
  }
  app_file_list_free(&l);
  free(given);

  char *missing = al_xasprintf("%s/missing", d);
  CHECK(app_scan_files(missing, &l, &err) == 0);
  CHECK_EQ_INT(l.n, 0);
  free(missing);
  char *file = al_xasprintf("%s/b.txt", d);
  CHECK(app_scan_files(file, &l, &err) == -1);
  CHECK_CONTAINS(err.msg, "is not a directory");
  free(file);
  ts_rmtree(d);
  ts_rmtree(other);
  free(d);
  free(other);
}

/* ---- a worker thread that completes (or fails) every task it gets ----------------- */

typedef struct bot {
  int port;
  int tasks;          /* tasks to handle before leaving */
  const char *fail;   /* NULL: succeed; else fail the last task with this error */
  uv_thread_t th;
  int handled;
} bot;

static void bot_main(void *arg) {
  bot *b = arg;
  fx_worker w;
  if (fx_worker_connect(&w, b->port, "bot", 4) != 0) return;
  fx_worker_heartbeat(&w, 1, 2);
  for (int i = 0; i < b->tasks; i++) {
    char tid[128], jid[128];
    uint32_t att;
    if (fx_worker_next_assign(&w, 10, tid, sizeof tid, jid, sizeof jid, &att) != 0) break;
    bool fail = b->fail && i == b->tasks - 1;
    fx_worker_result(&w, tid, jid, att, !fail, fail ? b->fail : NULL, 3);
    b->handled++;
  }
  /* stay connected briefly so results are processed before the close */
  proto_msg m;
  while (fx_recv(&w, 0.2, &m)) proto_msg_free(&m);
  fx_worker_close(&w);
}

static void bot_start(bot *b, int port, int tasks, const char *fail) {
  memset(b, 0, sizeof *b);
  b->port = port;
  b->tasks = tasks;
  b->fail = fail;
  uv_thread_create(&b->th, bot_main, b);
}

typedef struct calls {
  int submitted;
  uint64_t files, tasks;
  int progress;
  char last_status[64];
  volatile sig_atomic_t stop;
  int stop_on_submit;
} calls;

static void on_submitted(void *ud, const char *job_id, uint64_t files, uint64_t tasks) {
  calls *c = ud;
  c->submitted++;
  c->files = files;
  c->tasks = tasks;
  if (c->stop_on_submit) c->stop = 1;
}

static void on_progress(void *ud, const al_job *j) {
  calls *c = ud;
  c->progress++;
  snprintf(c->last_status, sizeof c->last_status, "%s", j->status);
}

static char *make_input(int n) {
  char *d = ts_mkdtemp("pipe-in");
  for (int i = 0; i < n; i++) {
    char rel[32];
    snprintf(rel, sizeof rel, "f%02d.txt", i);
    touch(d, rel);
  }
  return d;
}

/* A loadable tokenizers directory: the runner loads it before submitting. */
static const char *test_tok_dir(void) {
  static char *tok;
  if (!tok) tok = ts_data_path("pipeline/tokenizers");
  return tok;
}

static void opts_for(al_pipeline_options *o, const char *in, const char *addr, calls *c) {
  al_pipeline_options_init(o);
  o->input_dir = in;
  o->output_dir = "/tmp/out-not-written";
  o->tokenizers_dir = test_tok_dir();
  o->coordinator = addr;
  o->files_per_task = 2;
  o->on_submitted = on_submitted;
  o->on_progress = on_progress;
  o->user_data = c;
  o->stop = &c->stop;
}

static void test_external_completed(void) {
  fx_coord f;
  CHECK(fx_coord_start(&f, NULL, 0) == 0);
  char *in = make_input(5);
  bot b;
  bot_start(&b, f.port, 3, NULL);
  calls c = {0};
  al_pipeline_options o;
  opts_for(&o, in, f.addr, &c);
  o.job_name = "pipe";
  al_pipeline_result r;
  al_err err;
  CHECK_MSG(al_pipeline_run(&o, &r, &err) == 0, "%s", err.msg);
  CHECK_EQ_STR(r.status, "completed");
  CHECK_EQ_INT(r.files, 5);
  CHECK_EQ_INT(r.total_tasks, 3);
  CHECK_EQ_INT(r.completed_tasks, 3);
  CHECK_EQ_INT(r.failed_tasks, 0);
  CHECK_EQ_INT(r.samples, 9);
  CHECK_EQ_STR(r.coordinator, f.addr);
  CHECK(r.job_id != NULL);
  CHECK(r.elapsed_s > 0 && r.elapsed_s < 30);
  CHECK_EQ_INT(al_pipeline_exit_code(r.status), 0);
  CHECK_EQ_INT(c.submitted, 1);
  CHECK_EQ_INT(c.files, 5);
  CHECK_EQ_INT(c.tasks, 3);
  CHECK(c.progress >= 1);
  CHECK_EQ_STR(c.last_status, "completed");
  uv_thread_join(&b.th);
  CHECK_EQ_INT(b.handled, 3);

  /* The job record on the coordinator agrees. */
  al_client *adm = al_connect(f.addr, AL_ROLE_ADMIN, NULL, 5, &err);
  al_job j;
  CHECK(adm && al_job_status(adm, r.job_id, &j, &err) == 0);
  CHECK_EQ_STR(j.name, "pipe");
  CHECK_EQ_STR(j.status, "completed");
  al_job_free(&j);
  al_close(adm);
  al_pipeline_result_free(&r);
  al_pipeline_result_free(&r); /* twice is harmless */
  ts_rmtree(in);
  free(in);
  fx_coord_stop(&f);
}

static void test_external_with_errors(void) {
  fx_coord f;
  CHECK(fx_coord_start(&f, NULL, 0) == 0);
  char *in = make_input(3);
  bot b;
  bot_start(&b, f.port, 2, "cannot write /out: disk full");
  calls c = {0};
  al_pipeline_options o;
  opts_for(&o, in, f.addr, &c);
  al_pipeline_result r;
  al_err err;
  CHECK_MSG(al_pipeline_run(&o, &r, &err) == 0, "%s", err.msg);
  CHECK_EQ_STR(r.status, "completed_with_errors");
  CHECK_EQ_INT(r.completed_tasks, 1);
  CHECK_EQ_INT(r.failed_tasks, 1);
  CHECK_EQ_INT(al_pipeline_exit_code(r.status), 3);
  CHECK(r.n_errors >= 1);
  if (r.n_errors) CHECK_CONTAINS(r.errors[0], "disk full");
  uv_thread_join(&b.th);
  al_pipeline_result_free(&r);
  ts_rmtree(in);
  free(in);
  fx_coord_stop(&f);
}

static void test_detach_and_stop(void) {
  fx_coord f;
  CHECK(fx_coord_start(&f, NULL, 0) == 0);
  char *in = make_input(4);
  calls c = {0};
  al_pipeline_options o;
  opts_for(&o, in, f.addr, &c);
  o.detach = true;
  o.job_id = "detached-1";
  al_pipeline_result r;
  al_err err;
  CHECK_MSG(al_pipeline_run(&o, &r, &err) == 0, "%s", err.msg);
  CHECK_EQ_STR(r.status, "detached");
  CHECK_EQ_STR(r.job_id, "detached-1");
  CHECK_EQ_INT(r.total_tasks, 2);
  CHECK_EQ_INT(al_pipeline_exit_code(r.status), 0);
  al_pipeline_result_free(&r);

  /* Ctrl-C while following (no worker: the job would never end). */
  calls c2 = {0};
  c2.stop_on_submit = 1;
  opts_for(&o, in, f.addr, &c2);
  double t0 = al_mono_s();
  CHECK_MSG(al_pipeline_run(&o, &r, &err) == 0, "%s", err.msg);
  CHECK(al_mono_s() - t0 < 3.0);
  CHECK_EQ_STR(r.status, "detached");
  CHECK(r.job_id != NULL);

  al_client *adm = al_connect(f.addr, AL_ROLE_ADMIN, NULL, 5, &err);
  al_job j;
  CHECK(adm && al_job_status(adm, r.job_id, &j, &err) == 0);
  CHECK_EQ_STR(j.status, "running"); /* still there, waiting for workers */
  CHECK(j.sealed);
  al_job_free(&j);
  al_close(adm);
  al_pipeline_result_free(&r);
  ts_rmtree(in);
  free(in);
  fx_coord_stop(&f);
}

static void test_config_address(void) {
  fx_coord f;
  CHECK(fx_coord_start(&f, NULL, 0) == 0);
  char *in = make_input(1);
  char *cfgdir = ts_mkdtemp("pipe-cfg");
  char *cfg = al_xasprintf("%s/c.yaml", cfgdir);
  char *yaml = al_xasprintf("coordinator:\n  host: 0.0.0.0\n  port: %d\njob:\n  name: from-config\n", f.port);
  CHECK(ts_write_file(cfg, yaml, strlen(yaml)) == 0);
  calls c = {0};
  al_pipeline_options o;
  opts_for(&o, in, NULL, &c);
  o.config_path = cfg;
  o.detach = true;
  unsetenv("AURALITH_COORDINATOR");
  al_pipeline_result r;
  al_err err;
  CHECK_MSG(al_pipeline_run(&o, &r, &err) == 0, "%s", err.msg);
  char want[64];
  snprintf(want, sizeof want, "127.0.0.1:%d", f.port);
  CHECK_EQ_STR(r.coordinator, want);
  al_client *adm = al_connect(want, AL_ROLE_ADMIN, NULL, 5, &err);
  al_job j;
  CHECK(adm && r.job_id && al_job_status(adm, r.job_id, &j, &err) == 0);
  CHECK_EQ_STR(j.name, "from-config");
  al_job_free(&j);
  al_close(adm);
  al_pipeline_result_free(&r);

  /* A config that does not load stops everything, naming the file. */
  o.config_path = "/nonexistent/auralith.yaml";
  CHECK(al_pipeline_run(&o, &r, &err) == -1);
  CHECK_CONTAINS(err.msg, "/nonexistent/auralith.yaml");
  /* its own code, not one of the coordinator's (1 would read as BAD_FRAME) */
  CHECK_EQ_INT(err.code, AL_E_CONFIG_NOT_FOUND);
  CHECK_EQ_STR(al_err_code_name(err.code), "CONFIG_NOT_FOUND");
  al_pipeline_result_free(&r);
  ts_rmtree(in);
  ts_rmtree(cfgdir);
  free(in);
  free(cfgdir);
  free(cfg);
  free(yaml);
  fx_coord_stop(&f);
}

static void test_errors_before_start(void) {
  char *empty = ts_mkdtemp("pipe-empty");
  calls c = {0};
  al_pipeline_options o;
  int port = ts_free_port();
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
  opts_for(&o, empty, addr, &c);
  al_pipeline_result r;
  al_err err;
  char want[512];
  /* No files: the error comes first, before any connection (the port is closed). */
  CHECK(al_pipeline_run(&o, &r, &err) == -1);
  CHECK_EQ_INT(err.code, AL_E_NO_FILES);
  snprintf(want, sizeof want, "No files found in %s", empty);
  CHECK_EQ_STR(err.msg, want);
  CHECK(r.job_id == NULL);
  al_pipeline_result_free(&r);
  o.embedded = true;
  CHECK(al_pipeline_run(&o, &r, &err) == -1);
  CHECK_EQ_STR(err.msg, want);
  al_pipeline_result_free(&r);
  o.embedded = false;
  char *missing = al_xasprintf("%s/nope", empty);
  o.input_dir = missing;
  CHECK(al_pipeline_run(&o, &r, &err) == -1);
  CHECK_EQ_INT(err.code, AL_E_ARG);
  snprintf(want, sizeof want, "input directory %s: No such file or directory", missing);
  CHECK_EQ_STR(err.msg, want);
  al_pipeline_result_free(&r);
  CHECK_EQ_INT(c.submitted, 0);

  /* Files but no coordinator: one line naming the address. */
  touch(empty, "one.txt");
  o.input_dir = empty;
  CHECK(al_pipeline_run(&o, &r, &err) == -1);
  CHECK_EQ_INT(err.code, AL_E_CONNECT);
  snprintf(want, sizeof want, "cannot connect to coordinator %s: Connection refused", addr);
  CHECK_EQ_STR(err.msg, want);
  CHECK(r.job_id == NULL);
  al_pipeline_result_free(&r);

  o.tokenizers_dir = NULL;
  CHECK(al_pipeline_run(&o, &r, &err) == -1);
  CHECK_EQ_INT(err.code, AL_E_ARG);
  al_pipeline_result_free(&r);
  free(missing);
  ts_rmtree(empty);
  free(empty);
}

/* Embedded: coordinator and workers in this process over the reference input tree. */
static void test_embedded(void) {
  char *raw = ts_data_path("pipeline/raw");
  char *tok = ts_data_path("pipeline/tokenizers");
  char *out = ts_mkdtemp("pipe-emb");
  app_file_list l;
  al_err err;
  CHECK(app_scan_files(raw, &l, &err) == 0);
  size_t nfiles = l.n;
  app_file_list_free(&l);
  calls c = {0};
  al_pipeline_options o;
  opts_for(&o, raw, NULL, &c);
  o.output_dir = out;
  o.tokenizers_dir = tok;
  o.embedded = true;
  o.num_workers = 2;
  o.files_per_task = 3;
  o.max_seq_len = 64;
  o.detach = true; /* ignored in embedded mode: the job cannot outlive the process */
  al_pipeline_result r;
  double t0 = al_mono_s();
  unsetenv("UV_THREADPOOL_SIZE");
  CHECK_MSG(al_pipeline_run(&o, &r, &err) == 0, "%s", err.msg);
  CHECK(al_mono_s() - t0 < 60);
  /* no process-global side effect: the workers' threads are their own */
  CHECK(getenv("UV_THREADPOOL_SIZE") == NULL);
  CHECK_EQ_STR(r.status, "completed");
  CHECK_EQ_INT(r.files, nfiles);
  CHECK_EQ_INT(r.total_tasks, (nfiles + 2) / 3);
  CHECK_EQ_INT(r.completed_tasks, r.total_tasks);
  CHECK(r.samples > 0);
  CHECK(r.coordinator == NULL);
  CHECK_EQ_INT(c.submitted, 1);
  CHECK_EQ_STR(c.last_status, "completed");
  char *index = al_xasprintf("%s/index.json", out);
  size_t len = 0;
  char *idx = ts_read_file(index, &len);
  CHECK_MSG(idx != NULL, "no %s", index);
  free(idx);
  free(index);
  al_pipeline_result_free(&r);

  /* Ctrl-C in embedded mode cancels the job (nothing can keep running it). */
  calls c2 = {0};
  c2.stop_on_submit = 1;
  opts_for(&o, raw, NULL, &c2);
  o.output_dir = out;
  o.tokenizers_dir = tok;
  o.embedded = true;
  o.num_workers = 1;
  o.files_per_task = 1;
  /* the directory holds the first run: a second run is refused unless told */
  CHECK(al_pipeline_run(&o, &r, &err) != 0);
  CHECK_CONTAINS(err.msg, "is not empty");
  CHECK_CONTAINS(err.msg, "--overwrite");
  al_pipeline_result_free(&r);
  o.output_mode = "overwrite";
  CHECK_MSG(al_pipeline_run(&o, &r, &err) == 0, "%s", err.msg);
  CHECK(r.status && (strcmp(r.status, "cancelled") == 0 || strcmp(r.status, "completed") == 0));
  al_pipeline_result_free(&r);
  ts_rmtree(out);
  free(out);
  free(raw);
  free(tok);
}

static void test_exit_codes(void) {
  CHECK_EQ_INT(al_pipeline_exit_code("completed"), 0);
  CHECK_EQ_INT(al_pipeline_exit_code("detached"), 0);
  CHECK_EQ_INT(al_pipeline_exit_code("completed_with_errors"), 3);
  CHECK_EQ_INT(al_pipeline_exit_code("failed"), 4);
  CHECK_EQ_INT(al_pipeline_exit_code("cancelled"), 5);
  CHECK_EQ_INT(al_pipeline_exit_code("timeout"), 6);
  CHECK_EQ_INT(al_pipeline_exit_code("running"), 1);
  CHECK_EQ_INT(al_pipeline_exit_code(NULL), 1);
}

int main(void) {
  unsetenv("AURALITH_COORDINATOR");
  unsetenv("AURALITH_AUTH_TOKEN");
  RUN(test_normalize);
  RUN(test_scan);
  RUN(test_external_completed);
  RUN(test_external_with_errors);
  RUN(test_detach_and_stop);
  RUN(test_config_address);
  RUN(test_errors_before_start);
  RUN(test_embedded);
  RUN(test_exit_codes);
  return TEST_REPORT();
}
