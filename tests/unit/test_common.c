/* Common utilities: error reports, buffers, timestamps, and the test support itself
 * (a real child process and a real redis-server). */
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "harness.h"
#include "support.h"

static void test_err_messages(void) {
  al_err e;
  al_err_clear(&e);
  CHECK_EQ_INT(e.code, 0);
  CHECK_EQ_INT(al_err_set(&e, 7, "bad key '%s'", "port"), -1);
  CHECK_EQ_INT(e.code, 7);
  al_err_prefix(&e, "%s:%d:%d", "x.yaml", 3, 5);
  CHECK_EQ_STR(e.msg, "x.yaml:3:5: bad key 'port'");
  /* a failure always carries a code */
  CHECK_EQ_INT(al_err_set(&e, 0, "x"), -1);
  CHECK_EQ_INT(e.code, AL_E_FAILED);
}

/* One code, one meaning: every code has its own name, and the protocol's codes are
 * the library's (the numbers of docs/PROTOCOL.md). */
static void test_err_codes(void) {
  static const int codes[] = {AL_E_BAD_FRAME, AL_E_FRAME_TOO_LARGE, AL_E_UNKNOWN_TYPE, AL_E_BAD_FIELD,
                              AL_E_AUTH, AL_E_VERSION, AL_E_NOT_FOUND, AL_E_BAD_STATE, AL_E_INTERNAL,
                              AL_E_NOT_ALLOWED, AL_E_STALE, AL_E_ID_IN_USE, AL_E_LIMIT, AL_E_ADDRESS,
                              AL_E_CONNECT, AL_E_TIMEOUT, AL_E_CLOSED, AL_E_PROTOCOL, AL_E_ARG, AL_E_IO,
                              AL_E_NO_FILES, AL_E_TLS, AL_E_CONFIG_NOT_FOUND, AL_E_CONFIG_IO,
                              AL_E_CONFIG_SYNTAX, AL_E_CONFIG_SCHEMA, AL_E_FORMAT, AL_E_FAILED};
  size_t n = sizeof codes / sizeof codes[0];
  for (size_t i = 0; i < n; i++) {
    CHECK(strcmp(al_err_code_name(codes[i]), "UNKNOWN") != 0);
    for (size_t k = 0; k < i; k++) {
      CHECK(codes[i] != codes[k]);
      CHECK(strcmp(al_err_code_name(codes[i]), al_err_code_name(codes[k])) != 0);
    }
  }
  CHECK_EQ_STR(al_err_code_name(AL_E_BAD_FRAME), "BAD_FRAME");
  CHECK_EQ_INT(AL_E_BAD_FRAME, 1);
  CHECK_EQ_INT(AL_E_LIMIT, 13);
  CHECK_EQ_STR(al_err_code_name(108), "UNKNOWN"); /* retired */
  CHECK_EQ_STR(al_err_code_name(-1), "UNKNOWN");
}

static void test_buf_grows(void) {
  al_buf b = {0};
  for (int i = 0; i < 1000; i++) al_buf_printf(&b, "%d,", i);
  CHECK(b.len > 3000);
  CHECK(strncmp(al_buf_cstr(&b), "0,1,2,", 6) == 0);
  al_buf_free(&b);
  CHECK(b.data == NULL);
}

static void test_iso_format(void) {
  char buf[40];
  setenv("TZ", "UTC", 1);
  al_iso_from_wall(0.0, buf, sizeof buf);
  CHECK_EQ_STR(buf, "1970-01-01T00:00:00");
  al_iso_from_wall(1.25, buf, sizeof buf);
  CHECK_EQ_STR(buf, "1970-01-01T00:00:01.250000");
}

static void test_child_process(void) {
  char *out = NULL, *err = NULL;
  char *argv[] = {"sh", "-c", "cat; echo oops >&2; exit 3", NULL};
  int rc = ts_run(argv, "hello", &out, &err, 10);
  CHECK_EQ_INT(rc, 3);
  CHECK_EQ_STR(out, "hello");
  CHECK_EQ_STR(err, "oops\n");
  free(out);
  free(err);
}

static void test_real_redis(void) {
  ts_redis r;
  CHECK_EQ_INT(ts_redis_start(&r, "s3cret"), 0);
  const char *set[] = {"SET", "k", "v", NULL};
  char *o = ts_redis_cli(&r, "s3cret", set);
  CHECK_CONTAINS(o, "OK");
  free(o);
  const char *get[] = {"GET", "k", NULL};
  o = ts_redis_cli(&r, "s3cret", get);
  CHECK_EQ_STR(o, "v\n");
  free(o);
  ts_redis_stop(&r);
}

static void test_loop_close(void) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_timer_t t;
  uv_timer_init(&loop, &t);
  CHECK_EQ_INT(ts_loop_close_all(&loop), 0);
}

int main(void) {
  RUN(test_err_messages);
  RUN(test_err_codes);
  RUN(test_buf_grows);
  RUN(test_iso_format);
  RUN(test_child_process);
  RUN(test_real_redis);
  RUN(test_loop_close);
  return TEST_REPORT();
}
