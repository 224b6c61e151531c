/* Client library against the real coordinator server (in-process, on its own loop
 * thread, real TCP) and a scripted worker: handshake, auth, every admin call, the
 * submitter calls with batching, progress events, and the error lines users see. */
#include <stdlib.h>

#include "auralith/client.h"
#include "harness.h"
#include "support.h"
#include "test_client_fixture.h"

static void test_bad_addresses(void) {
  static const char *const BAD[] = {"abc", "[::1]8080", "h:0", "h:99999", "::1:80", ":80", "h:", "h:8a"};
  for (size_t i = 0; i < AL_ARRAY_LEN(BAD); i++) {
    al_err err;
    al_client *c = al_connect(BAD[i], AL_ROLE_ADMIN, NULL, 1, &err);
    CHECK(c == NULL);
    CHECK_EQ_INT(err.code, AL_E_ADDRESS);
    CHECK_CONTAINS(err.msg, BAD[i]);
  }
  al_err err;
  CHECK(al_connect("::1:80", AL_ROLE_ADMIN, NULL, 1, &err) == NULL);
  CHECK_CONTAINS(err.msg, "[::1]:8080");
}

static void test_unreachable(void) {
  int port = ts_free_port();
  char addr[64], want[128];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
  snprintf(want, sizeof want, "cannot connect to coordinator 127.0.0.1:%d: Connection refused", port);
  al_err err;
  CHECK(al_connect(addr, AL_ROLE_ADMIN, NULL, 2, &err) == NULL);
  CHECK_EQ_INT(err.code, AL_E_CONNECT);
  CHECK_EQ_STR(err.msg, want);
  /* IPv6 literal in brackets is accepted and named the same way in the error. */
  snprintf(addr, sizeof addr, "[::1]:%d", port);
  CHECK(al_connect(addr, AL_ROLE_ADMIN, NULL, 2, &err) == NULL);
  CHECK_CONTAINS(err.msg, addr);
}

/* A peer that accepts TCP but never speaks: the handshake times out, bounded. */
static void test_handshake_timeout(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
  CHECK(listen(fd, 4) == 0);
  socklen_t sl = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &sl);
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(sa.sin_port));
  al_err err;
  double t0 = al_mono_s();
  CHECK(al_connect(addr, AL_ROLE_ADMIN, NULL, 0.3, &err) == NULL);
  double took = al_mono_s() - t0;
  CHECK_EQ_INT(err.code, AL_E_TIMEOUT);
  CHECK_CONTAINS(err.msg, "did not answer the handshake within 0.3s");
  CHECK_MSG(took >= 0.25 && took < 2.0, "took %.3fs", took);
  close(fd);
}

static void test_auth(void) {
  fx_coord f;
  CHECK(fx_coord_start(&f, "s3cret", -1) == 0);
  unsetenv(AL_ENV_AUTH_TOKEN);
  al_err err;
  CHECK(al_connect(f.addr, AL_ROLE_ADMIN, NULL, 5, &err) == NULL);
  CHECK_EQ_INT(err.code, AL_E_AUTH);
  CHECK_CONTAINS(err.msg, "refused the connection: an auth token is required");
  CHECK(al_connect(f.addr, AL_ROLE_ADMIN, "wrong", 5, &err) == NULL);
  CHECK_EQ_INT(err.code, AL_E_AUTH);
  CHECK_CONTAINS(err.msg, "auth token does not match");
  al_client *c = al_connect(f.addr, AL_ROLE_ADMIN, "s3cret", 5, &err);
  CHECK(c != NULL);
  CHECK_CONTAINS(al_server_version(c), "auralith ");
  al_close(c);
  setenv(AL_ENV_AUTH_TOKEN, "s3cret", 1);
  c = al_connect(f.addr, AL_ROLE_ADMIN, NULL, 5, &err);
  CHECK_MSG(c != NULL, "%s", err.msg);
  al_close(c);
  unsetenv(AL_ENV_AUTH_TOKEN);
  fx_coord_stop(&f);
}

static void test_errors_on_empty_coordinator(void) {
  fx_coord f;
  CHECK(fx_coord_start(&f, NULL, -1) == 0);
  al_err err;
  setenv(AL_ENV_COORDINATOR, f.addr, 1); /* NULL address: taken from the environment */
  al_client *c = al_connect(NULL, AL_ROLE_ADMIN, NULL, 5, &err);
  unsetenv(AL_ENV_COORDINATOR);
  CHECK_MSG(c != NULL, "%s", err.msg);
  if (!c) {
    fx_coord_stop(&f);
    return;
  }
  CHECK_EQ_STR(al_address(c), f.addr);
  al_worker_list ws;
  CHECK(al_list_workers(c, &ws, &err) == 0);
  CHECK_EQ_INT(ws.n, 0);
  al_worker_list_free(&ws);
  al_job_list js;
  CHECK(al_list_jobs(c, 0, &js, &err) == 0);
  CHECK_EQ_INT(js.n, 0);
  al_job_list_free(&js);

  al_job j;
  CHECK(al_job_status(c, "nope", &j, &err) == -1);
  CHECK_EQ_INT(err.code, AL_E_NOT_FOUND);
  CHECK_EQ_STR(err.msg, "job not found: nope");
  al_metrics m;
  CHECK(al_job_metrics(c, "nope", &m, &err) == -1);
  CHECK_EQ_STR(err.msg, "job not found: nope");
  CHECK(al_cancel_job(c, "nope", &err) == -1);
  CHECK_EQ_STR(err.msg, "job not found: nope");
  CHECK(al_subscribe(c, "nope", NULL, &err) == -1);
  CHECK_EQ_STR(err.msg, "job not found: nope");
  al_task t;
  CHECK(al_get_task(c, "nope-000001", &t, &err) == -1);
  CHECK_EQ_STR(err.msg, "task not found: nope-000001");
  CHECK(al_drain_worker(c, "w9", &err) == -1);
  CHECK_EQ_STR(err.msg, "worker not found: w9");
  CHECK(al_set_strategy(c, "fastest", &err) == -1);
  CHECK_EQ_INT(err.code, AL_E_BAD_FIELD);
  CHECK_CONTAINS(err.msg, "'fastest' is not one of round_robin, least_busy, dynamic");
  CHECK(al_set_strategy(c, "", &err) == -1);
  CHECK_EQ_INT(err.code, AL_E_ARG);
  CHECK(al_set_strategy(c, "least_busy", &err) == 0);
  CHECK(al_job_status(c, "", &j, &err) == -1);
  CHECK_EQ_INT(err.code, AL_E_ARG);
  /* The connection stays usable after error replies. */
  CHECK(al_list_workers(c, &ws, &err) == 0);
  al_worker_list_free(&ws);

  /* An admin may not submit. */
  al_job_spec spec = {.input_dir = "/in", .output_dir = "/out", .tokenizers_dir = "/tok"};
  char *id = NULL;
  int rc = al_submit_job(c, &spec, &id, &err);
  if (rc == 0) { /* the coordinator may accept admin submissions; then the job exists */
    CHECK(id != NULL);
    free(id);
  } else {
    CHECK(err.code == AL_E_NOT_ALLOWED);
  }

  /* The coordinator goes away: the next call fails with one line naming it. */
  fx_coord_stop(&f);
  CHECK(al_list_workers(c, &ws, &err) == -1);
  CHECK(err.code == AL_E_CLOSED || err.code == AL_E_BAD_STATE);
  CHECK_CONTAINS(err.msg, f.addr);
  CHECK(al_list_workers(c, &ws, &err) == -1); /* still failing, no hang */
  al_close(c);
}

static int wait_worker_cpu(al_client *c, double cpu) {
  for (int i = 0; i < 200; i++) {
    al_worker_list ws;
    al_err err;
    if (al_list_workers(c, &ws, &err) != 0) return -1;
    int ok = ws.n == 1 && ws.v[0].cpu_percent == cpu;
    al_worker_list_free(&ws);
    if (ok) return 0;
    usleep(10000);
  }
  return -1;
}

static void test_full_flow(void) {
  fx_coord f;
  CHECK(fx_coord_start(&f, NULL, 0) == 0);
  al_err err;
  fx_worker w;
  CHECK(fx_worker_connect(&w, f.port, "w1", 2) == 0);
  fx_worker_heartbeat(&w, 12.5, 40.0);

  al_client *adm = al_connect(f.addr, AL_ROLE_ADMIN, NULL, 5, &err);
  al_client *sub = al_connect(f.addr, AL_ROLE_SUBMITTER, NULL, 5, &err);
  CHECK(adm && sub);
  if (!adm || !sub) return;
  CHECK(wait_worker_cpu(adm, 12.5) == 0);
  al_worker_list ws;
  CHECK(al_list_workers(adm, &ws, &err) == 0);
  CHECK_EQ_INT(ws.n, 1);
  if (ws.n == 1) {
    CHECK_EQ_STR(ws.v[0].id, "w1");
    CHECK_EQ_STR(ws.v[0].state, "alive");
    CHECK_EQ_INT(ws.v[0].slots, 2);
    CHECK(ws.v[0].mem_percent == 40.0);
  }
  al_worker_list_free(&ws);

  al_job_spec spec = {.job_id = "job-a", .name = "flow", .input_dir = "/in", .output_dir = "/out",
                       .tokenizers_dir = "/tok", .files_per_task = 2};
  char *id = NULL;
  CHECK(al_submit_job(sub, &spec, &id, &err) == 0);
  CHECK_EQ_STR(id, "job-a");
  const char *files[] = {"/in/a", "/in/b", "/in/c", "/in/d", "/in/e"};
  uint64_t nt = 0;
  CHECK(al_submit_files(sub, "job-a", files, 5, 2, &nt, &err) == 0);
  CHECK_EQ_INT(nt, 3);
  /* Resending is harmless. */
  CHECK(al_submit_files(sub, "job-a", files, 5, 2, &nt, &err) == 0);
  CHECK(al_seal_job(sub, "job-a", 4, &err) == -1); /* wrong total */
  CHECK_EQ_INT(err.code, AL_E_BAD_STATE);
  CHECK(al_seal_job(sub, "job-a", 3, &err) == 0);
  CHECK(al_seal_job(sub, "nope", 3, &err) == -1);
  CHECK_EQ_STR(err.msg, "job not found: nope");

  al_job snap;
  CHECK(al_subscribe(adm, "job-a", &snap, &err) == 0);
  CHECK_EQ_STR(snap.id, "job-a");
  CHECK_EQ_STR(snap.name, "flow");
  CHECK_EQ_INT(snap.total_tasks, 3);
  CHECK(snap.sealed);
  CHECK(snap.created_at != NULL);
  al_job_free(&snap);

  char tid[3][128], jid[128];
  uint32_t att[3];
  for (int i = 0; i < 3; i++) CHECK(fx_worker_next_assign(&w, 5, tid[i], sizeof tid[i], jid, sizeof jid, &att[i]) == 0);
  CHECK_EQ_STR(jid, "job-a");
  fx_worker_result(&w, tid[0], jid, att[0], true, NULL, 7);
  fx_worker_result(&w, tid[1], jid, att[1], true, NULL, 5);
  fx_worker_result(&w, tid[2], jid, att[2], false, "disk full", 0);

  /* Events: a request in between queues them; they still come out in order. */
  al_job_list mid;
  CHECK(al_list_jobs(adm, 0, &mid, &err) == 0);
  al_job_list_free(&mid);
  al_job ev = {0};
  char last_status[64] = "";
  int n_events = 0;
  for (;;) {
    int r = al_next_event(adm, 5, &ev, &err);
    if (r != 1) break;
    n_events++;
    snprintf(last_status, sizeof last_status, "%s", ev.status);
    bool fin = al_status_is_final(ev.status);
    if (fin) break;
    al_job_free(&ev);
  }
  CHECK(n_events >= 1);
  CHECK_EQ_STR(last_status, "completed_with_errors");
  CHECK_EQ_INT(ev.completed_tasks, 2);
  CHECK_EQ_INT(ev.failed_tasks, 1);
  al_job_free(&ev);
  /* Nothing more: next_event times out within its bound. */
  double t0 = al_mono_s();
  while (al_next_event(adm, 0.2, &ev, &err) == 1) al_job_free(&ev);
  CHECK(al_mono_s() - t0 < 2.0);

  al_job j;
  CHECK(al_job_status(adm, "job-a", &j, &err) == 0);
  CHECK_EQ_STR(j.status, "completed_with_errors");
  CHECK_EQ_INT(j.state, AL_JOB_COMPLETED_WITH_ERRORS);
  CHECK_EQ_INT(j.samples, 12);
  CHECK(j.completed_at != NULL);
  CHECK(j.n_errors >= 1);
  if (j.n_errors) CHECK_CONTAINS(j.errors[0], "disk full");
  al_job_free(&j);
  al_metrics m;
  CHECK(al_job_metrics(adm, "job-a", &m, &err) == 0);
  CHECK_EQ_INT(m.total_tasks, 3);
  CHECK_EQ_INT(m.completed_tasks, 2);
  CHECK_EQ_INT(m.failed_tasks, 1);
  CHECK(m.throughput > 66.66 && m.throughput < 66.67);
  CHECK(m.error_rate > 0.333 && m.error_rate < 0.334);

  al_task t;
  CHECK(al_get_task(adm, tid[2], &t, &err) == 0);
  CHECK_EQ_STR(t.status, "failed");
  CHECK_EQ_INT(t.state, AL_TASK_FAILED);
  CHECK_EQ_STR(t.job_id, "job-a");
  CHECK_EQ_STR(t.worker_id, "w1");
  CHECK_CONTAINS(t.error, "disk full");
  CHECK_EQ_INT(t.attempts, 1);
  CHECK_EQ_INT(t.files, 1);
  al_task_free(&t);
  CHECK(al_get_task(adm, tid[0], &t, &err) == 0);
  CHECK_EQ_STR(t.status, "completed");
  CHECK_EQ_INT(t.state, AL_TASK_COMPLETED);
  CHECK(t.error == NULL);
  CHECK_EQ_INT(t.files, 2);
  al_task_free(&t);

  al_job_list js;
  CHECK(al_list_jobs(adm, 0, &js, &err) == 0);
  CHECK_EQ_INT(js.n, 1);
  if (js.n) CHECK_EQ_STR(js.v[0].id, "job-a");
  al_job_list_free(&js);

  CHECK(al_cancel_job(adm, "job-a", &err) == -1); /* already final */
  CHECK_EQ_INT(err.code, AL_E_BAD_STATE);
  CHECK(al_drain_worker(adm, "w1", &err) == 0);
  CHECK(al_list_workers(adm, &ws, &err) == 0);
  if (ws.n == 1) CHECK_EQ_STR(ws.v[0].state, "draining");
  al_worker_list_free(&ws);

  /* A running job can be cancelled; subscribers see the final event. */
  spec.job_id = "job-b";
  free(id);
  CHECK(al_submit_job(sub, &spec, &id, &err) == 0);
  free(id);
  id = NULL;
  CHECK(al_submit_files(sub, "job-b", files, 1, 1, &nt, &err) == 0);
  CHECK(al_subscribe(adm, "job-b", NULL, &err) == 0);
  CHECK(al_cancel_job(adm, "job-b", &err) == 0);
  int saw_cancel = 0;
  while (al_next_event(adm, 2, &ev, &err) == 1) {
    if (strcmp(ev.id, "job-b") == 0 && strcmp(ev.status, "cancelled") == 0) saw_cancel = 1;
    al_job_free(&ev);
    if (saw_cancel) break;
  }
  CHECK(saw_cancel);

  al_close(adm);
  al_close(sub);
  fx_worker_close(&w);
  fx_coord_stop(&f);
}

/* More tasks than one frame may carry: several submit_tasks batches, all acknowledged. */
static void test_batches(void) {
  fx_coord f;
  CHECK(fx_coord_start(&f, NULL, -1) == 0);
  al_err err;
  al_client *sub = al_connect(f.addr, AL_ROLE_SUBMITTER, NULL, 10, &err);
  CHECK(sub != NULL);
  if (!sub) return;
  al_job_spec spec = {.input_dir = "/in", .output_dir = "/out", .tokenizers_dir = "/tok"};
  char *id = NULL;
  CHECK(al_submit_job(sub, &spec, &id, &err) == 0);
  CHECK(id != NULL && strlen(id) > 0);
  size_t n = AL_BATCH_MAX_TASKS * 2 + 10;
  char **files = al_xcalloc(n, sizeof *files);
  for (size_t i = 0; i < n; i++) files[i] = al_xasprintf("/in/dir/file_%06zu.txt", i);
  uint64_t nt = 0;
  CHECK(al_submit_files(sub, id, (const char *const *)files, n, 1, &nt, &err) == 0);
  CHECK_EQ_INT(nt, n);
  CHECK(al_seal_job(sub, id, nt, &err) == 0);
  al_job j;
  CHECK(al_job_status(sub, id, &j, &err) == 0);
  CHECK_EQ_INT(j.total_tasks, n);
  CHECK_EQ_STR(j.status, "running");
  al_job_free(&j);
  for (size_t i = 0; i < n; i++) free(files[i]);
  free(files);
  free(id);
  al_close(sub);
  fx_coord_stop(&f);
}

int main(void) {
  RUN(test_bad_addresses);
  RUN(test_unreachable);
  RUN(test_handshake_timeout);
  RUN(test_auth);
  RUN(test_errors_on_empty_coordinator);
  RUN(test_full_flow);
  RUN(test_batches);
  return TEST_REPORT();
}
