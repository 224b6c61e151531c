/* al_config_load_json (include/auralith/config.h): the effective configuration as
 * JSON, every key with its kind kept, and the loader's FILE:LINE:COLUMN errors. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "auralith/config.h"
#include "harness.h"
#include "support.h"
#include "common/al.h"

static json_t *load(const char *path, bool redact, al_err *err) {
  char *s = al_config_load_json(path, redact, err);
  if (!s) return NULL;
  json_t *j = json_loads(s, 0, NULL);
  free(s);
  return j;
}

static void test_values_and_kinds(void) {
  char *dir = ts_mkdtemp("cfgjson");
  char *path = al_xasprintf("%s/c.yaml", dir);
  const char *yaml =
      "coordinator:\n  port: 9100\n  heartbeat_interval: 1\n  heartbeat_timeout: 2.5\n  auth_token: s3cret\n"
      "workers:\n  - name: p\n    worker_ids: [a, b]\n    cpu_cores: null\n"
      "job:\n  name: j\n";
  CHECK(ts_write_file(path, yaml, strlen(yaml)) == 0);
  al_err err;
  al_err_clear(&err);
  json_t *j = load(path, false, &err);
  CHECK_MSG(j != NULL, "%s", err.msg);
  if (j) {
    json_t *c = json_object_get(j, "coordinator");
    CHECK_EQ_INT(json_integer_value(json_object_get(c, "port")), 9100);
    CHECK(json_is_real(json_object_get(c, "heartbeat_timeout")));
    CHECK(json_real_value(json_object_get(c, "heartbeat_timeout")) == 2.5);
    CHECK_EQ_STR(json_string_value(json_object_get(c, "auth_token")), "s3cret");
    CHECK_EQ_STR(json_string_value(json_object_get(c, "state_store_type")), "redis");
    CHECK(json_is_null(json_object_get(c, "state_store_password")));
    json_t *w = json_array_get(json_object_get(j, "workers"), 0);
    CHECK_EQ_STR(json_string_value(json_object_get(w, "name")), "p");
    CHECK_EQ_INT(json_array_size(json_object_get(w, "worker_ids")), 2);
    CHECK(json_is_null(json_object_get(w, "cpu_cores")));
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(j, "job"), "name")), "j");
    CHECK(json_is_true(json_object_get(json_object_get(j, "job"), "enable_monitoring")));
    json_decref(j);
  }
  j = load(path, true, &err);
  CHECK(j != NULL);
  if (j) {
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(j, "coordinator"), "auth_token")), "<redacted>");
    json_decref(j);
  }
  j = load(NULL, false, &err);
  CHECK(j != NULL);
  if (j) {
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(j, "coordinator"), "port")), 8080);
    CHECK_EQ_INT(json_array_size(json_object_get(j, "workers")), 0);
    json_decref(j);
  }
  ts_rmtree(dir);
  free(path);
  free(dir);
}

static void test_errors(void) {
  char *dir = ts_mkdtemp("cfgjson");
  char *path = al_xasprintf("%s/bad.yaml", dir);
  const char *yaml = "coordinator:\n  port: many\n";
  CHECK(ts_write_file(path, yaml, strlen(yaml)) == 0);
  al_err err;
  al_err_clear(&err);
  CHECK(al_config_load_json(path, false, &err) == NULL);
  CHECK_EQ_INT(err.code, AL_CFG_E_SCHEMA);
  char *want = al_xasprintf("%s:2:9: key 'coordinator.port'", path);
  CHECK_CONTAINS(err.msg, want);
  free(want);
  char *missing = al_xasprintf("%s/none.yaml", dir);
  CHECK(al_config_load_json(missing, false, &err) == NULL);
  CHECK_EQ_INT(err.code, AL_CFG_E_NOT_FOUND);
  CHECK_CONTAINS(err.msg, missing);
  free(missing);
  ts_rmtree(dir);
  free(path);
  free(dir);
}

int main(void) {
  RUN(test_values_and_kinds);
  RUN(test_errors);
  return TEST_REPORT();
}
