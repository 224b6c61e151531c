/* Test support: real processes, ports, files and a real redis-server. */
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/al.h"
#include "config/config.h"
#include "coord/coord_server.h"
#include "store/store.h"

extern char **environ;

char *ts_mkdtemp(const char *tag) {
  const char *base = getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  char *tmpl = al_xasprintf("%s/al-%s-XXXXXX", base, tag ? tag : "test");
  if (!mkdtemp(tmpl)) {
    perror("mkdtemp");
    abort();
  }
  return tmpl;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st; (void)flag; (void)ftw;
  return remove(path);
}

int ts_rmtree(const char *path) {
  if (!path) return 0;
  return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void mkparents(const char *path) {
  char *p = al_xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s == '/') {
      *s = '\0';
      mkdir(p, 0755);
      *s = '/';
    }
  }
  free(p);
}

int ts_write_file(const char *path, const void *data, size_t n) {
  mkparents(path);
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = n ? fwrite(data, 1, n, f) : 0;
  int rc = fclose(f);
  return (w == n && rc == 0) ? 0 : -1;
}

char *ts_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  al_buf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) al_buf_append(&b, chunk, n);
  fclose(f);
  if (len) *len = b.len;
  al_buf_cstr(&b);
  return b.data;
}

char *ts_data_path(const char *rel) {
  const char *d = getenv("AL_DATA_DIR");
  if (!d) d = "tests/data";
  return al_xasprintf("%s/%s", d, rel);
}

const char *ts_pipeline_bin(void) {
  const char *p = getenv("AL_PIPELINE");
  return p ? p : "./auralith-pipeline";
}

unsigned ts_rand(unsigned long long *state, unsigned n) {
  unsigned long long x = *state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *state = x;
  return (unsigned)(x % n);
}

int ts_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  socklen_t l = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &l);
  close(fd);
  return ntohs(a.sin_port);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int decode_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

int ts_wait(pid_t pid, double timeout_s) {
  double end = al_mono_s() + timeout_s;
  for (;;) {
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return decode_status(st);
    if (r < 0) return -1;
    if (al_mono_s() > end) return -1;
    sleep_ms(5);
  }
}

void ts_stop(pid_t pid, double grace_s) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  if (ts_wait(pid, grace_s) == -1) {
    kill(pid, SIGKILL);
    ts_wait(pid, 5);
  }
}

pid_t ts_spawn(char *const argv[], const char *log_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const char *out = log_path ? log_path : "/dev/null";
  posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

int ts_run(char *const argv[], const char *stdin_data, char **out, char **err, double timeout_s) {
  int pin[2], pout[2], perr[2];
  if (pipe(pin) || pipe(pout) || pipe(perr)) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
  posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
  posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
  posix_spawn_file_actions_addclose(&fa, pin[1]);
  posix_spawn_file_actions_addclose(&fa, pout[0]);
  posix_spawn_file_actions_addclose(&fa, perr[0]);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pin[0]);
  close(pout[1]);
  close(perr[1]);
  if (rc != 0) {
    close(pin[1]); close(pout[0]); close(perr[0]);
    return -1;
  }
  signal(SIGPIPE, SIG_IGN);
  size_t in_len = stdin_data ? strlen(stdin_data) : 0, in_off = 0;
  if (in_len == 0) { close(pin[1]); pin[1] = -1; }
  al_buf bo = {0}, be = {0};
  double end = al_mono_s() + timeout_s;
  int open_fds = 2;
  while (open_fds > 0) {
    struct pollfd p[3];
    int np = 0;
    if (pout[0] >= 0) p[np++] = (struct pollfd){pout[0], POLLIN, 0};
    if (perr[0] >= 0) p[np++] = (struct pollfd){perr[0], POLLIN, 0};
    if (pin[1] >= 0) p[np++] = (struct pollfd){pin[1], POLLOUT, 0};
    int left = (int)((end - al_mono_s()) * 1000);
    if (left <= 0) break;
    if (poll(p, np, left) < 0 && errno != EINTR) break;
    for (int i = 0; i < np; i++) {
      if (!p[i].revents) continue;
      if (p[i].fd == pin[1]) {
        ssize_t w = write(pin[1], stdin_data + in_off, in_len - in_off);
        if (w > 0) in_off += (size_t)w;
        if (w < 0 || in_off >= in_len) { close(pin[1]); pin[1] = -1; }
        continue;
      }
      char chunk[65536];
      ssize_t n = read(p[i].fd, chunk, sizeof chunk);
      if (n > 0) {
        al_buf_append(p[i].fd == pout[0] ? &bo : &be, chunk, (size_t)n);
      } else {
        if (p[i].fd == pout[0]) pout[0] = -1; else perr[0] = -1;
        close(p[i].fd);
        open_fds--;
      }
    }
  }
  if (pin[1] >= 0) close(pin[1]);
  if (pout[0] >= 0) close(pout[0]);
  if (perr[0] >= 0) close(perr[0]);
  int status = ts_wait(pid, open_fds > 0 ? 0.1 : AL_MAX(0.1, end - al_mono_s()));
  if (status == -1) {
    kill(pid, SIGKILL);
    ts_wait(pid, 5);
  }
  if (out) *out = al_xstrdup(al_buf_cstr(&bo)); 
  if (err) *err = al_xstrdup(al_buf_cstr(&be));
  al_buf_free(&bo);
  al_buf_free(&be);
  return status;
}

int ts_wait_port(int port, double timeout_s) {
  double end = al_mono_s() + timeout_s;
  while (al_mono_s() < end) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    close(fd);
    if (rc == 0) return 0;
    sleep_ms(10);
  }
  return -1;
}

int ts_wait_redis(pid_t pid, int port, const char *password, double timeout_s) {
  double end = al_mono_s() + timeout_s;
  char ports[16], want[48];
  snprintf(ports, sizeof ports, "%d", port);
  snprintf(want, sizeof want, "process_id:%d\r", (int)pid);
  while (al_mono_s() < end) {
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) return -2; /* could not bind: the port was taken */
    char *argv[12];
    int n = 0;
    argv[n++] = "redis-cli";
    argv[n++] = "-p"; argv[n++] = ports;
    if (password) { argv[n++] = "-a"; argv[n++] = (char *)password; argv[n++] = "--no-auth-warning"; }
    argv[n++] = "INFO"; argv[n++] = "server";
    argv[n] = NULL;
    char *out = NULL;
    int rc = ts_run(argv, NULL, &out, NULL, 5);
    int ours = rc == 0 && out && strstr(out, want) != NULL;
    free(out);
    if (ours) return 0;
    sleep_ms(20);
  }
  return -1;
}

int ts_redis_start(ts_redis *r, const char *password) {
  memset(r, 0, sizeof *r);
  r->dir = ts_mkdtemp("redis");
  for (int attempt = 0; attempt < 5; attempt++) {
    r->port = ts_free_port();
    char port[16];
    snprintf(port, sizeof port, "%d", r->port);
    char *log = al_xasprintf("%s/redis.log", r->dir);
    char *argv[16];
    int n = 0;
    argv[n++] = "redis-server";
    argv[n++] = "--port"; argv[n++] = port;
    argv[n++] = "--bind"; argv[n++] = "127.0.0.1";
    argv[n++] = "--save"; argv[n++] = "";
    argv[n++] = "--appendonly"; argv[n++] = "no";
    argv[n++] = "--dir"; argv[n++] = r->dir;
    if (password) { argv[n++] = "--requirepass"; argv[n++] = (char *)password; }
    argv[n] = NULL;
    r->pid = ts_spawn(argv, log);
    free(log);
    if (r->pid < 0) {
      fprintf(stderr, "cannot start redis-server (is it installed? scripts/setup.sh installs it)\n");
      return -1;
    }
    int w = ts_wait_redis(r->pid, r->port, password, 10);
    if (w == 0) return 0;
    if (w == -1) ts_stop(r->pid, 2); /* -2: it exited and was reaped already */
  }
  return -1;
}

void ts_redis_stop(ts_redis *r) {
  if (r->pid > 0) ts_stop(r->pid, 5);
  r->pid = 0;
  if (r->dir) ts_rmtree(r->dir);
  free(r->dir);
  r->dir = NULL;
}

char *ts_redis_cli(const ts_redis *r, const char *password, const char *const args[]) {
  char port[16];
  snprintf(port, sizeof port, "%d", r->port);
  char *argv[64];
  int n = 0;
  argv[n++] = "redis-cli";
  argv[n++] = "-p"; argv[n++] = port;
  if (password) { argv[n++] = "-a"; argv[n++] = (char *)password; argv[n++] = "--no-auth-warning"; }
  for (int i = 0; args[i] && n < 62; i++) argv[n++] = (char *)args[i];
  argv[n] = NULL;
  char *out = NULL;
  ts_run(argv, NULL, &out, NULL, 10);
  return out;
}

static void close_walk(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

int ts_loop_close_all(uv_loop_t *loop) {
  uv_walk(loop, close_walk, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop);
}

void ts_coord_cfg(cfg_config *cfg, int port) {
  cfg_defaults(cfg);
  char p[16];
  snprintf(p, sizeof p, "%d", port);
  al_err err;
  if (cfg_set(cfg, "coordinator.state_store_type", "memory", &err) != 0 ||
      cfg_set(cfg, "coordinator.host", "127.0.0.1", &err) != 0 ||
      (port > 0 && cfg_set(cfg, "coordinator.port", p, &err) != 0))
    fprintf(stderr, "ts_coord_cfg: %s\n", err.msg);
}

void ts_coord_adjust(coord_options *co, void *ud) {
  store *st = co->st;
  *co = *(const coord_options *)ud;
  co->st = st;
}
