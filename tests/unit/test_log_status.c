/* The log writer's terminal status line (submit-job's progress): a log line arriving
 * while the status line is shown clears it, is written, and the status line is drawn
 * again below it, so log lines never overwrite it and it never overwrites them; and a
 * JSON line carries time, level, component and the ids it names. stderr goes to a
 * file here and the exact bytes are compared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/al.h"
#include "harness.h"

/* Runs fn with stderr sent to a temporary file; returns what was written (caller frees). */
static char *capture_stderr(void (*fn)(void)) {
  char path[] = "/tmp/al_log_status_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return NULL;
  fflush(stderr);
  int saved = dup(2);
  dup2(fd, 2);
  fn();
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  off_t n = lseek(fd, 0, SEEK_END);
  char *out = calloc((size_t)n + 1, 1);
  if (out && pread(fd, out, (size_t)n, 0) != (ssize_t)n) out[0] = '\0';
  close(fd);
  unlink(path);
  return out;
}

static void status_then_logs(void) {
  al_log_set_format(AL_LOG_TEXT);
  al_log_status("[running] tasks 1/4");
  al_log(AL_LOG_WARN, "coordinator: task j-000001 attempt 1 failed (boom)");
  al_log_status("[running] tasks 2/4");
  al_log_status(NULL); /* the run ended: the last status stays, on its own line */
  al_log(AL_LOG_INFO, "job j: completed");
}

static void test_status_line_stays_below_log_lines(void) {
  char *out = capture_stderr(status_then_logs);
  CHECK(out != NULL);
  if (!out) return;
  /* status drawn; cleared for the warning; the warning; status drawn again */
  const char *want1 = "\r\033[K[running] tasks 1/4\r\033[K";
  CHECK_MSG(strncmp(out, want1, strlen(want1)) == 0, "start: %s", out);
  char *warn = strstr(out, " WARN  coordinator: task j-000001 attempt 1 failed (boom)\n[running] tasks 1/4");
  CHECK_MSG(warn != NULL, "the status line is not redrawn after the warning: %s", out);
  /* the next status replaces the old one in place, then ends with a newline */
  CHECK_CONTAINS(out, "[running] tasks 1/4\r\033[K[running] tasks 2/4\n");
  /* once ended, log lines are written plainly (no clearing sequence before them) */
  char *last = strstr(out, "[running] tasks 2/4\n");
  CHECK(last && strstr(last, "\r") == NULL);
  CHECK(last && strstr(last, " INFO  job j: completed\n") != NULL);
  free(out);
}

static void json_line(void) {
  al_log_set_format(AL_LOG_JSON);
  al_log(AL_LOG_INFO, "worker w1: task j1-000003 attempt 2 success");
  al_log_set_format(AL_LOG_TEXT);
}

static void test_json_line_fields(void) {
  char *out = capture_stderr(json_line);
  CHECK(out != NULL);
  if (!out) return;
  json_error_t e;
  json_t *v = json_loads(out, 0, &e);
  CHECK_MSG(v != NULL, "not JSON: %s (%s)", out, e.text);
  if (v) {
    CHECK_EQ_STR(json_string_value(json_object_get(v, "level")), "INFO");
    CHECK_EQ_STR(json_string_value(json_object_get(v, "component")), "worker");
    CHECK_EQ_STR(json_string_value(json_object_get(v, "worker_id")), "w1");
    CHECK_EQ_STR(json_string_value(json_object_get(v, "task_id")), "j1-000003");
    CHECK(json_is_string(json_object_get(v, "time")));
    json_decref(v);
  }
  free(out);
}

int main(void) {
  RUN(test_status_line_stays_below_log_lines);
  RUN(test_json_line_fields);
  return TEST_REPORT();
}
