/* auralith-pipeline submit-job: embedded (one process) or external (a coordinator). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/app.h"
#include "app/job_runner.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/opts.h"

static const cli_opt OPTS[] = {
    {"config", 'c', "PATH", "YAML config file", NULL, CLI_REQUIRED},
    {"input-dir", 'i', "DIR", "directory of raw files (recursive)", NULL, CLI_REQUIRED},
    {"output-dir", 'o', "DIR", "directory for shards and index.json", NULL, CLI_REQUIRED},
    {"tokenizers-dir", 't', "DIR", "tokenizers root (text/, image/, ...)", NULL, CLI_REQUIRED},
    {"job-name", 0, "NAME", "name of the job", "auralith-job", 0},
    {"max-seq-len", 0, "N", "tokens per sample row", "4096", 0},
    {"shard-size", 0, "N", "samples per shard file", "10000", 0},
    {"files-per-task", 0, "N", "files per task", "500", 0},
    {"num-workers", 'w', "N", "in-process workers, one tokenizer thread each (embedded mode)", "2", 0},
    {"embedded", 0, NULL, "run coordinator and workers in this process (no Redis, no TCP)", NULL, 0},
    {"external", 0, NULL, "submit to a running coordinator (the default)", NULL, 0},
    {"coordinator", 0, "HOST:PORT", "coordinator address (external; default: coordinator.host/port of the config)", NULL, 0},
    {"timeout", 0, "SECONDS", "job timeout (default: job.timeout of the config)", NULL, 0},
    {"detach", 0, NULL, "external mode: print the job id and return once the job is submitted", NULL, 0},
    {0}};

static const cli_cmd CMD = {
    "submit-job", "Tokenize a directory of raw files into SafeTensors shards.",
    "-c CONFIG -i INPUT -o OUTPUT -t TOKENIZERS [--embedded -w N | --external] [OPTIONS]", OPTS,
    "Exit codes: 0 completed, 1 error before or while running (nothing found, coordinator\n"
    "unreachable, ...), 2 usage error, 3 completed_with_errors, 4 failed, 5 cancelled,\n"
    "6 timeout, 130 interrupted (embedded). In external mode Ctrl-C detaches: the job goes\n"
    "on, and the command prints how to follow or cancel it (exit 0)."};

static volatile int g_interrupted;
static void on_sigint(int sig) {
  (void)sig;
  g_interrupted = 1;
}

typedef struct progress_state {
  int tty;
  double last_print;
} progress_state;

static void on_progress(const app_job_result *r, void *ud) {
  progress_state *p = ud;
  double now = al_mono_s();
  uint64_t done = r->completed_tasks + r->failed_tasks;
  double tps = r->elapsed_s > 0 ? (double)r->tokens / r->elapsed_s : 0;
  double eta = done > 0 && r->total_tasks > done ? r->elapsed_s * (double)(r->total_tasks - done) / (double)done : 0;
  if (p->tty) {
    if (now - p->last_print < 0.1 && done < r->total_tasks) return;
    fprintf(stderr, "\r\033[K[%s] tasks %llu/%llu  samples %llu  %.0f tokens/s  failed %llu  ETA %.0fs", r->status,
            (unsigned long long)done, (unsigned long long)r->total_tasks, (unsigned long long)r->samples, tps,
            (unsigned long long)r->failed_tasks, eta);
  } else {
    if (now - p->last_print < 10 && done < r->total_tasks) return;
    al_info("job %s: %s, tasks %llu/%llu, samples %llu, %.0f tokens/s, failed %llu", r->job_id, r->status,
            (unsigned long long)done, (unsigned long long)r->total_tasks, (unsigned long long)r->samples, tps,
            (unsigned long long)r->failed_tasks);
  }
  p->last_print = now;
}

/* Blocking TCP connect with a timeout; returns the fd or -1 with err naming the address. */
static int tcp_connect(const char *host, int port, double timeout_s, al_err *err) {
  char portstr[16];
  snprintf(portstr, sizeof portstr, "%d", port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  int g = getaddrinfo(host, portstr, &hints, &res);
  if (g != 0) return al_err_set(err, 1, "cannot resolve coordinator %s: %s", host, gai_strerror(g));
  int fd = -1, last = 0;
  for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = errno;
      close(fd);
      fd = -1;
      continue;
    }
    struct pollfd p = {fd, POLLOUT, 0};
    int so = 0;
    socklen_t sl = sizeof so;
    if (poll(&p, 1, (int)(timeout_s * 1000)) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) != 0 || so) {
      last = so ? so : ETIMEDOUT;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) return al_err_set(err, 1, "cannot connect to coordinator at %s:%d: %s", host, port, strerror(last));
  /* Back to blocking: the runner uses poll for its timeouts. */
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

int cmd_submit_job(int argc, char **argv) {
  cli_values v;
  int rc = cli_parse(&CMD, argc, argv, &v);
  if (rc != CLI_OK) {
    cli_values_free(&v);
    return rc == CLI_HELP ? 0 : 2;
  }
  int status = 2;
  cfg_config cfg;
  int have_cfg = 0;
  int64_t max_seq_len = 4096, shard_size = 10000, fpt = 500, nworkers = 2;
  double timeout = 0;
  if (v.npositional > 0) {
    cli_usage_error(&CMD, "unexpected argument '%s'", v.positional[0]);
    goto done;
  }
  if (cli_flag(&v, "embedded") && cli_flag(&v, "external")) {
    cli_usage_error(&CMD, "--embedded and --external exclude each other");
    goto done;
  }
  if (!cli_get_int(&v, "max-seq-len", 0, 1048576, &max_seq_len) || !cli_get_int(&v, "shard-size", 1, 10000000, &shard_size) ||
      !cli_get_int(&v, "files-per-task", 1, 10000000, &fpt) || !cli_get_int(&v, "num-workers", 1, 1024, &nworkers))
    goto done;
  status = 1;
  if (cli_load_config(&CMD, cli_get(&v, "config"), &cfg) != 0) goto done;
  have_cfg = 1;
  timeout = cfg.job.timeout;
  if (cli_given(&v, "timeout") && !cli_get_double(&v, "timeout", 0.001, 1e9, &timeout)) {
    status = 2;
    goto done;
  }
  int embedded = cli_flag(&v, "embedded");
  const char *in = cli_get(&v, "input-dir"), *out = cli_get(&v, "output-dir"), *tok = cli_get(&v, "tokenizers-dir");

  cli_title("Submitting Distributed Job");
  printf("Job Name:     %s\nInput:        %s\nOutput:       %s\nTokenizers:   %s\n", cli_get(&v, "job-name"), in, out,
         tok);
  printf("Max seq len:  %lld\nShard size:   %lld\nFiles/task:   %lld\nMode:         %s\n", (long long)max_seq_len,
         (long long)shard_size, (long long)fpt, embedded ? "embedded" : "external");
  if (embedded) printf("Workers:      %lld\n", (long long)nworkers);
  fflush(stdout);

  al_err err;
  al_err_clear(&err);
  /* Fail before starting anything when there is nothing to do (as the original). */
  char **files;
  size_t nfiles;
  if (app_scan_files(in, &files, &nfiles, &err) != 0) {
    fprintf(stderr, "[ERROR] Job failed: %s\n", err.msg);
    goto done;
  }
  app_free_files(files, nfiles);

  app_job_request req = {.name = cli_get(&v, "job-name"), .input_dir = in, .output_dir = out, .tokenizers_dir = tok,
                         .max_seq_len = (uint32_t)max_seq_len, .shard_size = (uint64_t)shard_size,
                         .files_per_task = (uint32_t)fpt, .timeout_s = timeout,
                         .auth_token = cfg.coordinator.auth_token, .detach = !embedded && cli_flag(&v, "detach")};
  app_embedded *emb = NULL;
  int fd = -1;
  char host[256] = "";
  int port = 0;
  if (embedded) {
    emb = app_embedded_start(&cfg, (unsigned)nworkers, 1, &err);
    if (emb) fd = app_embedded_connect(emb, &err);
    req.auth_token = NULL;
  } else {
    const char *addr = cli_get(&v, "coordinator");
    char def[300];
    if (!addr) {
      const char *h = cfg.coordinator.host;
      if (!strcmp(h, "0.0.0.0")) h = "127.0.0.1";
      if (!strcmp(h, "::")) h = "::1";
      snprintf(def, sizeof def, strchr(h, ':') ? "[%s]:%lld" : "%s:%lld", h, (long long)cfg.coordinator.port);
      addr = def;
    }
    if (app_parse_hostport(addr, 8080, host, sizeof host, &port, &err) == 0) fd = tcp_connect(host, port, 10, &err);
  }
  if (fd < 0) {
    fprintf(stderr, "[ERROR] Job failed: %s\n", err.msg);
    app_embedded_stop(emb);
    goto done;
  }
  printf("[OK] Job configured — starting execution...\n");
  fflush(stdout);
  struct sigaction sa = {0};
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  progress_state ps = {.tty = isatty(2)};
  app_job_result res;
  int run = app_run_job(fd, &req, on_progress, &ps, &g_interrupted, &res, &err);
  if (ps.tty) fprintf(stderr, "\n");
  close(fd);
  app_embedded_stop(emb); /* waits for the manifest write */
  if (run != 0) {
    fprintf(stderr, "[ERROR] Job failed: %s\n", err.msg);
    goto done;
  }
  if (req.detach || (g_interrupted && !embedded)) {
    printf("%sJob ID: %s\n", g_interrupted ? "Detached (the job keeps running).\n" : "", res.job_id);
    printf("Follow it:  auralith-pipeline job-status --coordinator %s:%d --job-id %s\n", host, port, res.job_id);
    printf("Cancel it:  alctl --coordinator %s:%d cancel %s\n", host, port, res.job_id);
    status = 0;
    goto done;
  }
  if (g_interrupted) {
    fprintf(stderr, "[ERROR] Interrupted; job %s stopped with status %s\n", res.job_id, res.status);
    status = 130;
    goto done;
  }
  cli_title("Job Completed");
  printf("Job ID:   %s\nStatus:   %s\nTasks:    %llu/%llu\nFailed:   %llu\nSamples:  %llu\nTokens:   %llu\n"
         "Time:     %.1fs\nOutput:   %s\nManifest: %s/index.json\n",
         res.job_id, res.status, (unsigned long long)res.completed_tasks, (unsigned long long)res.total_tasks,
         (unsigned long long)res.failed_tasks, (unsigned long long)res.samples, (unsigned long long)res.tokens,
         res.elapsed_s, out, out);
  if (res.error[0]) printf("Error:    %s\n", res.error);
  status = app_status_exit_code(res.status);
done:
  if (have_cfg) cfg_free(&cfg);
  cli_values_free(&v);
  return status;
}
