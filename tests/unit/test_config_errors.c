/* Every config error: the whole message is checked (file, line, column, dotted key,
 * what was expected and what was found), and a failed load leaves the defaults. */
#include <stdlib.h>
#include <string.h>

#include "common/al.h"
#include "config/config.h"
#include "harness.h"
#include "support.h"

typedef struct err_case {
  const char *yaml;
  const char *msg;
} err_case;

static const err_case CASES[] = {
    /* wrong type / out of range */
    {"coordinator:\n  port: -1\n",
     "t.yaml:2:9: key 'coordinator.port': expected an integer 1-65535, got '-1'"},
    {"coordinator:\n  port: 65536\n",
     "t.yaml:2:9: key 'coordinator.port': expected an integer 1-65535, got '65536'"},
    {"coordinator:\n  port: \"8080\"\n",
     "t.yaml:2:9: key 'coordinator.port': expected an integer 1-65535, got the quoted string '8080'"},
    {"coordinator:\n  port: abc\n",
     "t.yaml:2:9: key 'coordinator.port': expected an integer 1-65535, got 'abc'"},
    {"coordinator:\n  port: [1]\n",
     "t.yaml:2:9: key 'coordinator.port': expected an integer 1-65535, got a sequence"},
    {"coordinator:\n  port: {a: 1}\n",
     "t.yaml:2:9: key 'coordinator.port': expected an integer 1-65535, got a mapping"},
    {"coordinator:\n  port:\n",
     "t.yaml:2:8: key 'coordinator.port': expected an integer 1-65535, got null"},
    {"coordinator:\n  port: 010\n",
     "t.yaml:2:9: key 'coordinator.port': expected an integer 1-65535, got '010'"},
    {"coordinator:\n  port: 99999999999999999999999\n",
     "t.yaml:2:9: key 'coordinator.port': expected an integer 1-65535, got '99999999999999999999999'"},
    {"coordinator:\n  state_store_port: 0\n",
     "t.yaml:2:21: key 'coordinator.state_store_port': expected an integer 1-65535, got '0'"},
    {"coordinator:\n  heartbeat_interval: 0\n",
     "t.yaml:2:23: key 'coordinator.heartbeat_interval': expected a number of seconds > 0 (at most 1e9), got '0'"},
    {"coordinator:\n  task_timeout: -5\n",
     "t.yaml:2:17: key 'coordinator.task_timeout': expected a number of seconds > 0 (at most 1e9), got '-5'"},
    {"coordinator:\n  heartbeat_interval: .inf\n",
     "t.yaml:2:23: key 'coordinator.heartbeat_interval': expected a number of seconds > 0 (at most 1e9), got '.inf'"},
    {"coordinator:\n  retention: -1\n",
     "t.yaml:2:14: key 'coordinator.retention': expected a number of seconds >= 0 (at most 1e9), got '-1'"},
    {"job:\n  timeout: 0\n",
     "t.yaml:2:12: key 'job.timeout': expected a number of seconds > 0 (at most 1e9), got '0'"},
    {"coordinator:\n  state_store_type: etcd\n",
     "t.yaml:2:21: key 'coordinator.state_store_type': expected one of redis, memory, got 'etcd'"},
    {"coordinator:\n  strategy: random\n",
     "t.yaml:2:13: key 'coordinator.strategy': expected one of round_robin, least_busy, dynamic, got 'random'"},
    {"coordinator:\n  enable_checkpointing: maybe\n",
     "t.yaml:2:25: key 'coordinator.enable_checkpointing': expected a boolean (true/false/yes/no), got 'maybe'"},
    {"coordinator:\n  enable_checkpointing: \"true\"\n",
     "t.yaml:2:25: key 'coordinator.enable_checkpointing': expected a boolean (true/false/yes/no), got the quoted string 'true'"},
    {"coordinator:\n  host: yes\n",
     "t.yaml:2:9: key 'coordinator.host': expected a non-empty UTF-8 string, got the boolean 'yes' (quote it to use it as text)"},
    {"coordinator:\n  host: \"a\\0b\"\n",
     "t.yaml:2:9: key 'coordinator.host': expected a non-empty UTF-8 string, got the quoted string 'a\\x00b'"},
    {"coordinator:\n  host: ~\n",
     "t.yaml:2:9: key 'coordinator.host': expected a non-empty UTF-8 string, got null"},
    {"coordinator:\n  auth_token: \"\"\n",
     "t.yaml:2:15: key 'coordinator.auth_token': expected a non-empty UTF-8 string or null, got the quoted string ''"},
    {"coordinator:\n  max_frame_bytes: 1TiB\n",
     "t.yaml:2:20: key 'coordinator.max_frame_bytes': expected a size in bytes 4KiB-1GiB (an integer or e.g. 16MiB), got '1TiB'"},
    {"coordinator:\n  retry_backoff_multiplier: 0.5\n",
     "t.yaml:2:29: key 'coordinator.retry_backoff_multiplier': expected a number 1-1000, got '0.5'"},
    {"job:\n  max_task_retries: -1\n",
     "t.yaml:2:21: key 'job.max_task_retries': expected an integer 0-1000000, got '-1'"},
    {"coordinator: [1,2]\n",
     "t.yaml:1:14: key 'coordinator': expected a mapping of coordinator settings, got a sequence"},
    {"job: 5\n", "t.yaml:1:6: key 'job': expected a mapping of job settings, got a scalar"},
    {"- a\n",
     "t.yaml:1:1: expected a mapping with the sections 'coordinator', 'workers' and 'job', got a sequence"},
    /* unknown and duplicate keys */
    {"coordinator:\n  prot: 1\n",
     "t.yaml:2:3: key 'coordinator.prot': unknown key in section 'coordinator' (did you mean 'port'?)"},
    {"coordinator:\n  zzzzzz: 1\n",
     "t.yaml:2:3: key 'coordinator.zzzzzz': unknown key in section 'coordinator' (see docs/CONFIGURATION.md)"},
    {"job:\n  max_retries: 1\n",
     "t.yaml:2:3: key 'job.max_retries': unknown key in section 'job' (it belongs in section 'coordinator')"},
    {"coordinator:\n  batch_size: 1\n",
     "t.yaml:2:3: key 'coordinator.batch_size': unknown key in section 'coordinator' (it belongs in a pool under 'workers')"},
    {"foo: 1\n", "t.yaml:1:1: key 'foo': unknown section (expected coordinator, workers or job)"},
    {"coordinator:\n  port: 1\n  port: 2\n",
     "t.yaml:3:3: key 'coordinator.port': duplicate key (first given at line 2, column 3)"},
    {"coordinator:\ncoordinator:\n",
     "t.yaml:2:1: key 'coordinator': duplicate key (first given at line 1, column 1)"},
    {"workers:\n  - name: a\n    batch_size: 1\n    batch_size: 2\n",
     "t.yaml:4:5: key 'workers[0].batch_size': duplicate key (first given at line 3, column 5)"},
    {"coordinator:\n  ? [a]\n  : 1\n",
     "t.yaml:2:5: key 'coordinator': expected a key name, got a sequence"},
    /* workers */
    {"workers:\n  - batch_size: 5\n",
     "t.yaml:2:5: key 'workers[0].name': required key is missing (every worker pool needs a name)"},
    {"workers:\n  - name: a\n  - name: a\n",
     "t.yaml:3:11: key 'workers[1].name': duplicate pool name 'a' (also workers[0])"},
    {"workers:\n  - name: a\n    worker_ids: [x, y]\n  - name: b\n    worker_ids: [z, x]\n",
     "t.yaml:5:21: key 'workers[1].worker_ids[1]': duplicate worker id 'x' (also workers[0].worker_ids[0])"},
    {"workers:\n  name: a\n",
     "t.yaml:2:3: key 'workers': expected a list of worker pools, got a mapping (write each pool as '- name: ...')"},
    {"workers:\n  - name: a\n    worker_ids: x\n",
     "t.yaml:3:17: key 'workers[0].worker_ids': expected a list of non-empty strings, got a single value (write it as [value])"},
    {"workers:\n  - name: a\n    worker_ids: [x, [y]]\n",
     "t.yaml:3:21: key 'workers[0].worker_ids[1]': expected a non-empty UTF-8 string, got a sequence"},
    {"workers:\n  - ~\n",
     "t.yaml:2:5: key 'workers[0]': expected a mapping describing a worker pool (with at least 'name'), got null"},
    {"workers:\n  - name: a\n    cpu_cores: 0\n",
     "t.yaml:3:16: key 'workers[0].cpu_cores': expected an integer 1-65536 or null, got '0'"},
    {"workers:\n  - name: a\n    nmae: b\n",
     "t.yaml:3:5: key 'workers[0].nmae': unknown key in section 'workers' (did you mean 'name'?)"},
    {"workers:\n  - name: a\n    num_processes: 0\n",
     "t.yaml:3:20: key 'workers[0].num_processes': expected an integer 1-4096, got '0'"},
    /* rules across keys */
    {"coordinator:\n  heartbeat_timeout: 5\n",
     "t.yaml:2:3: key 'coordinator.heartbeat_timeout': expected a number of seconds greater than coordinator.heartbeat_interval (10), got '5'"},
    {"coordinator:\n  heartbeat_interval: 40\n",
     "t.yaml:2:3: key 'coordinator.heartbeat_interval': expected a number of seconds less than coordinator.heartbeat_timeout (30), got '40'"},
    {"coordinator:\n  output_buffer_hard_limit: 1MiB\n",
     "t.yaml:2:3: key 'coordinator.output_buffer_hard_limit': expected a size >= coordinator.output_buffer_soft_limit (8388608), got '1048576'"},
    {"coordinator:\n  max_frame_bytes: 128MiB\n",
     "t.yaml:2:3: key 'coordinator.max_frame_bytes': expected a size <= coordinator.output_buffer_hard_limit (67108864), got '134217728'"},
    {"coordinator:\n  output_buffer_soft_limit: 128MiB\n",
     "t.yaml:2:3: key 'coordinator.output_buffer_soft_limit': expected a size <= coordinator.output_buffer_hard_limit (67108864), got '134217728'"},
    {"coordinator:\n  output_buffer_soft_limit: 1MiB\n  output_buffer_hard_limit: 2MiB\n",
     "t.yaml:3:3: key 'coordinator.output_buffer_hard_limit': expected a size >= coordinator.max_frame_bytes (16777216), got '2097152'"},
    /* YAML we reject, and malformed YAML with libyaml's words */
    {"a: &x 1\nb: *x\n",
     "t.yaml:1:4: invalid YAML: anchors (&x) are not supported in configuration files"},
    {"coordinator: *x\n", "t.yaml:1:14: invalid YAML: aliases (*x) are not supported in configuration files"},
    {"coordinator:\n  port: 1\n---\njob: {}\n",
     "t.yaml:3:1: invalid YAML: expected a single YAML document, found a second one"},
    {"coordinator:\n  port: !custom 1\n", "t.yaml:2:9: invalid YAML: unsupported tag '!custom'"},
    {"coordinator:\n  port: 1\n bad: 2\n",
     "t.yaml:3:2: invalid YAML: did not find expected key while parsing a block mapping (line 1, column 1)"},
    {"coordinator: {port: 1\n",
     "t.yaml:2:1: invalid YAML: did not find expected ',' or '}' while parsing a flow mapping (line 1, column 14)"},
    {"job:\n  name: x\n  output_dir: \"ab\xc3\x28\"\n",
     "t.yaml:3:19: invalid YAML: invalid trailing UTF-8 octet"},
    {"\tcoordinator: 1\n",
     "t.yaml:1:1: invalid YAML: found character that cannot start any token while scanning for the next token (line 1, column 1)"},
};

static void test_error_messages(void) {
  for (size_t i = 0; i < AL_ARRAY_LEN(CASES); i++) {
    cfg_config c;
    al_err e;
    int rc = cfg_load_string("t.yaml", CASES[i].yaml, strlen(CASES[i].yaml), &c, &e);
    CHECK_MSG(rc == -1, "case %zu loaded: %s", i, CASES[i].yaml);
    CHECK_MSG(strcmp(e.msg, CASES[i].msg) == 0, "case %zu:\n  got  %s\n  want %s", i, e.msg,
              CASES[i].msg);
    CHECK(e.code == CFG_ERR_SCHEMA || e.code == CFG_ERR_SYNTAX);
    /* Nothing of a failed file is kept: the result owns nothing. */
    CHECK(c.coordinator.host == NULL);
    CHECK(c.workers == NULL);
    CHECK_EQ_INT(c.nworkers, 0);
    cfg_free(&c); /* allowed, not needed */
  }
}

static void test_error_after_partial_apply_keeps_defaults(void) {
  const char *y = "coordinator:\n  port: 9000\n  host: example\nworkers:\n  - name: a\n  - {}\n";
  cfg_config c;
  al_err e;
  CHECK_EQ_INT(cfg_load_string("t.yaml", y, strlen(y), &c, &e), -1);
  CHECK_EQ_STR(e.msg, "t.yaml:6:5: key 'workers[1].name': required key is missing (every worker pool needs a name)");
  CHECK_EQ_INT(c.coordinator.port, 0);
  CHECK(c.coordinator.host == NULL);
  CHECK(c.workers == NULL);
  CHECK_EQ_INT(c.nworkers, 0);
}

static void test_missing_file(void) {
  cfg_config c;
  al_err e;
  CHECK_EQ_INT(cfg_load("/nonexistent/dir/auralith.yaml", &c, &e), -1);
  CHECK_EQ_INT(e.code, CFG_ERR_NOT_FOUND);
  CHECK_EQ_STR(e.msg, "config file not found: /nonexistent/dir/auralith.yaml");
  CHECK(c.coordinator.host == NULL);
}

static void test_unreadable_inputs(void) {
  char *dir = ts_mkdtemp("cfgerr");
  cfg_config c;
  al_err e;
  /* A directory is not a config file. */
  CHECK_EQ_INT(cfg_load(dir, &c, &e), -1);
  CHECK_EQ_INT(e.code, CFG_ERR_IO);
  CHECK_CONTAINS(e.msg, dir);
  CHECK_CONTAINS(e.msg, "Is a directory");
  cfg_free(&c);
  /* Over the size limit. */
  size_t n = CFG_MAX_FILE_BYTES + 10;
  char *big = al_xmalloc(n);
  memset(big, '#', n);
  char *path = al_xasprintf("%s/big.yaml", dir);
  ts_write_file(path, big, n);
  CHECK_EQ_INT(cfg_load(path, &c, &e), -1);
  CHECK_EQ_INT(e.code, CFG_ERR_IO);
  char *want = al_xasprintf("%s: config file is larger than %u bytes", path, CFG_MAX_FILE_BYTES);
  CHECK_EQ_STR(e.msg, want);
  cfg_free(&c);
  free(want);
  free(path);
  free(big);
  /* Errors name the real path. */
  path = al_xasprintf("%s/bad.yaml", dir);
  ts_write_file(path, "coordinator:\n  port: -1\n", 24);
  CHECK_EQ_INT(cfg_load(path, &c, &e), -1);
  want = al_xasprintf("%s:2:9: key 'coordinator.port': expected an integer 1-65535, got '-1'", path);
  CHECK_EQ_STR(e.msg, want);
  cfg_free(&c);
  free(want);
  free(path);
  ts_rmtree(dir);
  free(dir);
}

static void test_deep_nesting(void) {
  al_buf b = {0};
  al_buf_puts(&b, "pipeline: ");
  for (int i = 0; i < 200; i++) al_buf_puts(&b, "[");
  for (int i = 0; i < 200; i++) al_buf_puts(&b, "]");
  al_buf_puts(&b, "\n");
  cfg_config c;
  al_err e;
  CHECK_EQ_INT(cfg_load_string("t.yaml", b.data, b.len, &c, &e), -1);
  CHECK_EQ_STR(e.msg, "t.yaml:1:74: invalid YAML: nesting deeper than 64 levels");
  cfg_free(&c);
  al_buf_free(&b);
}

int main(void) {
  al_log_set_level(AL_LOG_ERROR);
  RUN(test_error_messages);
  RUN(test_error_after_partial_apply_keeps_defaults);
  RUN(test_missing_file);
  RUN(test_unreadable_inputs);
  RUN(test_deep_nesting);
  return TEST_REPORT();
}
