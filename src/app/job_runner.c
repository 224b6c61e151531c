/* Job submission and following over a blocking socket (see job_runner.h). */
#include "app/job_runner.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/messages.h"
#include "proto/proto.h"

/* A batch of tasks stays well under the frame limit: at most this many path bytes. */
#define BATCH_BYTES ((size_t)4 << 20)
#define BATCH_TASKS 4096
#define REPLY_TIMEOUT_S 60.0

/* ---- Scanning ------------------------------------------------------------------------ */
typedef struct file_list {
  char **v;
  size_t n, cap;
} file_list;

static void scan_dir(const char *dir, file_list *out, int depth) {
  if (depth > 256) return;
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *p = al_xasprintf("%s/%s", dir, e->d_name);
    struct stat lst, st;
    if (lstat(p, &lst) != 0) {
      free(p);
      continue;
    }
    if (S_ISDIR(lst.st_mode)) {
      scan_dir(p, out, depth + 1);
      free(p);
    } else if (S_ISREG(lst.st_mode) || (S_ISLNK(lst.st_mode) && stat(p, &st) == 0 && S_ISREG(st.st_mode))) {
      if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 1024;
        out->v = al_xrealloc(out->v, out->cap * sizeof(char *));
      }
      out->v[out->n++] = p;
    } else {
      free(p);
    }
  }
  closedir(d);
}

static int cmp_path(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int app_scan_files(const char *dir, char ***files, size_t *n, al_err *err) {
  file_list l = {0};
  char base[PATH_MAX];
  /* Absolute paths: workers may run in another directory (or on another machine with
   * the same shared mount). */
  if (realpath(dir, base)) scan_dir(base, &l, 0);
  if (l.n == 0) {
    free(l.v);
    return al_err_set(err, 1, "No files found in %s", dir);
  }
  qsort(l.v, l.n, sizeof(char *), cmp_path);
  *files = l.v;
  *n = l.n;
  return 0;
}

void app_free_files(char **files, size_t n) {
  for (size_t i = 0; i < n; i++) free(files[i]);
  free(files);
}

/* ---- Blocking protocol I/O -------------------------------------------------------------- */
typedef struct chan {
  int fd;
  proto_decoder dec;
  uint64_t next_rid;
} chan;

static int send_all(chan *c, const proto_msg *m, al_err *err) {
  al_buf b = {0};
  proto_msg_encode(m, &b);
  size_t off = 0;
  while (off < b.len) {
    ssize_t w = write(c->fd, b.data + off, b.len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      al_buf_free(&b);
      return al_err_set(err, 1, "lost the connection to the coordinator: %s", strerror(errno));
    }
    off += (size_t)w;
  }
  al_buf_free(&b);
  return 0;
}

/* Reads the next message within timeout_s. Returns 1 with *m filled (caller frees), 0
 * on timeout or interruption, -1 with err on a broken connection or protocol. */
static int recv_msg(chan *c, proto_msg *m, double timeout_s, volatile int *interrupted, al_err *err) {
  double end = al_mono_s() + timeout_s;
  for (;;) {
    const uint8_t *payload;
    size_t len;
    proto_status st = proto_decoder_next(&c->dec, &payload, &len);
    if (st == PROTO_FRAME) {
      al_err e2;
      if (proto_msg_decode(payload, len, m, &e2) != 0) {
        if (e2.code == PROTO_E_UNKNOWN_TYPE) continue; /* newer coordinator: skip */
        return al_err_set(err, 1, "bad message from the coordinator: %s", e2.msg);
      }
      return 1;
    }
    if (st == PROTO_ERROR) return al_err_set(err, 1, "protocol error from the coordinator: %s", proto_decoder_error(&c->dec)->msg);
    if (interrupted && *interrupted) return 0;
    double left = end - al_mono_s();
    if (left <= 0) return 0;
    struct pollfd p = {c->fd, POLLIN, 0};
    int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1; /* wake up to check *interrupted */
    int r = poll(&p, 1, ms);
    if (r < 0 && errno != EINTR) return al_err_set(err, 1, "poll: %s", strerror(errno));
    if (r <= 0) continue;
    char *ptr;
    size_t room;
    proto_decoder_prepare(&c->dec, &ptr, &room);
    ssize_t n = read(c->fd, ptr, room);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return al_err_set(err, 1, "the coordinator closed the connection%s%s", n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
    proto_decoder_commit(&c->dec, (size_t)n);
  }
}

/* Sends m as a request and waits for its reply (messages for other request ids, e.g.
 * progress events, are skipped). Returns 0 with *reply filled (caller frees), -1 with
 * err (an error reply is reported as its message). */
static int request(chan *c, proto_msg *m, proto_msg *reply, al_err *err) {
  m->request_id = ++c->next_rid;
  if (send_all(c, m, err) != 0) return -1;
  for (;;) {
    int r = recv_msg(c, reply, REPLY_TIMEOUT_S, NULL, err);
    if (r < 0) return -1;
    if (r == 0) return al_err_set(err, 1, "no reply from the coordinator to %s within %.0fs", proto_msg_type_name(m->type), REPLY_TIMEOUT_S);
    if (reply->type == PROTO_MSG_ERROR && (reply->request_id == m->request_id || reply->request_id == 0)) {
      al_err_set(err, 1, "coordinator: %s", reply->u.error.message);
      proto_msg_free(reply);
      return -1;
    }
    if (reply->request_id == m->request_id) return 0;
    proto_msg_free(reply);
  }
}

static void fill_result(app_job_result *res, const proto_job_summary *s) {
  snprintf(res->job_id, sizeof res->job_id, "%s", s->job_id);
  snprintf(res->status, sizeof res->status, "%s", s->status);
  res->total_tasks = s->total_tasks;
  res->completed_tasks = s->completed_tasks;
  res->failed_tasks = s->failed_tasks;
  res->retried_tasks = s->retried_tasks;
  res->samples = s->samples;
  res->tokens = s->tokens;
  if (s->n_errors > 0 && !res->error[0]) snprintf(res->error, sizeof res->error, "%s", s->errors[0]);
}

static int is_final(const char *status) {
  return !strcmp(status, "completed") || !strcmp(status, "completed_with_errors") || !strcmp(status, "failed") ||
         !strcmp(status, "cancelled") || !strcmp(status, "timeout");
}

int app_status_exit_code(const char *status) {
  if (!strcmp(status, "completed")) return 0;
  if (!strcmp(status, "completed_with_errors")) return 3;
  if (!strcmp(status, "failed")) return 4;
  if (!strcmp(status, "cancelled")) return 5;
  if (!strcmp(status, "timeout")) return 6;
  return 1;
}

static char *absolute(const char *p) {
  char buf[PATH_MAX];
  if (realpath(p, buf)) return al_xstrdup(buf);
  if (p[0] == '/') return al_xstrdup(p);
  if (!getcwd(buf, sizeof buf)) return al_xstrdup(p);
  return al_xasprintf("%s/%s", buf, p);
}

static int submit_batches(chan *c, const char *job_id, char **files, size_t n, uint32_t fpt, uint64_t *total,
                          al_err *err) {
  size_t ntasks = n / fpt + (n % fpt ? 1 : 0);
  proto_task_spec *specs = al_xcalloc(BATCH_TASKS, sizeof *specs);
  size_t t = 0;
  while (t < ntasks) {
    size_t k = 0, bytes = 0;
    while (t < ntasks && k < BATCH_TASKS && (k == 0 || bytes < BATCH_BYTES)) {
      size_t first = t * fpt, cnt = AL_MIN((size_t)fpt, n - first);
      specs[k].index = t;
      specs[k].files = (const char **)files + first;
      specs[k].n_files = cnt;
      for (size_t i = 0; i < cnt; i++) bytes += strlen(files[first + i]) + 2;
      k++;
      t++;
    }
    proto_msg m = {.type = PROTO_MSG_SUBMIT_TASKS};
    m.u.submit_tasks = (proto_submit_tasks){job_id, specs, k};
    proto_msg reply;
    if (request(c, &m, &reply, err) != 0) {
      free(specs);
      return -1;
    }
    proto_msg_free(&reply);
  }
  free(specs);
  *total = ntasks;
  return 0;
}

int app_run_job(int fd, const app_job_request *req, app_progress_cb cb, void *ud, volatile int *interrupted,
                app_job_result *res, al_err *err) {
  memset(res, 0, sizeof *res);
  double t0 = al_mono_s();
  char **files = NULL;
  size_t nfiles = 0;
  if (app_scan_files(req->input_dir, &files, &nfiles, err) != 0) return -1;
  res->files = nfiles;
  chan c = {.fd = fd};
  proto_decoder_init(&c.dec, 0);
  char *in = absolute(req->input_dir), *out = absolute(req->output_dir), *tok = absolute(req->tokenizers_dir);
  int rc = -1;
  proto_msg m, reply;

  m = (proto_msg){.type = PROTO_MSG_HELLO};
  m.u.hello = (proto_hello){.version = PROTO_VERSION, .role = PROTO_ROLE_SUBMITTER, .peer_id = "submit-job",
                            .token = req->auth_token, .software = "auralith " AURALITH_VERSION};
  if (send_all(&c, &m, err) != 0) goto out;
  int r = recv_msg(&c, &reply, REPLY_TIMEOUT_S, NULL, err);
  if (r <= 0) {
    if (r == 0) al_err_set(err, 1, "no welcome from the coordinator within %.0fs", REPLY_TIMEOUT_S);
    goto out;
  }
  if (reply.type != PROTO_MSG_WELCOME) {
    al_err_set(err, 1, "coordinator refused the connection: %s",
               reply.type == PROTO_MSG_REFUSE ? reply.u.refuse.reason : proto_msg_type_name(reply.type));
    proto_msg_free(&reply);
    goto out;
  }
  proto_msg_free(&reply);

  m = (proto_msg){.type = PROTO_MSG_SUBMIT_JOB};
  m.u.submit_job = (proto_submit_job){.name = req->name, .input_dir = in, .output_dir = out, .tokenizers_dir = tok,
                                      .max_seq_len = req->max_seq_len, .shard_size = req->shard_size,
                                      .files_per_task = req->files_per_task, .timeout_s = req->timeout_s};
  if (request(&c, &m, &reply, err) != 0) goto out;
  snprintf(res->job_id, sizeof res->job_id, "%s", reply.type == PROTO_MSG_JOB_ACCEPTED ? reply.u.job_accepted.job_id : "");
  proto_msg_free(&reply);
  if (!res->job_id[0]) {
    al_err_set(err, 1, "coordinator did not accept the job");
    goto out;
  }
  uint64_t total = 0;
  if (submit_batches(&c, res->job_id, files, nfiles, req->files_per_task ? req->files_per_task : 500, &total, err) != 0)
    goto out;
  m = (proto_msg){.type = PROTO_MSG_SEAL_JOB};
  m.u.seal_job = (proto_seal_job){res->job_id, total};
  if (request(&c, &m, &reply, err) != 0) goto out;
  proto_msg_free(&reply);
  res->total_tasks = total;
  snprintf(res->status, sizeof res->status, "running");
  if (req->detach) {
    rc = 0;
    goto out;
  }
  m = (proto_msg){.type = PROTO_MSG_SUBSCRIBE};
  m.u.subscribe.job_id = res->job_id;
  if (request(&c, &m, &reply, err) != 0) goto out;
  if (reply.type == PROTO_MSG_PROGRESS) fill_result(res, &reply.u.progress);
  proto_msg_free(&reply);
  while (!is_final(res->status)) {
    res->elapsed_s = al_mono_s() - t0;
    if (cb) cb(res, ud);
    r = recv_msg(&c, &reply, 1.0, interrupted, err);
    if (r < 0) goto out;
    if (r == 0) {
      if (interrupted && *interrupted) {
        rc = 0;
        goto out;
      }
      continue;
    }
    if (reply.type == PROTO_MSG_PROGRESS && !strcmp(reply.u.progress.job_id, res->job_id)) fill_result(res, &reply.u.progress);
    proto_msg_free(&reply);
  }
  rc = 0;
out:
  res->elapsed_s = al_mono_s() - t0;
  if (rc == 0 && cb && is_final(res->status)) cb(res, ud);
  proto_decoder_free(&c.dec);
  free(in);
  free(out);
  free(tok);
  app_free_files(files, nfiles);
  return rc;
}
