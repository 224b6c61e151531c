/* Defaults (the original's dataclass defaults plus ours), ownership helpers and the
 * environment override. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_internal.h"

void cfg_pool_defaults(cfg_pool *p) {
  memset(p, 0, sizeof *p);
  p->batch_size = 100;
  p->num_processes = 4;
  p->cpu_cores = CFG_INT_NULL;
  p->memory_gb = CFG_INT_NULL;
  p->gpu_count = 0;
  p->cache_dir = al_xstrdup("/tmp/auralith_cache");
  p->max_cache_size_gb = 50;
  p->cleanup_on_exit = true;
}

void cfg_pool_free(cfg_pool *p) {
  free(p->name);
  for (size_t i = 0; i < p->nworker_ids; i++) free(p->worker_ids[i]);
  free(p->worker_ids);
  free(p->cache_dir);
  memset(p, 0, sizeof *p);
}

void cfg_defaults(cfg_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg_coordinator *c = &cfg->coordinator;
  c->host = al_xstrdup("localhost");
  c->port = 8080;
  c->state_store_type = CFG_STORE_REDIS;
  c->state_store_host = al_xstrdup("localhost");
  c->state_store_port = 6379;
  c->state_store_db = 0;
  c->state_store_password = NULL;
  c->state_store_username = NULL;
  c->heartbeat_interval = 10;
  c->heartbeat_timeout = 30;
  c->max_retries = 3;
  c->retry_backoff = 5;
  c->task_timeout = 3600;
  c->enable_checkpointing = true;
  c->checkpoint_interval = 300;
  c->checkpoint_dir = al_xstrdup("./checkpoints");
  c->keep_last_n_checkpoints = 5;
  c->strategy = CFG_STRATEGY_ROUND_ROBIN;
  c->auth_token = NULL;
  c->tls_cert = c->tls_key = c->tls_ca = c->tls_server_name = c->tls_client_cert = c->tls_client_key = NULL;
  c->tls_require_client_cert = false;
  c->retry_backoff_multiplier = 2;
  c->max_retry_backoff = 300;
  c->prefetch = 2;
  c->max_frame_bytes = 16 * 1024 * 1024;
  c->output_buffer_soft_limit = 8 * 1024 * 1024;
  c->output_buffer_hard_limit = 64 * 1024 * 1024;
  c->state_store_key_prefix = al_xstrdup("");
  c->state_store_connect_timeout = 5;
  c->state_store_command_timeout = 10;
  c->retention = 604800;
  c->redis_buffer_limit = 64 * 1024 * 1024;
  c->worker_output_root = NULL;
  c->worker_token = c->client_token = c->admin_token = NULL;
  c->worker_input_roots = NULL;
  c->client_idle_timeout = 300;
  c->lease_ttl = 10;
  c->max_connections_per_peer = 256;
  c->max_unauthenticated_bytes = 16 * 1024 * 1024;
  c->max_unsealed_jobs_per_connection = 16;
  c->max_unsealed_jobs = 256;

  cfg_job *j = &cfg->job;
  j->name = al_xstrdup("auralith-job");
  j->coordinator_host = al_xstrdup("localhost");
  j->coordinator_port = 8080;
  j->num_workers = 1;
  j->timeout = 86400;
  j->enable_monitoring = true;
  j->monitoring_port = 9090;
  j->max_task_retries = 3;
  j->retry_backoff_multiplier = 2;
  j->max_retry_backoff = 300;
  j->output_dir = al_xstrdup("./output");
  j->checkpoint_enabled = true;
  j->files_per_task = 500;
  j->max_seq_len = 4096;
  j->shard_size = 10000;
  j->input_dir = NULL;
  j->tokenizers_dir = NULL;
  j->jsonl_field = al_xstrdup("text");
}

/* Frees or duplicates every string field of a section, driven by the key table so a
 * new string key cannot be forgotten here. */
static void section_strings(cfg_section sec, void *dst, const void *src) {
  for (size_t i = 0; i < cfg_nkeys; i++) {
    const cfg_key *k = &cfg_keys[i];
    if (k->section != sec || k->kind != CFG_K_STR) continue;
    char **d = cfg_key_field(k, dst);
    if (src) {
      const char *s = *(char *const *)cfg_key_field(k, (void *)src);
      *d = s ? al_xstrdup(s) : NULL;
    } else {
      free(*d);
      *d = NULL;
    }
  }
}

void cfg_free(cfg_config *cfg) {
  if (!cfg) return;
  section_strings(CFG_SEC_COORD, &cfg->coordinator, NULL);
  section_strings(CFG_SEC_JOB, &cfg->job, NULL);
  for (size_t i = 0; i < cfg->nworkers; i++) cfg_pool_free(&cfg->workers[i]);
  free(cfg->workers);
  memset(cfg, 0, sizeof *cfg);
}

void cfg_copy(cfg_config *dst, const cfg_config *src) {
  *dst = *src;
  section_strings(CFG_SEC_COORD, &dst->coordinator, &src->coordinator);
  section_strings(CFG_SEC_JOB, &dst->job, &src->job);
  dst->workers = src->nworkers ? al_xcalloc(src->nworkers, sizeof *dst->workers) : NULL;
  for (size_t i = 0; i < src->nworkers; i++) {
    const cfg_pool *s = &src->workers[i];
    cfg_pool *d = &dst->workers[i];
    *d = *s;
    section_strings(CFG_SEC_POOL, d, s);
    d->worker_ids = s->nworker_ids ? al_xcalloc(s->nworker_ids, sizeof(char *)) : NULL;
    for (size_t w = 0; w < s->nworker_ids; w++) d->worker_ids[w] = al_xstrdup(s->worker_ids[w]);
  }
}

/* One secret from the environment over the file's value (when set and non-empty). */
static void env_secret(cfg_config *cfg, const char *var, const char *key, char **field) {
  const char *tok = getenv(var);
  if (!tok || !*tok) return;
  if (!cfg_utf8_valid(tok, strlen(tok))) {
    /* It could not be printed back as YAML, and no peer could send it in a hello. */
    al_warn("ignoring %s: not valid UTF-8", var);
    return;
  }
  free(*field);
  *field = al_xstrdup(tok);
  cfg_mark_set(cfg, (size_t)cfg_key_find(CFG_SEC_COORD, key, strlen(key)));
}

void cfg_apply_env(cfg_config *cfg) {
  cfg_coordinator *c = &cfg->coordinator;
  env_secret(cfg, CFG_ENV_AUTH_TOKEN, "auth_token", &c->auth_token);
  env_secret(cfg, CFG_ENV_WORKER_TOKEN, "worker_token", &c->worker_token);
  env_secret(cfg, CFG_ENV_CLIENT_TOKEN, "client_token", &c->client_token);
  env_secret(cfg, CFG_ENV_ADMIN_TOKEN, "admin_token", &c->admin_token);
}

const char *cfg_role_token(const cfg_config *cfg, cfg_role role) {
  const cfg_coordinator *c = &cfg->coordinator;
  const char *t = role == CFG_ROLE_WORKER ? c->worker_token : role == CFG_ROLE_CLIENT ? c->client_token : c->admin_token;
  return t ? t : c->auth_token;
}

void cfg_fmt_double(double v, char *buf, size_t cap) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, cap, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  /* "1e+06" reads back as a string in YAML 1.1; write plain digits instead. */
  if (strchr(buf, 'e') && v == (double)(long long)v) snprintf(buf, cap, "%lld", (long long)v);
}

const cfg_pool *cfg_find_pool(const cfg_config *cfg, const char *worker_id) {
  for (size_t i = 0; i < cfg->nworkers; i++)
    for (size_t w = 0; w < cfg->workers[i].nworker_ids; w++)
      if (strcmp(cfg->workers[i].worker_ids[w], worker_id) == 0) return &cfg->workers[i];
  return NULL;
}
