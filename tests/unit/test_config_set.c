/* cfg_set: command-line overrides with the file's validation and messages, leaving
 * the config unchanged on failure. */
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "config/config.h"
#include "harness.h"

static void expect_fail(cfg_config *c, const char *key, const char *value, const char *msg) {
  al_err e;
  CHECK_MSG(cfg_set(c, key, value, &e) == -1, "%s=%s accepted", key, value ? value : "(null)");
  CHECK_EQ_STR(e.msg, msg);
  CHECK_EQ_INT(e.code, CFG_ERR_SCHEMA);
}

static void test_set_values(void) {
  cfg_config c;
  al_err e;
  cfg_defaults(&c);
  CHECK_EQ_INT(cfg_set(&c, "coordinator.port", "9000", &e), 0);
  CHECK_EQ_INT(c.coordinator.port, 9000);
  CHECK(cfg_is_set(&c, "coordinator.port"));
  CHECK_EQ_INT(cfg_set(&c, "coordinator.host", "yes", &e), 0); /* text from argv is text */
  CHECK_EQ_STR(c.coordinator.host, "yes");
  CHECK_EQ_INT(cfg_set(&c, "coordinator.state_store_type", "memory", &e), 0);
  CHECK_EQ_INT(c.coordinator.state_store_type, CFG_STORE_MEMORY);
  CHECK_EQ_INT(cfg_set(&c, "coordinator.strategy", "least_busy", &e), 0);
  CHECK_EQ_INT(c.coordinator.strategy, CFG_STRATEGY_LEAST_BUSY);
  CHECK_EQ_INT(cfg_set(&c, "coordinator.enable_checkpointing", "off", &e), 0);
  CHECK(!c.coordinator.enable_checkpointing);
  CHECK_EQ_INT(cfg_set(&c, "coordinator.heartbeat_interval", "0.25", &e), 0);
  CHECK(c.coordinator.heartbeat_interval == 0.25);
  CHECK_EQ_INT(cfg_set(&c, "coordinator.max_frame_bytes", "32MiB", &e), 0);
  CHECK_EQ_INT(c.coordinator.max_frame_bytes, 32 * 1024 * 1024);
  CHECK_EQ_INT(cfg_set(&c, "coordinator.state_store_password", "s3cret", &e), 0);
  CHECK_EQ_STR(c.coordinator.state_store_password, "s3cret");
  CHECK_EQ_INT(cfg_set(&c, "coordinator.state_store_password", NULL, &e), 0);
  CHECK(c.coordinator.state_store_password == NULL);
  CHECK_EQ_INT(cfg_set(&c, "job.input_dir", "/data/in", &e), 0);
  CHECK_EQ_STR(c.job.input_dir, "/data/in");
  CHECK_EQ_INT(cfg_set(&c, "job.files_per_task", "10", &e), 0);
  CHECK_EQ_INT(c.job.files_per_task, 10);
  CHECK_EQ_INT(cfg_set(&c, "job.timeout", "60", &e), 0);
  CHECK(c.job.timeout == 60);
  cfg_free(&c);
}

static void test_set_errors(void) {
  cfg_config c;
  cfg_defaults(&c);
  expect_fail(&c, "coordinator.port", "-1",
              "key 'coordinator.port': expected an integer 1-65535, got '-1'");
  expect_fail(&c, "coordinator.port", "70000",
              "key 'coordinator.port': expected an integer 1-65535, got '70000'");
  expect_fail(&c, "coordinator.port", "http",
              "key 'coordinator.port': expected an integer 1-65535, got 'http'");
  expect_fail(&c, "coordinator.port", NULL,
              "key 'coordinator.port': expected an integer 1-65535, got null");
  expect_fail(&c, "coordinator.strategy", "fastest",
              "key 'coordinator.strategy': expected one of round_robin, least_busy, dynamic, got 'fastest'");
  expect_fail(&c, "coordinator.state_store_type", "etcd",
              "key 'coordinator.state_store_type': expected one of redis, memory, got 'etcd'");
  expect_fail(&c, "coordinator.task_timeout", "0",
              "key 'coordinator.task_timeout': expected a number of seconds > 0 (at most 1e9), got '0'");
  expect_fail(&c, "coordinator.host", "",
              "key 'coordinator.host': expected a non-empty UTF-8 string, got the quoted string ''");
  expect_fail(&c, "coordinator.host", "\xff",
              "key 'coordinator.host': expected a non-empty UTF-8 string, got the quoted string '\xff'");
  expect_fail(&c, "coordinator.prot", "1",
              "key 'coordinator.prot': unknown key in section 'coordinator' (did you mean 'port'?)");
  expect_fail(&c, "port", "1",
              "key 'port': unknown key (expected coordinator.<key>, job.<key> or workers[<n>].<key>)");
  expect_fail(&c, "workers[0].name", "x",
              "key 'workers[0].name': no such worker pool (the config has 0)");
  expect_fail(&c, "coordinator.heartbeat_timeout", "5",
              "key 'coordinator.heartbeat_timeout': expected a number of seconds greater than "
              "coordinator.heartbeat_interval (10), got '5'");
  /* Unchanged after every failure. */
  CHECK_EQ_INT(c.coordinator.port, 8080);
  CHECK_EQ_STR(c.coordinator.host, "localhost");
  CHECK(c.coordinator.heartbeat_timeout == 30);
  CHECK(!cfg_is_set(&c, "coordinator.port"));
  cfg_free(&c);
}

static void test_set_pools_and_lists(void) {
  const char *y = "workers:\n  - name: a\n    worker_ids: [w1]\n";
  cfg_config c;
  al_err e;
  CHECK_EQ_INT(cfg_load_string("t.yaml", y, strlen(y), &c, &e), 0);
  CHECK_EQ_INT(cfg_set(&c, "workers[0].num_processes", "8", &e), 0);
  CHECK_EQ_INT(c.workers[0].num_processes, 8);
  CHECK_EQ_INT(cfg_set(&c, "workers[0].worker_ids", "x,y,z", &e), 0);
  CHECK_EQ_INT(c.workers[0].nworker_ids, 3);
  CHECK_EQ_STR(c.workers[0].worker_ids[2], "z");
  CHECK_EQ_INT(cfg_set(&c, "workers[0].cpu_cores", "null", &e), 0);
  CHECK_EQ_INT(c.workers[0].cpu_cores, CFG_INT_NULL);
  expect_fail(&c, "workers[0].worker_ids", "x,,y",
              "key 'workers[0].worker_ids': expected a list of non-empty strings, got 'x,,y'");
  expect_fail(&c, "workers[1].name", "b", "key 'workers[1].name': no such worker pool (the config has 1)");
  CHECK_EQ_INT(c.workers[0].nworker_ids, 3);
  cfg_free(&c);
}

static void test_set_aliases(void) {
  const char *y = "coordinator:\n  max_retries: 5\n";
  cfg_config c;
  al_err e;
  CHECK_EQ_INT(cfg_load_string("t.yaml", y, strlen(y), &c, &e), 0);
  /* An explicit override of the job spelling sets the effective value. */
  CHECK_EQ_INT(cfg_set(&c, "job.max_task_retries", "9", &e), 0);
  CHECK_EQ_INT(c.coordinator.max_retries, 9);
  CHECK_EQ_INT(c.job.max_task_retries, 9);
  CHECK_EQ_INT(cfg_set(&c, "coordinator.max_retry_backoff", "60", &e), 0);
  CHECK(c.job.max_retry_backoff == 60);
  cfg_free(&c);
}

/* The CLI applies flags over the file: file first, then cfg_set, then print. */
static void test_flags_over_file_then_print(void) {
  const char *y = "coordinator:\n  port: 7000\n  host: 10.0.0.1\n";
  cfg_config c, d;
  al_err e;
  CHECK_EQ_INT(cfg_load_string("t.yaml", y, strlen(y), &c, &e), 0);
  CHECK_EQ_INT(cfg_set(&c, "coordinator.port", "9000", &e), 0);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  cfg_print_yaml(&c, f);
  fclose(f);
  CHECK_CONTAINS(text, "  port: 9000\n");
  CHECK_CONTAINS(text, "  host: \"10.0.0.1\"\n");
  CHECK_EQ_INT(cfg_load_string("printed", text, len, &d, &e), 0);
  CHECK_EQ_INT(d.coordinator.port, 9000);
  free(text);
  cfg_free(&c);
  cfg_free(&d);
}

int main(void) {
  al_log_set_level(AL_LOG_ERROR);
  RUN(test_set_values);
  RUN(test_set_errors);
  RUN(test_set_pools_and_lists);
  RUN(test_set_aliases);
  RUN(test_flags_over_file_then_print);
  return TEST_REPORT();
}
