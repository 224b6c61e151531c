/* Input file reading: regular, empty, missing, directory, FIFO (must not hang),
 * unreadable, capped, and the /proc metrics. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/al.h"
#include "harness.h"
#include "support.h"
#include "worker/fileread.h"
#include "worker/sysmetrics.h"

static char *dir;

static worker_read_status rd(const char *name, size_t cap, char **data, size_t *len, int *trunc) {
  char *p = al_xasprintf("%s/%s", dir, name);
  char detail[256];
  worker_read_status s = worker_read_file(p, cap, data, len, trunc, detail, sizeof detail);
  free(p);
  return s;
}

static void test_regular_and_capped(void) {
  char *p = al_xasprintf("%s/a.txt", dir);
  ts_write_file(p, "hello world", 11);
  free(p);
  char *d;
  size_t n;
  int t;
  CHECK_EQ_INT(rd("a.txt", 1 << 20, &d, &n, &t), WORKER_READ_OK);
  CHECK_EQ_INT(n, 11);
  CHECK_EQ_STR(d, "hello world");
  CHECK_EQ_INT(t, 0);
  free(d);
  CHECK_EQ_INT(rd("a.txt", 5, &d, &n, &t), WORKER_READ_OK);
  CHECK_EQ_STR(d, "hello");
  CHECK_EQ_INT(t, 1);
  free(d);
}

static void test_empty(void) {
  char *p = al_xasprintf("%s/empty.txt", dir);
  ts_write_file(p, "", 0);
  free(p);
  char *d;
  size_t n;
  int t;
  CHECK_EQ_INT(rd("empty.txt", 100, &d, &n, &t), WORKER_READ_OK);
  CHECK_EQ_INT(n, 0);
  CHECK_EQ_STR(d, "");
  free(d);
}

static void test_bad_kinds(void) {
  char *d;
  size_t n;
  int t;
  CHECK_EQ_INT(rd("missing.txt", 100, &d, &n, &t), WORKER_READ_VANISHED);
  CHECK(d == NULL);
  char *sub = al_xasprintf("%s/sub", dir);
  mkdir(sub, 0755);
  free(sub);
  CHECK_EQ_INT(rd("sub", 100, &d, &n, &t), WORKER_READ_NOT_REGULAR);
  char *fifo = al_xasprintf("%s/pipe.txt", dir);
  CHECK_EQ_INT(mkfifo(fifo, 0644), 0);
  free(fifo);
  double t0 = al_mono_s();
  CHECK_EQ_INT(rd("pipe.txt", 100, &d, &n, &t), WORKER_READ_NOT_REGULAR);
  CHECK(al_mono_s() - t0 < 1.0);
  CHECK_EQ_STR(worker_read_status_name(WORKER_READ_NOT_REGULAR), "not a regular file");
}

static void test_unreadable(void) {
  if (geteuid() == 0) return; /* root reads mode-000 files; covered by the worker tests */
  char *p = al_xasprintf("%s/secret.txt", dir);
  ts_write_file(p, "x", 1);
  chmod(p, 0);
  free(p);
  char *d;
  size_t n;
  int t;
  CHECK_EQ_INT(rd("secret.txt", 100, &d, &n, &t), WORKER_READ_UNREADABLE);
}

static void test_metrics(void) {
  worker_cpu_sampler s = {0};
  double c = worker_cpu_percent(&s);
  CHECK(c >= 0 && c <= 100);
  double m = worker_mem_percent();
  CHECK(m > 0 && m <= 100);
  uint64_t rss = worker_rss_bytes();
  CHECK(rss > 100000);
  CHECK(worker_peak_rss_bytes() >= rss); /* read after: the peak only grows */
}

int main(void) {
  dir = ts_mkdtemp("fileread");
  RUN(test_regular_and_capped);
  RUN(test_empty);
  RUN(test_bad_kinds);
  RUN(test_unreadable);
  RUN(test_metrics);
  ts_rmtree(dir);
  free(dir);
  return TEST_REPORT();
}
