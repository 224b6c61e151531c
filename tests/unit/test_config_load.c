/* Config loading: defaults, empty and partial files, the shipped configs with the
 * original's values, YAML scalar rules, aliases between job and coordinator, the
 * environment override and the round trip through cfg_print_yaml. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/al.h"
#include "config/config.h"
#include "harness.h"
#include "support.h"

static char *source_path(const char *rel) {
  const char *d = getenv("AL_SOURCE_DIR");
  return al_xasprintf("%s/%s", d ? d : ".", rel);
}

static int load_str(const char *yaml, cfg_config *cfg, al_err *err) {
  return cfg_load_string("t.yaml", yaml, strlen(yaml), cfg, err);
}

static void check_defaults(const cfg_config *c) {
  CHECK_EQ_STR(c->coordinator.host, "localhost");
  CHECK_EQ_INT(c->coordinator.port, 8080);
  CHECK_EQ_INT(c->coordinator.state_store_type, CFG_STORE_REDIS);
  CHECK_EQ_STR(c->coordinator.state_store_host, "localhost");
  CHECK_EQ_INT(c->coordinator.state_store_port, 6379);
  CHECK_EQ_INT(c->coordinator.state_store_db, 0);
  CHECK(c->coordinator.state_store_password == NULL);
  CHECK(c->coordinator.heartbeat_interval == 10);
  CHECK(c->coordinator.heartbeat_timeout == 30);
  CHECK_EQ_INT(c->coordinator.max_retries, 3);
  CHECK(c->coordinator.retry_backoff == 5);
  CHECK(c->coordinator.task_timeout == 3600);
  CHECK(c->coordinator.enable_checkpointing);
  CHECK(c->coordinator.checkpoint_interval == 300);
  CHECK_EQ_STR(c->coordinator.checkpoint_dir, "./checkpoints");
  CHECK_EQ_INT(c->coordinator.keep_last_n_checkpoints, 5);
  CHECK_EQ_INT(c->coordinator.strategy, CFG_STRATEGY_ROUND_ROBIN);
  CHECK(c->coordinator.auth_token == NULL);
  CHECK(c->coordinator.retry_backoff_multiplier == 2);
  CHECK(c->coordinator.max_retry_backoff == 300);
  CHECK_EQ_INT(c->coordinator.prefetch, 2);
  CHECK_EQ_INT(c->coordinator.max_frame_bytes, 16 * 1024 * 1024);
  CHECK_EQ_INT(c->coordinator.output_buffer_soft_limit, 8 * 1024 * 1024);
  CHECK_EQ_INT(c->coordinator.output_buffer_hard_limit, 64 * 1024 * 1024);
  CHECK_EQ_STR(c->coordinator.state_store_key_prefix, "");
  CHECK(c->coordinator.state_store_connect_timeout == 5);
  CHECK(c->coordinator.state_store_command_timeout == 10);
  CHECK(c->coordinator.retention == 604800);
  CHECK_EQ_INT(c->coordinator.redis_buffer_limit, 64 * 1024 * 1024);
  CHECK(c->coordinator.worker_output_root == NULL);
  CHECK_EQ_INT(c->nworkers, 0);
  CHECK_EQ_STR(c->job.name, "auralith-job");
  CHECK_EQ_STR(c->job.coordinator_host, "localhost");
  CHECK_EQ_INT(c->job.coordinator_port, 8080);
  CHECK_EQ_INT(c->job.num_workers, 1);
  CHECK(c->job.timeout == 86400);
  CHECK(c->job.enable_monitoring);
  CHECK_EQ_INT(c->job.monitoring_port, 9090);
  CHECK_EQ_INT(c->job.max_task_retries, 3);
  CHECK(c->job.retry_backoff_multiplier == 2);
  CHECK(c->job.max_retry_backoff == 300);
  CHECK_EQ_STR(c->job.output_dir, "./output");
  CHECK(c->job.checkpoint_enabled);
  CHECK_EQ_INT(c->job.files_per_task, 500);
  CHECK_EQ_INT(c->job.max_seq_len, 4096);
  CHECK_EQ_INT(c->job.shard_size, 10000);
  CHECK(c->job.input_dir == NULL);
  CHECK(c->job.tokenizers_dir == NULL);
}

static void test_defaults(void) {
  cfg_config c;
  cfg_defaults(&c);
  check_defaults(&c);
  CHECK(!cfg_is_set(&c, "coordinator.port"));
  cfg_free(&c);
  cfg_free(&c); /* twice is safe */
}

static void test_empty_inputs_give_defaults(void) {
  unsetenv(CFG_ENV_AUTH_TOKEN);
  const char *docs[] = {"", "\n\n", "# only a comment\n", "---\n", "~\n", "null\n",
                        "coordinator:\nworkers:\njob:\n", "coordinator: {}\nworkers: []\njob: {}\n"};
  for (size_t i = 0; i < AL_ARRAY_LEN(docs); i++) {
    cfg_config c;
    al_err e;
    CHECK_MSG(load_str(docs[i], &c, &e) == 0, "doc %zu: %s", i, e.msg);
    check_defaults(&c);
    cfg_free(&c);
  }
  /* A real empty file on disk too. */
  char *dir = ts_mkdtemp("cfg");
  char *path = al_xasprintf("%s/empty.yaml", dir);
  ts_write_file(path, "", 0);
  cfg_config c;
  al_err e;
  CHECK_EQ_INT(cfg_load(path, &c, &e), 0);
  check_defaults(&c);
  cfg_free(&c);
  free(path);
  ts_rmtree(dir);
  free(dir);
}

static void test_sections_optional(void) {
  cfg_config c;
  al_err e;
  CHECK_EQ_INT(load_str("job:\n  num_workers: 7\n", &c, &e), 0);
  CHECK_EQ_INT(c.job.num_workers, 7);
  CHECK_EQ_INT(c.coordinator.port, 8080);
  CHECK(cfg_is_set(&c, "job.num_workers"));
  CHECK(!cfg_is_set(&c, "job.timeout"));
  cfg_free(&c);
  CHECK_EQ_INT(load_str("workers:\n  - name: a\n", &c, &e), 0);
  CHECK_EQ_INT(c.nworkers, 1);
  CHECK_EQ_STR(c.workers[0].name, "a");
  CHECK_EQ_INT(c.workers[0].nworker_ids, 0);
  CHECK_EQ_INT(c.workers[0].batch_size, 100);
  CHECK_EQ_INT(c.workers[0].num_processes, 4);
  CHECK_EQ_INT(c.workers[0].cpu_cores, CFG_INT_NULL);
  CHECK_EQ_INT(c.workers[0].memory_gb, CFG_INT_NULL);
  CHECK_EQ_INT(c.workers[0].gpu_count, 0);
  CHECK_EQ_STR(c.workers[0].cache_dir, "/tmp/auralith_cache");
  CHECK_EQ_INT(c.workers[0].max_cache_size_gb, 50);
  CHECK(c.workers[0].cleanup_on_exit);
  cfg_free(&c);
}

static void test_shipped_distributed(void) {
  unsetenv(CFG_ENV_AUTH_TOKEN);
  char *path = source_path("configs/distributed.yaml");
  cfg_config c;
  al_err e;
  CHECK_MSG(cfg_load(path, &c, &e) == 0, "%s", e.msg);
  const cfg_coordinator *k = &c.coordinator;
  CHECK_EQ_STR(k->host, "0.0.0.0");
  CHECK_EQ_INT(k->port, 8080);
  CHECK_EQ_INT(k->state_store_type, CFG_STORE_REDIS);
  CHECK_EQ_STR(k->state_store_host, "redis.internal");
  CHECK_EQ_INT(k->state_store_port, 6379);
  CHECK_EQ_INT(k->state_store_db, 0);
  CHECK(k->state_store_password == NULL);
  CHECK(k->heartbeat_interval == 10);
  CHECK(k->heartbeat_timeout == 30);
  CHECK_EQ_INT(k->max_retries, 3);
  CHECK(k->retry_backoff == 5);
  CHECK(k->task_timeout == 3600);
  CHECK(k->enable_checkpointing);
  CHECK(k->checkpoint_interval == 300);
  CHECK_EQ_STR(k->checkpoint_dir, "./checkpoints");
  CHECK_EQ_INT(k->keep_last_n_checkpoints, 5);
  CHECK_EQ_INT(c.nworkers, 1);
  if (c.nworkers == 1) {
    const cfg_pool *p = &c.workers[0];
    CHECK_EQ_STR(p->name, "processing");
    CHECK_EQ_INT(p->nworker_ids, 4);
    if (p->nworker_ids == 4) {
      CHECK_EQ_STR(p->worker_ids[0], "worker-1");
      CHECK_EQ_STR(p->worker_ids[3], "worker-4");
    }
    CHECK_EQ_INT(p->batch_size, 500);
    CHECK_EQ_INT(p->num_processes, 4);
    CHECK_EQ_INT(p->cpu_cores, 4);
    CHECK_EQ_INT(p->memory_gb, 16);
  }
  CHECK_EQ_STR(c.job.name, "distributed-processing");
  CHECK_EQ_INT(c.job.num_workers, 4);
  CHECK(c.job.timeout == 86400);
  CHECK(c.job.enable_monitoring);
  CHECK_EQ_INT(c.job.monitoring_port, 9090);
  CHECK_EQ_STR(c.job.output_dir, "./shards");
  CHECK(c.job.checkpoint_enabled);
  cfg_free(&c);
  free(path);
}

static void test_shipped_embedded(void) {
  char *path = source_path("configs/embedded.yaml");
  cfg_config c;
  al_err e;
  CHECK_MSG(cfg_load(path, &c, &e) == 0, "%s", e.msg);
  CHECK_EQ_INT(c.coordinator.state_store_type, CFG_STORE_MEMORY);
  CHECK_EQ_INT(c.coordinator.strategy, CFG_STRATEGY_LEAST_BUSY);
  CHECK_EQ_INT(c.job.num_workers, 4);
  CHECK_EQ_INT(c.nworkers, 1);
  cfg_free(&c);
  free(path);
}

/* Older copies of the original's file carry the single-machine pipeline sections;
 * the original ignores them and so do we. */
static void test_original_extra_sections_ignored(void) {
  char *path = ts_data_path("config/original_with_pipeline_sections.yaml");
  cfg_config c;
  al_err e;
  CHECK_MSG(cfg_load(path, &c, &e) == 0, "%s", e.msg);
  CHECK_EQ_INT(c.nworkers, 3);
  CHECK_EQ_STR(c.coordinator.checkpoint_dir, "s3://example-bucket/checkpoints/");
  CHECK_EQ_INT(c.job.num_workers, 6);
  cfg_free(&c);
  free(path);
}

static void test_scalar_rules(void) {
  cfg_config c;
  al_err e;
  const char *y =
      "coordinator:\n"
      "  enable_checkpointing: no\n"
      "  state_store_password: ~\n"
      "  auth_token: null\n"
      "  heartbeat_interval: 0.5\n"
      "  heartbeat_timeout: 1_000\n"
      "  state_store_db: 0x0f\n"
      "  max_frame_bytes: 1MiB\n"
      "  output_buffer_soft_limit: \"64KiB\"\n"
      "  output_buffer_hard_limit: 2097152\n"
      "  host: '8080'\n"
      "  checkpoint_dir: 12345\n"
      "  retry_backoff: 0\n"
      "  retention: 0\n"
      "  strategy: dynamic\n"
      "workers:\n"
      "  - name: p\n"
      "    cpu_cores:\n"
      "    memory_gb: NULL\n"
      "    cleanup_on_exit: Off\n"
      "    worker_ids: [1, \"two\", !!str 3]\n"
      "job:\n"
      "  enable_monitoring: YES\n"
      "  checkpoint_enabled: False\n"
      "  timeout: +7200\n"
      "  input_dir: /data/raw\n";
  CHECK_MSG(load_str(y, &c, &e) == 0, "%s", e.msg);
  CHECK(!c.coordinator.enable_checkpointing);
  CHECK(c.coordinator.state_store_password == NULL);
  CHECK(c.coordinator.heartbeat_interval == 0.5);
  CHECK(c.coordinator.heartbeat_timeout == 1000);
  CHECK_EQ_INT(c.coordinator.state_store_db, 15);
  CHECK_EQ_INT(c.coordinator.max_frame_bytes, 1024 * 1024);
  CHECK_EQ_INT(c.coordinator.output_buffer_soft_limit, 64 * 1024);
  CHECK_EQ_STR(c.coordinator.host, "8080");
  CHECK_EQ_STR(c.coordinator.checkpoint_dir, "12345");
  CHECK(c.coordinator.retry_backoff == 0);
  CHECK(c.coordinator.retention == 0);
  CHECK_EQ_INT(c.coordinator.strategy, CFG_STRATEGY_DYNAMIC);
  CHECK_EQ_INT(c.workers[0].cpu_cores, CFG_INT_NULL);
  CHECK_EQ_INT(c.workers[0].memory_gb, CFG_INT_NULL);
  CHECK(!c.workers[0].cleanup_on_exit);
  CHECK_EQ_INT(c.workers[0].nworker_ids, 3);
  CHECK_EQ_STR(c.workers[0].worker_ids[0], "1");
  CHECK_EQ_STR(c.workers[0].worker_ids[2], "3");
  CHECK(c.job.enable_monitoring);
  CHECK(!c.job.checkpoint_enabled);
  CHECK(c.job.timeout == 7200);
  CHECK_EQ_STR(c.job.input_dir, "/data/raw");
  cfg_free(&c);
}

static void test_job_aliases(void) {
  cfg_config c;
  al_err e;
  /* The original's spelling under job applies when the coordinator does not say. */
  CHECK_EQ_INT(load_str("job:\n  max_task_retries: 7\n  retry_backoff_multiplier: 3\n"
                        "  max_retry_backoff: 60\n", &c, &e), 0);
  CHECK_EQ_INT(c.coordinator.max_retries, 7);
  CHECK(c.coordinator.retry_backoff_multiplier == 3);
  CHECK(c.coordinator.max_retry_backoff == 60);
  CHECK_EQ_INT(c.job.max_task_retries, 7);
  cfg_free(&c);
  /* Both given: the coordinator section wins, the job copy mirrors it. */
  CHECK_EQ_INT(load_str("coordinator:\n  max_retries: 1\n  retry_backoff_multiplier: 1.5\n"
                        "job:\n  max_task_retries: 9\n  retry_backoff_multiplier: 4\n", &c, &e), 0);
  CHECK_EQ_INT(c.coordinator.max_retries, 1);
  CHECK_EQ_INT(c.job.max_task_retries, 1);
  CHECK(c.coordinator.retry_backoff_multiplier == 1.5);
  CHECK(c.job.retry_backoff_multiplier == 1.5);
  cfg_free(&c);
}

static void test_env_auth_token(void) {
  cfg_config c;
  al_err e;
  setenv(CFG_ENV_AUTH_TOKEN, "from-env", 1);
  CHECK_EQ_INT(load_str("coordinator:\n  auth_token: from-file\n", &c, &e), 0);
  CHECK_EQ_STR(c.coordinator.auth_token, "from-env");
  cfg_free(&c);
  CHECK_EQ_INT(load_str("", &c, &e), 0);
  CHECK_EQ_STR(c.coordinator.auth_token, "from-env");
  CHECK(cfg_is_set(&c, "coordinator.auth_token"));
  cfg_free(&c);
  cfg_defaults(&c);
  CHECK(c.coordinator.auth_token == NULL); /* defaults never read the environment */
  cfg_apply_env(&c);
  CHECK_EQ_STR(c.coordinator.auth_token, "from-env");
  cfg_free(&c);
  setenv(CFG_ENV_AUTH_TOKEN, "bad\xff", 1); /* not UTF-8: ignored with a warning */
  CHECK_EQ_INT(load_str("coordinator:\n  auth_token: from-file\n", &c, &e), 0);
  CHECK_EQ_STR(c.coordinator.auth_token, "from-file");
  cfg_free(&c);
  CHECK_EQ_INT(cfg_load_string("nothing", NULL, 0, &c, &e), 0);
  cfg_free(&c);
  setenv(CFG_ENV_AUTH_TOKEN, "", 1); /* empty = not set */
  CHECK_EQ_INT(load_str("coordinator:\n  auth_token: from-file\n", &c, &e), 0);
  CHECK_EQ_STR(c.coordinator.auth_token, "from-file");
  cfg_free(&c);
  unsetenv(CFG_ENV_AUTH_TOKEN);
  CHECK_EQ_INT(load_str("coordinator:\n  auth_token: from-file\n", &c, &e), 0);
  CHECK_EQ_STR(c.coordinator.auth_token, "from-file");
  cfg_free(&c);
}

static char *print_to_string(const cfg_config *c, bool redact) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  cfg_print_yaml_opts(c, f, redact);
  fclose(f);
  return text;
}

/* Printing, loading the print and printing again gives the same text and values. */
static void round_trip(const char *yaml) {
  cfg_config a, b;
  al_err e;
  CHECK_MSG(load_str(yaml, &a, &e) == 0, "%s", e.msg);
  char *t1 = print_to_string(&a, false);
  CHECK_MSG(cfg_load_string("printed.yaml", t1, strlen(t1), &b, &e) == 0, "%s\n%s", e.msg, t1);
  char *t2 = print_to_string(&b, false);
  CHECK_EQ_STR(t1, t2);
  CHECK_EQ_INT(a.coordinator.port, b.coordinator.port);
  CHECK(a.coordinator.heartbeat_interval == b.coordinator.heartbeat_interval);
  CHECK_EQ_INT(a.nworkers, b.nworkers);
  free(t1);
  free(t2);
  cfg_free(&a);
  cfg_free(&b);
}

static void test_round_trip(void) {
  unsetenv(CFG_ENV_AUTH_TOKEN);
  round_trip("");
  char *path = source_path("configs/distributed.yaml");
  size_t n;
  char *text = ts_read_file(path, &n);
  CHECK(text != NULL);
  if (text) round_trip(text);
  free(text);
  free(path);
  round_trip("coordinator:\n"
             "  host: \"yes\"\n"
             "  auth_token: \"tab\\there \\\"quoted\\\" back\\\\slash \\u00e9\\x01\"\n"
             "  state_store_password: null\n"
             "  heartbeat_interval: 0.1\n"
             "  heartbeat_timeout: 0.30000000000000004\n"
             "  state_store_key_prefix: \"al:\"\n"
             "workers:\n"
             "  - name: \"null\"\n"
             "    worker_ids: []\n"
             "  - name: b\n"
             "    worker_ids: [\"x: y\", \"#z\", \"- w\"]\n"
             "    cpu_cores: 2\n"
             "job:\n"
             "  tokenizers_dir: ./tok\n"
             "  timeout: 123456789.5\n");
  /* Values really survive, not only the text. */
  cfg_config a, b;
  al_err e;
  CHECK_EQ_INT(load_str("coordinator:\n  auth_token: \"a\\\"b\"\nworkers:\n  - name: \"null\"\n", &a, &e), 0);
  char *t = print_to_string(&a, false);
  CHECK_EQ_INT(cfg_load_string("p", t, strlen(t), &b, &e), 0);
  CHECK_EQ_STR(b.coordinator.auth_token, "a\"b");
  CHECK_EQ_STR(b.workers[0].name, "null");
  free(t);
  t = print_to_string(&a, true);
  CHECK_CONTAINS(t, "auth_token: \"<redacted>\"");
  CHECK(strstr(t, "a\\\"b") == NULL);
  free(t);
  cfg_free(&a);
  cfg_free(&b);
}

static void test_find_pool(void) {
  cfg_config c;
  al_err e;
  CHECK_EQ_INT(load_str("workers:\n  - name: a\n    worker_ids: [w1]\n"
                        "  - name: b\n    worker_ids: [w2, w3]\n    num_processes: 8\n", &c, &e), 0);
  const cfg_pool *p = cfg_find_pool(&c, "w3");
  CHECK(p != NULL);
  if (p) CHECK_EQ_STR(p->name, "b");
  if (p) CHECK_EQ_INT(p->num_processes, 8);
  CHECK(cfg_find_pool(&c, "w1") == &c.workers[0]);
  CHECK(cfg_find_pool(&c, "w9") == NULL);
  cfg_free(&c);
}

static void test_copy(void) {
  cfg_config a, b;
  al_err e;
  CHECK_EQ_INT(load_str("workers:\n  - name: a\n    worker_ids: [w1, w2]\n", &a, &e), 0);
  cfg_copy(&b, &a);
  cfg_free(&a);
  CHECK_EQ_STR(b.workers[0].worker_ids[1], "w2");
  CHECK_EQ_STR(b.coordinator.host, "localhost");
  cfg_free(&b);
}

int main(void) {
  al_log_set_level(AL_LOG_ERROR);
  RUN(test_defaults);
  RUN(test_empty_inputs_give_defaults);
  RUN(test_sections_optional);
  RUN(test_shipped_distributed);
  RUN(test_shipped_embedded);
  RUN(test_original_extra_sections_ignored);
  RUN(test_scalar_rules);
  RUN(test_job_aliases);
  RUN(test_env_auth_token);
  RUN(test_round_trip);
  RUN(test_find_pool);
  RUN(test_copy);
  return TEST_REPORT();
}
